/**
 * The limits of a compile step: the compile budget (core/limits.ts COMPILE_*) with the language's overrides, in
 * the run's own cell, so the disk cap is the run's (the compiler's output files count against it) and its output
 * never exceeds what the run may print.
 */
import type { CompileStep } from './languages';
import * as L from './limits';
import type { RunLimits } from './protocol';

export function compileLimits(step: CompileStep, run: RunLimits): RunLimits {
  return {
    timeoutMs: L.COMPILE_TIMEOUT_MS,
    // The compiler reads no input: its wall time is all busy.
    busyTimeoutMs: L.COMPILE_TIMEOUT_MS,
    outputBytes: Math.min(L.COMPILE_OUTPUT_BYTES, run.outputBytes),
    memoryBytes: step.limits?.memoryBytes ?? L.COMPILE_MEMORY_BYTES,
    cpuMs: step.limits?.cpuMs ?? L.COMPILE_CPU_MS,
    processes: step.limits?.processes ?? L.COMPILE_PROCESSES,
    fileBytes: L.COMPILE_FILE_BYTES,
    openFiles: L.COMPILE_OPEN_FILES,
    diskBytes: run.diskBytes,
  };
}
