/**
 * pocketrun's runtimes as Piston lists them (`[{language, version, aliases}]`), and Piston's way of naming one: a
 * language name or alias and a semver selector (`3.11.2`, `3.x`, `^3`, `*`). Names are Piston's where they differ
 * from the registry's ids (`c++`, not `cpp`); every registry id and alias is an alias, and so are Piston's own
 * aliases of a language, so either works.
 *
 * A version is that of what does the language's work. For TypeScript that is not Node (which runs the result) nor
 * tsc (never run here: no type check) but the transpiler, sucrase (core/transpileTypeScript.ts), whose version is
 * read from the very package the executor ships beside it. Piston's typescript is tsc 5.0.3
 * (packages/typescript/5.0.3/metadata.json); a client pinning `5.x` is refused rather than told a tsc ran, while
 * `*` or the listed version (what piston-client sends) runs.
 */
// The two functions alone, not the whole package: the api bundle has a size budget (test/integration/bundleSize).
import coerce = require('semver/functions/coerce');
import satisfies = require('semver/functions/satisfies');
import type { RuntimeInfo } from '../../core/protocol';
// Its `version` alone: the bundler keeps that one field of the package file, not the transpiler.
import { version as SUCRASE_VERSION } from 'sucrase/package.json';

export interface PistonRuntime {
  language: string;
  version: string;
  aliases: string[];
  /** Piston names the runtime behind a language where it is not the language itself (`node` for JavaScript). */
  runtime?: string;
}

const PISTON_NAMES: Record<string, string> = { cpp: 'c++' };
const PISTON_RUNTIMES: Record<string, string> = { javascript: 'node', typescript: 'node' };
/** Piston's aliases where it has more than the registry (packages/typescript/5.0.3/metadata.json). */
const PISTON_ALIASES: Record<string, string[]> = { typescript: ['ts', 'node-ts', 'tsc', 'typescript5', 'ts5'] };
/** The version of what does a language's work, where it is not the toolchain the executors probe. */
const PISTON_VERSIONS: Record<string, string> = { typescript: SUCRASE_VERSION };

/** A version semver can compare: `1.85.0`, `17.0.6`; a toolchain's `21` or `5.3` padded to three parts. */
export function semverOf(version: string): string {
  return coerce(version)?.version ?? '0.0.0';
}

export function pistonRuntime(info: RuntimeInfo): PistonRuntime {
  const language = PISTON_NAMES[info.language] ?? info.language;
  const aliases = [...new Set([info.language, ...info.aliases, ...(PISTON_ALIASES[info.language] ?? [])].filter((a) => a !== language))];
  return {
    language,
    version: semverOf(PISTON_VERSIONS[info.language] ?? info.version),
    aliases,
    ...(PISTON_RUNTIMES[info.language] ? { runtime: PISTON_RUNTIMES[info.language] } : {}),
  };
}

/** The runtime `language` (name or alias, any case) and `version` (a selector, `*` for any) name; undefined if none. */
export function resolvePistonRuntime(runtimes: readonly RuntimeInfo[], language: string, version: string): RuntimeInfo | undefined {
  const name = language.toLowerCase();
  return runtimes.find((info) => {
    const r = pistonRuntime(info);
    if (r.language !== name && !r.aliases.some((a) => a.toLowerCase() === name)) return false;
    return version === '*' || satisfies(r.version, version);
  });
}
