/**
 * The top level of an answer from its tests. The status is the first test's failure (anything but `ok` and
 * `accepted`), else `accepted` when any test had an expected output, else `ok`. `stdout`, `stderr`, `exitCode`,
 * `signal` and `message` are the deciding test's (that first failure, else the first test); `wallMs`, `cpuMs` and
 * `memoryKb` are the largest of all tests (what a judge reports as a submission's time and memory). The single form
 * (`batch` false) is its one test, without a `tests` list.
 */
import type { ExecuteResult, TestResult } from './executeResult';
import type { StreamText } from './streamText';

const PASSED = new Set(['ok', 'accepted']);

export function summarize(tests: TestResult[], batch: boolean, compileOutput?: StreamText): ExecuteResult {
  if (tests.length === 0) throw new Error('summarize: no test');
  const failure = tests.find((t) => !PASSED.has(t.status));
  const deciding = failure ?? tests[0];
  const status = failure ? failure.status : tests.some((t) => t.status === 'accepted') ? 'accepted' : 'ok';
  const top: ExecuteResult = {
    status,
    stdout: deciding.stdout,
    stderr: deciding.stderr,
    ...(deciding.stdoutBase64 !== undefined ? { stdoutBase64: deciding.stdoutBase64 } : {}),
    ...(deciding.stderrBase64 !== undefined ? { stderrBase64: deciding.stderrBase64 } : {}),
    exitCode: deciding.exitCode,
    signal: deciding.signal,
    wallMs: Math.max(...tests.map((t) => t.wallMs)),
    cpuMs: Math.max(...tests.map((t) => t.cpuMs)),
    memoryKb: Math.max(...tests.map((t) => t.memoryKb)),
    ...(deciding.message !== undefined ? { message: deciding.message } : {}),
    ...(deciding.outputTruncated ? { outputTruncated: true as const } : {}),
    ...(compileOutput !== undefined ? { compileOutput: compileOutput.text } : {}),
    ...(compileOutput?.base64 !== undefined ? { compileOutputBase64: compileOutput.base64 } : {}),
  };
  return batch ? { ...top, tests } : top;
}
