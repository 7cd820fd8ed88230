/**
 * The answer of `POST /api/execute`, as the executor writes it (in the final status, StatusDoc.answer) and the API returns it.
 * Figures are the program's own (its whole process tree, never a wrapper's or the compiler's): see README,
 * *Blocking execution*.
 */

export type JudgeStatus =
  /** Exit 0 and no expected output to compare with. */
  | 'ok'
  | 'accepted'
  | 'wrong_answer'
  | 'compile_error'
  /** A non-zero exit (`exitCode`) or death by a signal (`signal`). */
  | 'runtime_error'
  /** Wall or CPU time; `message` says which. */
  | 'timeout'
  | 'memory_limit'
  /** stdout or stderr passed `limits.outputBytes`; `message` says which. */
  | 'output_limit'
  /** Files written past the run's disk cap. */
  | 'disk_limit'
  | 'internal_error';

export interface TestResult {
  status: JudgeStatus;
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: string | null;
  wallMs: number;
  cpuMs: number;
  /** Peak memory of the program's tree, KiB. */
  memoryKb: number;
  message?: string;
  /** The exact bytes of `stdout` in base64, present only when they are not valid UTF-8 (core/judge/streamText.ts). */
  stdoutBase64?: string;
  /** The same for `stderr`. */
  stderrBase64?: string;
  /** Present when this test's streams were cut to keep the whole answer within its size cap. */
  outputTruncated?: true;
}

export interface ExecuteResult extends TestResult {
  /** The compiler's stdout and stderr, for languages with a compile step. */
  compileOutput?: string;
  /** The same for `compileOutput`. */
  compileOutputBase64?: string;
  tests?: TestResult[];
}
