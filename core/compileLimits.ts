/**
 * The limits of a compile step: the compile budget (core/limits.ts COMPILE_*) with the language's overrides, in
 * the run's own cell, so the disk cap is the run's (the compiler's output files count against it) and its output
 * never exceeds what the run may print. A request may lower the wall time, CPU time and memory of the budget (Piston's
 * `compile_timeout`, `compile_cpu_time`, `compile_memory_limit`), never raise them.
 */
import type { CompileStep } from './languages';
import * as L from './limits';
import type { RunLimits } from './protocol';
import { RUN_LIMITS } from './runLimits';

/** What a request asked of the compile budget (the manifest's `compileLimits`): each value can only lower it. */
export type CompileBudget = Partial<Pick<RunLimits, 'timeoutMs' | 'cpuMs' | 'memoryBytes'>>;

/** `budget`, lowered to `asked` when that is a number (a manifest is data: anything else is ignored), never below `min`. */
function lowered(budget: number, asked: unknown, min: number): number {
  return typeof asked === 'number' && Number.isFinite(asked) ? Math.max(min, Math.min(budget, Math.round(asked))) : budget;
}

export function compileLimits(step: CompileStep, run: RunLimits, asked: CompileBudget = {}): RunLimits {
  const timeoutMs = lowered(L.COMPILE_TIMEOUT_MS, asked.timeoutMs, RUN_LIMITS.timeoutMs.min);
  return {
    timeoutMs,
    // The compiler reads no input: its wall time is all busy.
    busyTimeoutMs: timeoutMs,
    outputBytes: Math.min(L.COMPILE_OUTPUT_BYTES, run.outputBytes),
    memoryBytes: lowered(step.limits?.memoryBytes ?? L.COMPILE_MEMORY_BYTES, asked.memoryBytes, RUN_LIMITS.memoryBytes.min),
    cpuMs: lowered(step.limits?.cpuMs ?? L.COMPILE_CPU_MS, asked.cpuMs, RUN_LIMITS.cpuMs.min),
    processes: step.limits?.processes ?? L.COMPILE_PROCESSES,
    fileBytes: L.COMPILE_FILE_BYTES,
    openFiles: L.COMPILE_OPEN_FILES,
    diskBytes: run.diskBytes,
  };
}
