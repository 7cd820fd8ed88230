/**
 * A judge run in its prepared cell: the compile step once (when the language has one), then each test in turn, every
 * one a metered command with fresh limits (its own rlimits, memory cgroup, timers and output caps) in the same cell,
 * so the compiled program and the extra files are there for all of them. Tests run even after one fails (each gets
 * its verdict), until the request's time budget is spent: a test running then is stopped, and those not started are
 * reported `timeout` "not run". The answer is built here and written by the caller (core/run.ts) as one object.
 */
import * as L from '../limits';
import type { RunLimits } from '../protocol';
import { compileVerdict } from './compileVerdict';
import type { ExecuteResult, TestResult } from './executeResult';
import type { JudgeCommands } from './judgeCommands';
import type { JudgeSpec } from './judgeSpec';
import { OutputAllowance } from './outputAllowance';
import { programFigures } from './programFigures';
import { runStep, type StepDeps, type StepOutcome } from './runStep';
import { streamBytes, streamText, type StreamText } from './streamText';
import { summarize } from './summarize';
import { testVerdict, type Verdict } from './testVerdict';

export interface JudgeJob {
  commands: JudgeCommands;
  /** Each test's limits (already clamped); `memoryBytes` is what the program's tree may use. */
  limits: RunLimits;
  spec: JudgeSpec;
  /** When the request's time budget ends, on the deps' clock. */
  deadline: number;
}

function notRun(verdict: Verdict): TestResult {
  return { status: verdict.status, stdout: '', stderr: '', exitCode: null, signal: null, wallMs: 0, cpuMs: 0, memoryKb: 0, ...(verdict.message ? { message: verdict.message } : {}) };
}

function testResult(outcome: StepOutcome, verdict: Verdict, allowance: OutputAllowance): TestResult {
  const stdout = allowance.take(outcome.stdout);
  const stderr = allowance.take(outcome.stderr);
  return {
    status: verdict.status,
    stdout: stdout.text,
    stderr: stderr.text,
    ...(stdout.base64 !== undefined ? { stdoutBase64: stdout.base64 } : {}),
    ...(stderr.base64 !== undefined ? { stderrBase64: stderr.base64 } : {}),
    exitCode: outcome.exit.exitCode,
    signal: outcome.exit.signal,
    ...programFigures(outcome),
    ...(verdict.message ? { message: verdict.message } : {}),
    ...(stdout.cut || stderr.cut ? { outputTruncated: true as const } : {}),
  };
}

/** Wall time a step may take now: its own limit, or what is left of the request's budget when that is less. */
function wallFor(deps: StepDeps, job: JudgeJob, limitMs: number): { wallMs: number; budgetCuts: boolean } {
  const left = job.deadline - deps.clock.now();
  return left < limitMs ? { wallMs: left, budgetCuts: true } : { wallMs: limitMs, budgetCuts: false };
}

/** The answer when the language's source transform refused the code (TypeScript that does not parse). */
export function transformFailed(spec: JudgeSpec, report: string): ExecuteResult {
  return summarize(spec.tests.map(() => notRun({ status: 'compile_error', message: 'the code does not compile' })), spec.batch, { text: report });
}

export async function runJudge(deps: StepDeps, job: JudgeJob, cancel: AbortSignal): Promise<ExecuteResult> {
  const { commands, limits, spec } = job;
  let compileOutput: StreamText | undefined;
  if (commands.compile) {
    const compile = commands.compile;
    const outcome = await runStep(
      deps,
      { command: compile.command, limits: compile.limits, addressSpaceOverheadBytes: 0, stdin: Buffer.alloc(0), ...wallFor(deps, job, compile.limits.timeoutMs), output: 'merged' },
      cancel,
    );
    compileOutput = streamText(outcome.stdout);
    const failed = compileVerdict(outcome, compile.limits);
    if (failed) return summarize(spec.tests.map(() => notRun(failed)), spec.batch, compileOutput);
  }

  const allowance = new OutputAllowance(L.JUDGE_MAX_RESULT_OUTPUT_BYTES);
  const results: TestResult[] = [];
  for (const test of spec.tests) {
    if (cancel.aborted) {
      results.push(notRun({ status: 'internal_error', message: `not run: ${String(cancel.reason ?? 'cancelled')}` }));
      continue;
    }
    const wall = wallFor(deps, job, limits.timeoutMs);
    if (wall.wallMs <= 0) {
      results.push(notRun({ status: 'timeout', message: `not run: the request’s time budget of ${L.JUDGE_REQUEST_WALL_MS / 1000} s ran out` }));
      continue;
    }
    const outcome = await runStep(
      deps,
      { command: commands.run, limits, addressSpaceOverheadBytes: commands.addressSpaceOverheadBytes, stdin: streamBytes(test.stdin, test.stdinBase64), ...wall, output: 'separate' },
      cancel,
    );
    results.push(testResult(outcome, testVerdict(outcome, limits, test.expectedOutput, commands.memoryErrorPatterns), allowance));
  }
  return summarize(results, spec.batch, compileOutput);
}
