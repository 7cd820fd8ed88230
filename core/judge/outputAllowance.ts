/**
 * The budget of one judge answer's streams: stdout and stderr of all its tests together stay within
 * JUDGE_MAX_RESULT_OUTPUT_BYTES of the answer, cut at a character boundary past it.
 *
 * What a stream costs is what it adds to the answer, not its byte count: its text, and where its bytes are not
 * valid UTF-8 their base64 beside it (core/judge/streamText.ts). Such a stream weighs more than its bytes: each bad
 * byte decodes to U+FFFD (3 bytes of text) and adds 4/3 of base64, so a program printing 8 MiB of them would have
 * made an answer of about 35 MiB, which the executor holds, writes and the API parses whole. Text that is valid
 * UTF-8 costs exactly its bytes, as before the base64 was added.
 */
import { completeUtf8Length } from '../utf8';
import { streamText, type StreamText } from './streamText';

/** The bytes a stream adds to the answer: its text as UTF-8 and its base64, if any. */
export function answerBytes(stream: StreamText): number {
  return Buffer.byteLength(stream.text, 'utf8') + (stream.base64?.length ?? 0);
}

export class OutputAllowance {
  constructor(private left: number) {}

  /** The stream as the answer carries it, cut (`cut`) to what is left of the budget, which it then uses up. */
  take(bytes: Buffer): StreamText & { cut: boolean } {
    const whole = streamText(bytes);
    const cost = answerBytes(whole);
    if (cost <= this.left) {
      this.left -= cost;
      return { ...whole, cut: false };
    }
    const kept = this.longestPrefix(bytes);
    this.left = 0;
    return { ...kept, cut: true };
  }

  /**
   * The longest prefix (ending at a character boundary) whose cost fits what is left. A prefix never costs less
   * than its bytes, so none longer than `left` fits; the cost grows with the prefix, so a binary search finds it.
   * Only a stream past the budget gets here, once per answer.
   */
  private longestPrefix(bytes: Buffer): StreamText {
    const fits = (n: number): StreamText | null => {
      const prefix = streamText(bytes.subarray(0, completeUtf8Length(bytes.subarray(0, n))));
      return answerBytes(prefix) <= this.left ? prefix : null;
    };
    let lo = 0;
    let best: StreamText = { text: '' };
    let hi = Math.min(bytes.length, this.left);
    while (lo <= hi) {
      const mid = Math.floor((lo + hi) / 2);
      const prefix = fits(mid);
      if (prefix) {
        best = prefix;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return best;
  }
}
