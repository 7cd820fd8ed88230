/**
 * The budget of an answer's streams (core/judge/outputAllowance.ts) counts what each stream adds to the answer:
 * its bytes when they are UTF-8, its text and its base64 when they are not. Each case takes its streams in turn from
 * one allowance and checks the cuts, that the answer stays within the budget, and that each cut is as long as fits.
 */
import { answerBytes, OutputAllowance } from '../../../core/judge/outputAllowance';
import { streamBytes, streamText } from '../../../core/judge/streamText';
import { completeUtf8Length } from '../../../core/utf8';

const bad = (n: number) => Buffer.alloc(n, 0xff);
const ascii = (n: number) => Buffer.alloc(n, 0x61);

const cases: Array<{ name: string; budget: number; streams: Buffer[]; cut: boolean[] }> = [
  { name: 'UTF-8 within the budget, whole', budget: 100, streams: [ascii(60), ascii(40)], cut: [false, false] },
  { name: 'UTF-8 past it, cut to the bytes left', budget: 100, streams: [ascii(60), ascii(41)], cut: [false, true] },
  { name: 'a multi-byte character is not split', budget: 10, streams: [Buffer.from('aaaaaaaaa✓')], cut: [true] },
  // 30 bad bytes: 90 bytes of U+FFFD and 40 of base64, 130 in the answer for 30 of output.
  { name: 'bytes that are not UTF-8 count their text and base64', budget: 129, streams: [bad(30)], cut: [true] },
  { name: '…and fit when both do', budget: 130, streams: [bad(30)], cut: [false] },
  { name: 'one bad byte in text: the base64 of the whole counts', budget: 1000, streams: [Buffer.concat([ascii(800), bad(1)])], cut: [true] },
  { name: 'the budget left after a bad stream', budget: 200, streams: [bad(30), ascii(70), ascii(1)], cut: [false, false, true] },
  { name: 'nothing left: empty, cut', budget: 130, streams: [bad(30), ascii(1)], cut: [false, true] },
];

test.each(cases)('$name', ({ budget, streams, cut }) => {
  const allowance = new OutputAllowance(budget);
  let used = 0;
  let left = budget;
  for (const [i, bytes] of streams.entries()) {
    const taken = allowance.take(bytes);
    expect(taken.cut).toBe(cut[i]);
    const kept = streamBytes(taken.text, taken.base64);
    // What is kept is the stream's start, at a character boundary.
    expect(bytes.subarray(0, kept.length).equals(kept)).toBe(true);
    expect(completeUtf8Length(kept)).toBe(kept.length);
    const cost = answerBytes(taken);
    expect(cost).toBeLessThanOrEqual(left);
    if (taken.cut && kept.length < bytes.length) {
      // As long as fits: the next character boundary would not.
      let next = kept.length + 1;
      while (next < bytes.length && completeUtf8Length(bytes.subarray(0, next)) === kept.length) next++;
      expect(answerBytes(streamText(bytes.subarray(0, next)))).toBeGreaterThan(left);
    }
    used += cost;
    left = taken.cut ? 0 : left - cost;
  }
  expect(used).toBeLessThanOrEqual(budget);
});
