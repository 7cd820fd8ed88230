/**
 * pocketrun's runtimes as Piston lists them (`[{language, version, aliases}]`), and Piston's way of naming one: a
 * language name or alias and a semver selector (`3.11.2`, `3.x`, `^3`, `*`). Names are Piston's where they differ
 * from the registry's ids (`c++`, not `cpp`); every registry id and alias is an alias, so either works.
 */
// The two functions alone, not the whole package: the api bundle has a size budget (test/integration/bundleSize).
import coerce = require('semver/functions/coerce');
import satisfies = require('semver/functions/satisfies');
import type { RuntimeInfo } from '../../core/protocol';

export interface PistonRuntime {
  language: string;
  version: string;
  aliases: string[];
  /** Piston names the runtime behind a language where it is not the language itself (`node` for JavaScript). */
  runtime?: string;
}

const PISTON_NAMES: Record<string, string> = { cpp: 'c++' };
const PISTON_RUNTIMES: Record<string, string> = { javascript: 'node', typescript: 'node' };

/** A version semver can compare: `1.85.0`, `17.0.6`; a toolchain's `21` or `5.3` padded to three parts. */
export function semverOf(version: string): string {
  return coerce(version)?.version ?? '0.0.0';
}

export function pistonRuntime(info: RuntimeInfo): PistonRuntime {
  const language = PISTON_NAMES[info.language] ?? info.language;
  const aliases = [...new Set([info.language, ...info.aliases].filter((a) => a !== language))];
  return {
    language,
    version: semverOf(info.version),
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
