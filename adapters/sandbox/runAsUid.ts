/**
 * Runs a short trusted command as a sandbox uid, synchronously, through the same prelude and identity switch as a
 * program (process/spawnPrelude.ts): the executor holds other runs' PTY masters, which are not close-on-exec. Used
 * for `kill -9 -1` sweeps, the start-up probes (bwrap, private /proc, shared-folder guard) and interpreter checks;
 * never for user code.
 */
import { spawnSync } from 'child_process';
import { withSpawnPrelude } from '../process/spawnPrelude';
import type { Tools } from '../process/systemTools';

export interface RunAsResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

export interface RunAsOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
  /** Supplementary groups of the identity (default none). */
  groups?: number[];
  /** A /proc of its own, as a program would get it. */
  privateProc?: boolean;
  /** A network namespace of its own, loopback only, as a program would get it. */
  privateNet?: boolean;
}

export function runAsUid(tools: Pick<Tools, 'perl'>, uid: number, gid: number, argv: string[], options: RunAsOptions = {}): RunAsResult {
  const [file, ...args] = withSpawnPrelude(tools, argv, { identity: { uid, gid, groups: options.groups }, privateProc: options.privateProc, privateNet: options.privateNet });
  const result = spawnSync(file, args, {
    cwd: options.cwd ?? '/',
    env: options.env ?? { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 10_000,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  return {
    status: result.status,
    signal: result.signal,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    error: result.error,
  };
}
