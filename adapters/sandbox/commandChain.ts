/**
 * The one builder of a sandboxed command line, for runs and for the start-up probe alike:
 *
 *   perl -e RUN_HEAD -- [--usage-fd=N] [--write=SLOT] --rlimits=… 0 perl -e FOREGROUND_AND_EXEC -- command…   (uid isolation)
 *   perl -e RUN_HEAD -- [--usage-fd=N] --rlimits=… 2 perl -e FOREGROUND_AND_EXEC -- bwrap … -- command…   (bwrap, terminal)
 *   perl -e RUN_HEAD -- [--usage-fd=N] --rlimits=… 1 bwrap … -- command…   (bwrap, pipes)
 *
 * It starts as the run's uid: the spawner's prelude (process/spawnPrelude.ts) switches identity as root and then
 * hands over, so the chain holds no identity switch of its own, and the run head refuses to go on as root should
 * that switch ever be missing. Every perl step is a link (spawnPrelude.ts chainLink): the prelude, the run head and
 * the foreground helper (in the run head's child) run in one process, so a program costs the executor one exec of
 * perl before its own, and under bwrap bwrap's (each exec costs 7–9 ms on FC-sized machines). The rlimits are the
 * run head's to set.
 *
 * Under bwrap on a terminal the helper runs before bwrap, not inside it (where it was an exec of perl of its own):
 * the group it makes the terminal's foreground group then holds bwrap's monitor and pid-1 too. pid-1 of a pid
 * namespace ignores the terminal's signals; the monitor does not, so on a terminal it runs without
 * `--die-with-parent` (bwrap.ts BwrapRun.terminal): when Ctrl-C kills it, a program that handles the signal carries on
 * under its pid-1, which the run head then waits for (`2`, runHead.ts). On pipes (judge steps, compile steps, split
 * runs) there is no terminal to hand over, and what else the helper does (umask 077, SIGTSTP ignored) the run head's
 * child has already done before bwrap, which keeps both: a pipe run under bwrap goes without the helper.
 */
import type { Tools } from '../process/systemTools';
import { RLIMIT } from '../process/syscallNumbers';
import { FOREGROUND_AND_EXEC } from './foregroundAndExec';
import { RUN_HEAD } from './runHead';

/** What the run head sets, as whole positive numbers; `processes` counts the program's own (the chain adds its wrappers). */
export interface Rlimits {
  cpuSeconds: number;
  /** RLIMIT_AS; `Infinity` for none (a memory cgroup holds the program to its limit instead). */
  memoryBytes: number;
  processes: number;
  fileBytes: number;
  openFiles: number;
}

export interface CommandChainOptions {
  tools: Pick<Tools, 'perl'>;
  rlimits: Rlimits;
  /** bwrap and its arguments up to `--` (BwrapProfile.argv), or null for uid isolation. */
  bwrap: string[] | null;
  /** The program's command line as it resolves inside the sandbox. */
  command: string[];
  /**
   * Uid isolation: the trees the program may change (the run's slot); everything else of the filesystem it may only
   * read, where the kernel has Landlock (runHead.ts LANDLOCK). Ignored under bwrap.
   */
  writable?: string[];
  /** The descriptor the run head reports the program's figures on (runHead.ts `--usage-fd`), when the spawner gives one. */
  usageFd?: number;
  /**
   * Whether the chain will run on a terminal (the PTY spawner); default true. Only then does it need the foreground
   * helper under bwrap, and `bwrap` must then be BwrapProfile.argv with `terminal: true` (no `--die-with-parent`).
   */
  terminal?: boolean;
}

/**
 * Processes of the uid besides the program's, which RLIMIT_NPROC (per uid) counts too: the run head, and under
 * bwrap its monitor and its pid-1 reaper.
 */
const WRAPPER_PROCESSES = { uid: 1, bwrap: 3 } as const;

/** The run head's `--rlimits=` argument: `resource:soft:hard`, comma-separated, `inf` for none. */
export function rlimitsArgument(rlimits: Rlimits, bwrapped: boolean): string {
  const processes = rlimits.processes + WRAPPER_PROCESSES[bwrapped ? 'bwrap' : 'uid'];
  const memory = Number.isFinite(rlimits.memoryBytes) ? String(rlimits.memoryBytes) : 'inf';
  const set: Array<[number, string | number, string | number]> = [
    // SIGXCPU at the soft limit, SIGKILL a second later.
    [RLIMIT.cpu, rlimits.cpuSeconds, rlimits.cpuSeconds + 1],
    // Unlimited only where a memory cgroup holds the program to its limit instead (sandbox.ts spawnMetered).
    [RLIMIT.as, memory, memory],
    [RLIMIT.nproc, processes, processes],
    [RLIMIT.fsize, rlimits.fileBytes, rlimits.fileBytes],
    [RLIMIT.nofile, rlimits.openFiles, rlimits.openFiles],
    [RLIMIT.core, 0, 0],
    // No POSIX message queue at all: they outlive the run, and without /dev/mqueue mounted nothing could sweep them.
    [RLIMIT.msgqueue, 0, 0],
  ];
  for (const [, soft] of set) if (soft !== 'inf' && !(Number.isInteger(Number(soft)) && Number(soft) >= 0)) throw new Error(`commandChain: bad rlimit ${soft}`);
  return `--rlimits=${set.map((r) => r.join(':')).join(',')}`;
}

export function commandChain({ tools, rlimits, bwrap, command, usageFd, terminal = true, writable = [] }: CommandChainOptions): string[] {
  const foreground = [tools.perl, '-e', FOREGROUND_AND_EXEC, '--'];
  for (const tree of writable) if (!tree.startsWith('/')) throw new Error(`commandChain: writable tree ${tree} is not absolute`);
  const write = bwrap ? [] : writable.map((tree) => `--write=${tree}`);
  const head = [tools.perl, '-e', RUN_HEAD, '--', ...(usageFd === undefined ? [] : [`--usage-fd=${usageFd}`]), ...write, rlimitsArgument(rlimits, bwrap !== null)];
  if (!bwrap) return [...head, '0', ...foreground, ...command];
  // A terminal run under bwrap: the helper, a link in the run head's child, makes the foreground group before bwrap
  // (whose monitor and pid-1 join it) rather than an exec inside it; the run head is told (`2`, see runHead.ts).
  if (terminal) return [...head, '2', ...foreground, ...bwrap, ...command];
  return [...head, '1', ...bwrap, ...command];
}
