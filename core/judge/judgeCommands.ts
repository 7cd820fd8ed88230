/**
 * What the judge runs for a language: its compile step (the compile hook) if the registry gives it one, and the
 * program's command, both from the language's templates (core/languages/) filled with the run's context. A compiled
 * language is compiled once, before the first test, in the same cell, under the compile budget every compile step
 * has (core/compileLimits.ts); the others run at once.
 */
import { compileLimits, type CompileBudget } from '../compileLimits';
import type { CommandContext, Language } from '../languages';
import type { RunLimits } from '../protocol';

export interface CompileCommand {
  command: string[];
  /** The compile budget: not the program's limits. Its `outputBytes` is the compiler output kept. */
  limits: RunLimits;
}

export interface JudgeCommands {
  compile: CompileCommand | null;
  run: string[];
  addressSpaceOverheadBytes: number;
  memoryErrorPatterns: RegExp[];
}

/** Whether the language has a compile step (the API's wait then includes the compile budget). */
export function hasCompileStep(lang: Language): boolean {
  return lang.compile !== undefined;
}

export function judgeCommandsOf(lang: Language, ctx: CommandContext, limits: RunLimits, compileBudget?: CompileBudget): JudgeCommands {
  return {
    compile: lang.compile ? { command: lang.compile.command(ctx), limits: compileLimits(lang.compile, limits, compileBudget) } : null,
    run: lang.run(ctx),
    addressSpaceOverheadBytes: lang.addressSpaceOverheadBytes,
    memoryErrorPatterns: lang.memoryErrorPatterns,
  };
}
