/**
 * The one builder of a sandboxed command line, for runs and for the start-up probe alike:
 *
 *   prlimit … -- perl RUN_HEAD -- [--usage-fd=N] <0|1> [bwrap … --] perl FOREGROUND_AND_EXEC -- command…
 *
 * It starts as the run's uid: the spawner's prelude (process/spawnPrelude.ts) switches identity as root and then
 * execs it, so the chain holds no identity switch of its own, and the run head refuses to go on as root should
 * that switch ever be missing.
 */
import type { Tools } from '../process/systemTools';
import { FOREGROUND_AND_EXEC } from './foregroundAndExec';
import { RUN_HEAD } from './runHead';

/** What prlimit sets, as whole positive numbers; `processes` counts the program's own (the chain adds its wrappers). */
export interface Rlimits {
  cpuSeconds: number;
  /** RLIMIT_AS; `Infinity` for none (a memory cgroup holds the program to its limit instead). */
  memoryBytes: number;
  processes: number;
  fileBytes: number;
  openFiles: number;
}

export interface CommandChainOptions {
  tools: Pick<Tools, 'perl' | 'prlimit'>;
  rlimits: Rlimits;
  /** bwrap and its arguments up to `--` (BwrapProfile.argv), or null for uid isolation. */
  bwrap: string[] | null;
  /** The program's command line as it resolves inside the sandbox. */
  command: string[];
  /** The descriptor the run head reports the program's figures on (runHead.ts `--usage-fd`), when the spawner gives one. */
  usageFd?: number;
}

/**
 * Processes of the uid besides the program's, which RLIMIT_NPROC (per uid) counts too: the run head, and under
 * bwrap its monitor and its pid-1 reaper.
 */
const WRAPPER_PROCESSES = { uid: 1, bwrap: 3 } as const;

export function commandChain({ tools, rlimits, bwrap, command, usageFd }: CommandChainOptions): string[] {
  const processes = rlimits.processes + WRAPPER_PROCESSES[bwrap ? 'bwrap' : 'uid'];
  return [
    tools.prlimit,
    `--cpu=${rlimits.cpuSeconds}:${rlimits.cpuSeconds + 1}`,
    // Unlimited only where a memory cgroup holds the program to its limit instead (sandbox.ts spawnMetered).
    `--as=${Number.isFinite(rlimits.memoryBytes) ? rlimits.memoryBytes : 'unlimited'}`,
    `--nproc=${processes}`,
    `--fsize=${rlimits.fileBytes}`,
    `--nofile=${rlimits.openFiles}`,
    '--core=0',
    // No POSIX message queue at all: they outlive the run, and without /dev/mqueue mounted nothing could sweep them.
    '--msgqueue=0',
    '--',
    tools.perl,
    '-e',
    RUN_HEAD,
    '--',
    ...(usageFd === undefined ? [] : [`--usage-fd=${usageFd}`]),
    bwrap ? '1' : '0',
    ...(bwrap ?? []),
    tools.perl,
    '-e',
    FOREGROUND_AND_EXEC,
    '--',
    ...command,
  ];
}
