/**
 * What the judge runs for a language: an optional compile step (the compile hook) and the program's command. The one
 * place that reads the language registry for judge mode, so the registry can grow compile steps (core/languages/,
 * `Language.compile`) without the judge changing: a language whose entry has a `compile` gets it run once, before the
 * first test, in the same cell; the others (Python, JavaScript and Bash today) run at once.
 */
import type { Language } from '../languages';
import * as L from '../limits';
import type { RunLimits } from '../protocol';

export interface CompileCommand {
  command: string[];
  /** The compile budget (core/limits.ts judge section): not the program's limits. */
  limits: RunLimits;
  /** Compiler output kept, stdout and stderr together. */
  outputBytes: number;
}

export interface JudgeCommands {
  compile: CompileCommand | null;
  run: string[];
  addressSpaceOverheadBytes: number;
  memoryErrorPatterns: RegExp[];
}

/**
 * The compile step a registry entry declares, read structurally: `compile.command(ctx)` with the tool paths, file
 * name and limits it needs, and optional `compile.limits` overrides. Absent today; see the file comment.
 */
interface CompileHook {
  command(ctx: { tools: Record<string, string>; fileName: string; entry: string; userArgs: string[]; memoryBytes: number }): string[];
  limits?: Partial<Pick<RunLimits, 'memoryBytes' | 'processes' | 'cpuMs'>>;
}

export function compileBudget(runLimits: RunLimits, overrides: CompileHook['limits'] = {}): RunLimits {
  return {
    ...runLimits,
    timeoutMs: L.JUDGE_COMPILE_TIMEOUT_MS,
    cpuMs: overrides.cpuMs ?? L.JUDGE_COMPILE_CPU_MS,
    memoryBytes: overrides.memoryBytes ?? L.JUDGE_COMPILE_MEMORY_BYTES,
    processes: Math.max(runLimits.processes, overrides.processes ?? L.JUDGE_COMPILE_PROCESSES),
    outputBytes: L.JUDGE_COMPILE_OUTPUT_BYTES,
  };
}

/** Whether the language has a compile step (the API's wait then includes the compile budget). */
export function hasCompileStep(lang: Language): boolean {
  return typeof (lang as Language & { compile?: CompileHook }).compile?.command === 'function';
}

/** `interpreter` is the resolved path of the language's tool (the executor's resolveInterpreter). */
export function judgeCommandsOf(lang: Language, interpreter: string, userArgs: string[], limits: RunLimits): JudgeCommands {
  const hook = (lang as Language & { compile?: CompileHook }).compile;
  const compile = hook
    ? {
        command: hook.command({ tools: { [lang.id]: interpreter }, fileName: lang.fileName, entry: lang.fileName, userArgs, memoryBytes: limits.memoryBytes }),
        limits: compileBudget(limits, hook.limits),
        outputBytes: L.JUDGE_COMPILE_OUTPUT_BYTES,
      }
    : null;
  return {
    compile,
    run: [interpreter, ...lang.args(lang.fileName, userArgs, limits.memoryBytes)],
    addressSpaceOverheadBytes: lang.addressSpaceOverheadBytes,
    memoryErrorPatterns: lang.memoryErrorPatterns,
  };
}
