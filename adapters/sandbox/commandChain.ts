/**
 * The one builder of a sandboxed command line, for runs and for the start-up probe alike:
 *
 *   prlimit … -- perl RUN_HEAD -- <0|1> [bwrap … --] perl FOREGROUND_AND_EXEC -- command…
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
}

/**
 * Processes of the uid besides the program's, which RLIMIT_NPROC (per uid) counts too: the run head, and under
 * bwrap its monitor and its pid-1 reaper.
 */
const WRAPPER_PROCESSES = { uid: 1, bwrap: 3 } as const;

export function commandChain({ tools, rlimits, bwrap, command }: CommandChainOptions): string[] {
  const processes = rlimits.processes + WRAPPER_PROCESSES[bwrap ? 'bwrap' : 'uid'];
  return [
    tools.prlimit,
    `--cpu=${rlimits.cpuSeconds}:${rlimits.cpuSeconds + 1}`,
    `--as=${rlimits.memoryBytes}`,
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
    bwrap ? '1' : '0',
    ...(bwrap ?? []),
    tools.perl,
    '-e',
    FOREGROUND_AND_EXEC,
    '--',
    ...command,
  ];
}
