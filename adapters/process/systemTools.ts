/**
 * The one lookup of the system tools the spawners and the sandbox exec: perl-base (the prelude, the identity switch,
 * the run head and the other helpers: process/spawnPrelude.ts) and bash. Absolute paths only, never PATH: the executor's PATH is whatever the host runtime set, and a
 * tool found through it would be whatever that folder holds.
 */
import * as fs from 'fs';

const CANDIDATES = {
  perl: ['/usr/bin/perl', '/bin/perl'],
  bash: ['/bin/bash', '/usr/bin/bash'],
} as const;

export type ToolName = keyof typeof CANDIDATES;
export type Tools = Record<ToolName, string>;

/** The first of `candidates` that is an executable regular file, or null. */
export function findTool(candidates: readonly string[]): string | null {
  for (const candidate of candidates) {
    try {
      const st = fs.statSync(candidate);
      if (st.isFile() && (st.mode & 0o111) !== 0) return candidate;
    } catch {
      // next
    }
  }
  return null;
}

const found = new Map<ToolName, string | null>();

/** Where `name` is on this host, or null; looked up once per process. */
export function systemTool(name: ToolName): string | null {
  if (!found.has(name)) found.set(name, findTool(CANDIDATES[name]));
  return found.get(name)!;
}

/** Every tool the sandbox needs, or null if any is missing. */
export function systemTools(): Tools | null {
  const tools: Partial<Tools> = {};
  for (const name of Object.keys(CANDIDATES) as ToolName[]) {
    const file = systemTool(name);
    if (!file) return null;
    tools[name] = file;
  }
  return tools as Tools;
}
