/**
 * Bytes as JSON carries them: the text, decoded as UTF-8, and only where the bytes are not valid UTF-8 their base64
 * beside it. Decoding puts U+FFFD in place of such bytes, so the text alone loses them. Both ways of a judge run: a
 * captured stream as the answer carries it (a test's stdout or stderr, the compiler's messages: Judge0's
 * `base64_encoded=true` promises the exact bytes), and the input the manifest carries (a test's stdin, an extra
 * file: core/judge/judgeSpec.ts), which the program must get exactly. What is text (nearly everything) does not grow.
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

/** The exact bytes: the base64 where there is one, else the text. */
export function streamBytes(text: string, base64: string | undefined): Buffer {
  return base64 === undefined ? Buffer.from(text, 'utf8') : Buffer.from(base64, 'base64');
}
