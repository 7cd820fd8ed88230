/**
 * Whether the compile step let the tests run: anything but a clean exit of the compiler is `compile_error`, with a
 * message when the compiler was stopped (its own budget: time, memory, disk) rather than refusing the code; a failed
 * sandbox or a cancel is `internal_error`.
 */
import type { RunLimits } from '../protocol';
import type { StepOutcome } from './runStep';
import type { Verdict } from './testVerdict';

const MiB = 1024 * 1024;

/**
 * How every message of a compile stopped for time (wall, CPU, the request's budget) begins. The compatibility APIs
 * tell such a compile error from the others by it (Judge0 answers "Compilation time limit exceeded.", Piston a stage
 * with status TO), so the one prefix is written here (compileOutOfTime) and read through compileTimedOut.
 */
const OUT_OF_TIME = 'the compiler ran out of time: ';

/** The message of a compile stopped for time, judge run or interactive (core/run.ts): the prefix, then `detail`. */
export function compileOutOfTime(detail: string): string {
  return `${OUT_OF_TIME}${detail}`;
}

/** Whether a compile error's message says the compiler was stopped for time. */
export function compileTimedOut(message: string | undefined): boolean {
  return message?.startsWith(OUT_OF_TIME) ?? false;
}

export function compileVerdict(outcome: Pick<StepOutcome, 'exit' | 'stop' | 'measure'>, limits: Pick<RunLimits, 'timeoutMs' | 'cpuMs' | 'memoryBytes'>): Verdict | null {
  const { exit, stop } = outcome;
  if (stop?.reason === 'cancelled') return { status: 'internal_error', message: stop.message };
  if (stop?.reason === 'budget') return { status: 'compile_error', message: compileOutOfTime('it did not finish within the request’s time budget') };
  if (stop?.reason === 'wall' || stop?.reason === 'cpu') return { status: 'compile_error', message: compileOutOfTime(stop.message) };
  if (stop) return { status: 'compile_error', message: `the compiler was stopped: ${stop.message}` };
  if (outcome.measure.oomKilled) return { status: 'compile_error', message: `the compiler passed its memory limit of ${Math.round(limits.memoryBytes / MiB)} MiB` };
  if (!exit.usage) return { status: 'internal_error', message: 'the compiler’s supervisor ended without its report' };
  if (exit.signal === 'SIGXCPU' || exit.usage.cpuMs > limits.cpuMs) return { status: 'compile_error', message: compileOutOfTime(`it passed its CPU time limit of ${limits.cpuMs / 1000} s`) };
  if (exit.signal) return { status: 'compile_error', message: `the compiler was killed by ${exit.signal}` };
  if (exit.exitCode !== 0) return { status: 'compile_error', message: `the compiler exited with code ${exit.exitCode}` };
  return null;
}
