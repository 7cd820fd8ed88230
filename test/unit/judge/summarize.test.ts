/** The top level of an answer from its tests (core/judge/summarize.ts). */
import type { JudgeStatus, TestResult } from '../../../core/judge/executeResult';
import { summarize } from '../../../core/judge/summarize';

const test_ = (status: JudgeStatus, n: number, extra: Partial<TestResult> = {}): TestResult => ({
  status,
  stdout: `out${n}`,
  stderr: `err${n}`,
  exitCode: status === 'runtime_error' ? 1 : 0,
  signal: null,
  wallMs: 10 * n,
  cpuMs: 5 * n,
  memoryKb: 1000 + n,
  ...extra,
});

const cases: Array<[string, TestResult[], JudgeStatus, string]> = [
  ['all accepted', [test_('accepted', 1), test_('accepted', 2)], 'accepted', 'out1'],
  ['no expectations: ok', [test_('ok', 1), test_('ok', 2)], 'ok', 'out1'],
  ['ok and accepted mixed: accepted', [test_('ok', 1), test_('accepted', 2)], 'accepted', 'out1'],
  ['the first failure decides', [test_('accepted', 1), test_('wrong_answer', 2), test_('timeout', 3)], 'wrong_answer', 'out2'],
  ['a later failure after passes', [test_('accepted', 1), test_('accepted', 2), test_('runtime_error', 3)], 'runtime_error', 'out3'],
  ['compile_error everywhere', [test_('compile_error', 1), test_('compile_error', 2)], 'compile_error', 'out1'],
];

describe('summarize', () => {
  test.each(cases)('%s', (_name, tests, status, stdout) => {
    const top = summarize(tests, true);
    expect(top.status).toBe(status);
    expect(top.stdout).toBe(stdout);
    expect(top.tests).toBe(tests);
    // Time and memory are the largest of all tests, whichever decided.
    expect(top).toMatchObject({ wallMs: 10 * tests.length, cpuMs: 5 * tests.length, memoryKb: 1000 + tests.length });
  });

  test('the single form is its test, without a list; message and compile output come along', () => {
    const one = test_('runtime_error', 1, { message: 'exit code 1' });
    expect(summarize([one], false, { text: 'warning: x' })).toEqual({ ...one, compileOutput: 'warning: x' });
  });

  test("the bytes of streams that are no UTF-8 are the deciding test's, and the compiler's", () => {
    const passed = test_('accepted', 1, { stdoutBase64: 'AQ==' });
    const failed = test_('wrong_answer', 2, { stdoutBase64: '//4K', stderrBase64: 'gA==' });
    const top = summarize([passed, failed], true, { text: '\ufffd', base64: '/w==' });
    expect(top).toMatchObject({ stdoutBase64: '//4K', stderrBase64: 'gA==', compileOutput: '\ufffd', compileOutputBase64: '/w==' });
    expect(summarize([test_('ok', 1)], false, { text: 'x' })).not.toHaveProperty('compileOutputBase64');
    expect(summarize([test_('ok', 1)], false)).not.toHaveProperty('stdoutBase64');
  });
});
