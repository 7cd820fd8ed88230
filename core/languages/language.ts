/**
 * What the registry knows about one language: how its toolchain is found and proved, how its code becomes a file,
 * an optional compile step and the run command, and what the page and `GET /api/runtimes` show. Pure data and
 * pure functions: the executor resolves the tools (core/runtimeProbe.ts) and runs the commands in the sandbox.
 */
import type { RunLimits } from '../protocol';

export const MiB = 1024 * 1024;

/** One executable a language needs (an interpreter, a compiler driver, a JVM launcher). */
export interface ToolSpec {
  /**
   * Absolute paths, tried in order; the first one the sandbox uid can really start wins. Only system folders a
   * sandbox sees in both isolation modes: FC's runtimes (/var/fc/lang), FC layers (/opt, see candidates.ts),
   * Debian's /usr/bin, /usr/local/bin. Never anything under a home folder (a sandbox uid cannot even reach it).
   */
  candidates: string[];
  /** Arguments that make it print its version and exit: run once per executor instance, as a sandbox uid. */
  versionArgs: string[];
}

/** What the command templates are filled with. */
export interface CommandContext {
  /** The resolved path of each of the language's tools, by the names of `Language.tools`. */
  tools: Record<string, string>;
  /** The source file in the run's working folder, e.g. `main.py`, `HelloWorld.java`. */
  fileName: string;
  /** What the run command starts besides the file: Java's main class; else the file name again. */
  entry: string;
  userArgs: string[];
  /** The run's memory limit, for runtimes that cap their own heap (V8, the JVM, PHP, Go's soft limit). */
  memoryBytes: number;
}

/** The limits a compile step may override (core/limits.ts COMPILE_* are the defaults). */
export type CompileLimitOverrides = Partial<Pick<RunLimits, 'memoryBytes' | 'processes' | 'cpuMs'>>;

export interface CompileStep {
  /** The compiler's command line, run in the run's folder, before the program, as the run's uid. */
  command(ctx: CommandContext): string[];
  limits?: CompileLimitOverrides;
}

/** A source transform the executor itself applies before the files are written (never running user code). */
export type SourceTransformName = 'typescript';

/** A transform's answer: the code to write, or what to print as the run's compile error. */
export type SourceTransform = (code: string, fileName: string) => { code: string } | { error: string };

export interface Language {
  /** What manifests, the API and the page use, e.g. `cpp`. */
  id: string;
  /** Shown to users, e.g. `C++`. */
  name: string;
  /** Other names accepted for the language, matched like the id: case-insensitively (`py`, `c++`, `golang`). */
  aliases: string[];
  /** The page's editor mode, e.g. `python`, `cpp`, `shell`. */
  editorMode: string;
  /** The file the code is written to and what the run command names (Java: the public class decides both). */
  source(code: string): { fileName: string; entry: string };
  tools: Record<string, ToolSpec>;
  /** The tool whose version is the language's version (`GET /api/runtimes`). */
  versionTool: string;
  /** Done by the executor before the file is written; its failure (a syntax error) is the run's compile error. */
  transform?: SourceTransformName;
  compile?: CompileStep;
  /** The program's command line (after any compile step), tool path first. */
  run(ctx: CommandContext): string[];
  /**
   * Extra environment for the compile step and the program. Values may name `${HOME}` and `${TMPDIR}`, which
   * the sandbox replaces with the run's own folders (compilers need writable caches there).
   */
  env(ctx: CommandContext): Record<string, string>;
  /**
   * Address space the runtime reserves beyond what it uses (V8 maps about 700 MiB of ranges at start): added to
   * the run's memory limit for RLIMIT_AS, while the runtime's own heap limit enforces the run's figure.
   */
  addressSpaceOverheadBytes: number;
  /** Output that means the program died for lack of memory (its address-space limit), checked on a failed exit. */
  memoryErrorPatterns: RegExp[];
  /** A program that prints `Hello, World!`: the page's example. */
  helloWorld: string;
}

/** `source` for languages whose file name does not depend on the code. */
export function fixedSource(fileName: string): Language['source'] {
  return () => ({ fileName, entry: fileName });
}
