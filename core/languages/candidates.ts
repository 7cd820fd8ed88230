/**
 * Where a tool may be, in the order tried (ToolSpec.candidates):
 * 1. FC's own runtimes, `/var/fc/lang/<runtime>/bin/<name>` (custom.debian10 has nodejs20 and python3.10 only);
 * 2. FC layers. FC unpacks a function's layers under /opt. The convention here: a layer carrying a toolchain puts
 *    it in a folder of its own, `/opt/<layer>/`, with its executables in `/opt/<layer>/bin/` (e.g.
 *    `/opt/gcc/bin/gcc`, `/opt/jdk/bin/javac`), or links them into `/opt/bin/`. Layers are deliberate, so they come
 *    before the system's own;
 * 3. the system's: Debian's /usr/bin, then /usr/local/bin.
 * All of these are visible read-only under bwrap too (adapters/sandbox/bwrap.ts mounts /usr, /var/fc/lang, and /opt when it holds a toolchain).
 */

export const FC_RUNTIMES = '/var/fc/lang';
export const LAYERS_ROOT = '/opt';

export interface CandidateOptions {
  /** FC runtime folder under /var/fc/lang holding the tool, e.g. `nodejs20`. */
  fcRuntime?: string;
  /** Layer folders under /opt that may hold it, e.g. `['gcc']`. */
  layers?: string[];
  /** More system paths after the usual ones, e.g. the official Go tarball's `/usr/local/go/bin/go`. */
  extra?: string[];
}

export function toolCandidates(name: string, options: CandidateOptions = {}): string[] {
  return [
    ...(options.fcRuntime ? [`${FC_RUNTIMES}/${options.fcRuntime}/bin/${name}`] : []),
    ...(options.layers ?? []).map((layer) => `${LAYERS_ROOT}/${layer}/bin/${name}`),
    `${LAYERS_ROOT}/bin/${name}`,
    `/usr/bin/${name}`,
    `/usr/local/bin/${name}`,
    ...(options.extra ?? []),
  ];
}

/** The sandbox's PATH with the folders of these tools first, for drivers that find their helpers on PATH (gcc's
 * `as`/`ld`, rustc's `cc`) when a toolchain lives in a layer. */
export function pathWith(...tools: string[]): string {
  const folders = tools.map((tool) => tool.slice(0, tool.lastIndexOf('/')) || '/');
  return [...new Set([...folders, '/usr/local/bin', '/usr/bin', '/bin'])].join(':');
}
