/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes; resolves to its last answer. */
export async function eventually(predicate: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}
