/**
 * Where a byte buffer can be cut without splitting a UTF-8 character. Output is stored as raw bytes and read by
 * offset, so a read that ends inside a character must stop before it and hand the next offset to the client
 * (the seed decoded every chunk on its own and dropped the characters split across reads).
 */
import { isUtf8 } from 'buffer';

/** Length of the sequence a lead byte announces, or 0 for a continuation or invalid byte. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * The largest `n <= buf.length` such that `buf[0, n)` does not end with the start of a character whose remaining
 * bytes are missing. Invalid bytes are not held back: they will never complete.
 */
export function completeUtf8Length(buf: Uint8Array): number {
  const len = buf.length;
  // A character is at most 4 bytes: only the last 3 can be an unfinished one.
  for (let back = 1; back <= Math.min(3, len); back++) {
    const byte = buf[len - back];
    if ((byte & 0xc0) === 0x80) continue; // continuation: keep looking for its lead
    const need = sequenceLength(byte);
    return need > back ? len - back : len;
  }
  return len;
}

/**
 * The offset of the first byte that does not start a well-formed UTF-8 character (Unicode 15, table 3-7: no overlong forms,
 * no surrogates, nothing past U+10FFFF, no sequence cut short), or -1 when all of `buf` is. Decoding such bytes
 * would silently turn them into U+FFFD; a request body is refused instead, at this offset.
 */
export function firstInvalidUtf8(buf: Uint8Array): number {
  const len = buf.length;
  let i = 0;
  while (i < len) {
    const lead = buf[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    const need = sequenceLength(lead);
    if (need === 0) return i;
    // The second byte's range depends on the lead (what rules out overlongs, surrogates and > U+10FFFF).
    const lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < need; k++) {
      const byte = buf[i + k];
      // The lead is the invalid byte: it starts a character that never comes (the byte after it may be fine).
      if (byte === undefined || byte < (k === 1 ? lo : 0x80) || byte > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need;
  }
  return -1;
}

/** What is wrong with bytes that should be UTF-8 text, or null: the one wording of every refusal (`body: …`). */
export function utf8Problem(buf: Uint8Array): string | null {
  // Node's own check is native (simdutf): every request body passes here; the byte walk runs only for one that fails.
  if (isUtf8(buf)) return null;
  const at = firstInvalidUtf8(buf);
  return at === -1 ? null : `not valid UTF-8: byte 0x${buf[at].toString(16).padStart(2, '0')} at offset ${at}`;
}
