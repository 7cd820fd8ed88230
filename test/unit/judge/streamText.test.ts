/**
 * A captured stream as the answer carries it (core/judge/streamText.ts): the text, and base64 of the exact bytes
 * only when they are not valid UTF-8, so that the compatibility APIs can give the bytes back.
 */
import { streamBytes, streamText } from '../../../core/judge/streamText';

const cases: Array<[string, Buffer, boolean]> = [
  ['empty', Buffer.alloc(0), false],
  ['ASCII', Buffer.from('hello\n'), false],
  ['UTF-8 of several bytes', Buffer.from('héllo wörld ✓ 𝄞\n'), false],
  ['bytes that are no UTF-8', Buffer.from([0xff, 0xfe, 0x0a]), true],
  ['a character cut in its middle', Buffer.from('é').subarray(0, 1), true],
  ['an overlong encoding', Buffer.from([0xc0, 0xaf]), true],
  ['a NUL byte is valid UTF-8', Buffer.from([0x61, 0x00, 0x62]), false],
];

test.each(cases)('%s', (_name, bytes, needsBase64) => {
  const s = streamText(bytes);
  expect(s.text).toBe(bytes.toString('utf8'));
  expect(s.base64 !== undefined).toBe(needsBase64);
  // Either way the exact bytes come back.
  expect(streamBytes(s.text, s.base64).equals(bytes)).toBe(true);
});
