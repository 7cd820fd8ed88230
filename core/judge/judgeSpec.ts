/**
 * What a judge-mode manifest carries beside the code (docs/protocol.md, *Judge mode*): the tests, the extra files
 * and whether the request gave a list of tests (the answer then has `tests`). Its presence is what makes a run a
 * judge run; the limits are the manifest's own, applied afresh to each test.
 */

export interface JudgeTest {
  /** Written to the program's stdin, which is then closed. */
  stdin: string;
  /**
   * The exact bytes of stdin, present only when they are not valid UTF-8 (`stdin` then holds their text, U+FFFD in
   * place of each bad byte): the program gets these. Made and read as the answer's streams are (core/judge/streamText.ts).
   */
  stdinBase64?: string;
  /** When given, the test is `accepted` or `wrong_answer` (core/judge/outputsMatch.ts); else `ok`. */
  expectedOutput?: string;
}

/** An extra file written beside the program's own, e.g. `{ name: 'lib/util.py', content }`. */
export interface JudgeFile {
  name: string;
  content: string;
  /** The file's exact bytes, present only when they are not valid UTF-8, as `JudgeTest.stdinBase64`. */
  contentBase64?: string;
}

export interface JudgeSpec {
  tests: JudgeTest[];
  files: JudgeFile[];
  /** The request named `tests` (the answer lists them) rather than one `stdin`/`expectedOutput`. */
  batch: boolean;
}
