/**
 * A captured stream (a test's stdout or stderr, the compiler's messages) as the answer carries it: the text, decoded
 * as UTF-8, and only where the bytes are not valid UTF-8 their base64 beside it. Decoding puts U+FFFD in place of
 * such bytes, so the text alone loses them, and Judge0's `base64_encoded=true` promises the exact bytes; an answer
 * whose streams are text (nearly all) does not grow.
 */
import { isUtf8 } from 'buffer';

export interface StreamText {
  text: string;
  /** The exact bytes, when `text` could not hold them. */
  base64?: string;
}

export function streamText(bytes: Buffer): StreamText {
  const text = bytes.toString('utf8');
  return isUtf8(bytes) ? { text } : { text, base64: bytes.toString('base64') };
}

/** The exact bytes of a stream the answer carries: its base64 where there is one, else its text. */
export function streamBytes(text: string, base64: string | undefined): Buffer {
  return base64 === undefined ? Buffer.from(text, 'utf8') : Buffer.from(base64, 'base64');
}
