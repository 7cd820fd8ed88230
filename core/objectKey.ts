/**
 * Object keys both store adapters accept: OSS's own rules (1..1023 bytes, no leading `/` or `\`), plus what would
 * let a key alias another or escape a bucket folder: empty, `.` and `..` segments, and NUL.
 */
export const MAX_KEY_BYTES = 1023;

export function assertValidObjectKey(key: string, reservedSegmentPrefix?: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new Error('invalid object key: empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw new Error(`invalid object key: longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/') || key.startsWith('\\')) throw new Error(`invalid object key ${JSON.stringify(key)}: leading slash`);
  if (key.includes('\0')) throw new Error(`invalid object key ${JSON.stringify(key)}: NUL byte`);
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new Error(`invalid object key ${JSON.stringify(key)}: empty, "." or ".." segment`);
    }
    if (reservedSegmentPrefix && segment.startsWith(reservedSegmentPrefix)) {
      throw new Error(`invalid object key ${JSON.stringify(key)}: segments starting with "${reservedSegmentPrefix}" are reserved`);
    }
  }
}
