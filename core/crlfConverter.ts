/**
 * Output that did not pass through a terminal (a compile step's pipes, the transpiler's error), made to look as if
 * it had, for interactive runs: each `\n` becomes `\r\n` (the terminal's onlcr), across chunk boundaries, so the
 * page's terminal does not draw a staircase. Bytes, not text: a chunk may end inside a UTF-8 character.
 */
export function crlfConverter(): (chunk: Buffer) => Buffer {
  let last = -1;
  return (chunk) => {
    const before = last;
    const bareAt = (i: number) => chunk[i] === 0x0a && (i > 0 ? chunk[i - 1] : before) !== 0x0d;
    if (chunk.length > 0) last = chunk[chunk.length - 1];
    let bare = 0;
    for (let i = 0; i < chunk.length; i++) if (bareAt(i)) bare++;
    if (bare === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + bare);
    let j = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (bareAt(i)) out[j++] = 0x0d;
      out[j++] = chunk[i];
    }
    return out;
  };
}
