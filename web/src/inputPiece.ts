/**
 * The next piece of queued input to send: at most `maxChars` (2 or more) UTF-16 units, never ending between the two halves of
 * a surrogate pair (an emoji, a CJK character outside the BMP). A half alone is no character: the API refuses it
 * (core/validate.ts, a lone surrogate), and before that refusal it reached the program as U+FFFD.
 */
export function inputPiece(pending: string, maxChars: number): string {
  if (pending.length <= maxChars) return pending;
  const last = pending.charCodeAt(maxChars - 1);
  // A high surrogate as the last unit: its low half is the piece after, so it waits for it.
  return pending.slice(0, last >= 0xd800 && last <= 0xdbff ? maxChars - 1 : maxChars);
}
