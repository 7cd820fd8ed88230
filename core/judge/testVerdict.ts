/**
 * The status of one test from what happened to it (runStep.ts), first cause first:
 * 1. a stop by the executor: `timeout` (wall time, the tree's CPU time, or the request's budget), `output_limit`, `memory_limit` (the RSS
 *    watch), `disk_limit`; a cancel (the run killed, the executor stopping) is `internal_error`;
 * 2. the memory cgroup's OOM killer: `memory_limit`;
 * 3. no report from the run head: the sandbox failed (or the program killed its supervisor): `internal_error`;
 * 4. CPU time: SIGXCPU from RLIMIT_CPU, or the tree's CPU time above the limit (a tree of processes can pass it
 *    without any one of them reaching the per-process rlimit): `timeout`, saying CPU;
 * 5. a non-zero exit or a signal: `memory_limit` when the runtime says it ran out of memory (RLIMIT_AS without a
 *    cgroup), else `runtime_error` naming the exit code or the signal;
 * 6. exit 0: `accepted` / `wrong_answer` against the expected output (outputsMatch.ts), or `ok` without one.
 */
import type { RunLimits } from '../protocol';
import type { JudgeStatus } from './executeResult';
import { outputsMatch } from './outputsMatch';
import type { StepOutcome } from './runStep';

export interface Verdict {
  status: JudgeStatus;
  message?: string;
}

const MiB = 1024 * 1024;
const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/** What a test stopped or judged for CPU time says: the limit, and the tree's figure where there is one. */
export function cpuLimitMessage(limitMs: number, usedMs?: number): string {
  const used = usedMs === undefined ? '' : ` (${seconds(usedMs)} used by the program's processes together)`;
  return `CPU time limit of ${seconds(limitMs)} exceeded${used}`;
}

/** The first line of the sandbox's own complaint (`pocketrun: …`), if the chain said one. */
function sandboxComplaint(stderr: Buffer): string | null {
  const line = stderr.toString('utf8').split('\n').find((l) => l.startsWith('pocketrun: '));
  return line ? line.slice('pocketrun: '.length) : null;
}

export function testVerdict(
  outcome: Pick<StepOutcome, 'exit' | 'stdout' | 'stderr' | 'stop' | 'measure'>,
  limits: Pick<RunLimits, 'cpuMs' | 'memoryBytes'>,
  expectedOutput: string | undefined,
  memoryErrorPatterns: RegExp[],
): Verdict {
  const { exit, stop } = outcome;
  if (stop) {
    switch (stop.reason) {
      case 'wall':
      case 'cpu':
        return { status: 'timeout', message: stop.message };
      case 'budget':
        return { status: 'timeout', message: `not finished: ${stop.message}` };
      case 'output':
        return { status: 'output_limit', message: stop.message };
      case 'memory':
        return { status: 'memory_limit', message: stop.message };
      case 'disk':
        return { status: 'disk_limit', message: stop.message };
      case 'cancelled':
        return { status: 'internal_error', message: stop.message };
    }
  }
  // Before the report: the OOM killer may pick the run head itself when the program's processes are many and small.
  if (outcome.measure.oomKilled) return { status: 'memory_limit', message: `the program reached its memory limit of ${Math.round(limits.memoryBytes / MiB)} MiB` };
  if (!exit.usage) {
    const complaint = sandboxComplaint(outcome.stderr);
    return { status: 'internal_error', message: complaint ? `the sandbox could not run the program: ${complaint}` : 'the program’s supervisor ended without its report' };
  }
  // RLIMIT_CPU's own count and rusage's differ by a few percent: SIGXCPU is the kernel's word, stated without a figure.
  if (exit.signal === 'SIGXCPU') return { status: 'timeout', message: cpuLimitMessage(limits.cpuMs) };
  if (exit.usage.cpuMs > limits.cpuMs) {
    return { status: 'timeout', message: cpuLimitMessage(limits.cpuMs, exit.usage.cpuMs) };
  }
  if (exit.signal !== null || exit.exitCode !== 0) {
    const stderr = outcome.stderr.toString('utf8');
    if (memoryErrorPatterns.some((p) => p.test(stderr))) {
      return { status: 'memory_limit', message: `the program ran out of memory under its limit of ${Math.round(limits.memoryBytes / MiB)} MiB` };
    }
    return { status: 'runtime_error', message: exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}` };
  }
  if (expectedOutput === undefined) return { status: 'ok' };
  return outputsMatch(outcome.stdout.toString('utf8'), expectedOutput) ? { status: 'accepted' } : { status: 'wrong_answer' };
}
