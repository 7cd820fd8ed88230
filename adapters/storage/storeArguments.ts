/**
 * The checks and readings of ObjectStore arguments that every store adapter shares, so that the three agree on what
 * is a caller's mistake (a plain Error, never a StoreError) and on which bytes a range selects. Keys are checked by
 * core/objectKey.ts.
 */
import type { ByteRange } from '../../core/ports';

export function assertValidRange(range: ByteRange | undefined): void {
  if (!range) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) throw new Error(`invalid range start ${start}`);
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) throw new Error(`invalid range end ${end}`);
}

export function assertValidPosition(position: number): void {
  if (!Number.isSafeInteger(position) || position < 0) throw new Error(`invalid append position ${position}`);
}

export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new Error('list prefix must be a string');
}

/**
 * The bytes a (valid) range selects of an object of `size` bytes, as `[start, end)` within the object: empty
 * (`start === end`) when the range starts at or past the end, OSS's standard range behaviour.
 */
export function rangeBounds(range: ByteRange | undefined, size: number): [start: number, end: number] {
  const start = Math.min(range?.start ?? 0, size);
  const end = range?.end === undefined ? size : Math.min(range.end + 1, size);
  return [start, end];
}

/** A body as the port takes it, as bytes; strings are UTF-8. The Buffer itself when it is one (no copy). */
export function toBuffer(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}
