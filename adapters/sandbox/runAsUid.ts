/**
 * Runs a short trusted command as a sandbox uid, synchronously: root perl closes every inherited descriptor
 * (the executor holds other runs' PTY masters, which are not close-on-exec), then setpriv drops to the uid
 * with no supplementary group and no_new_privs. Used for `kill -9 -1` sweeps, the bwrap probe and interpreter
 * checks; never for user code.
 */
import { spawnSync } from 'child_process';
import { CLOSE_FDS_AND_EXEC, dropPrivilegeArgs } from '../process/spawnPrelude';
import type { Tools } from '../process/systemTools';

export interface RunAsResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

export function runAsUid(
  tools: Pick<Tools, 'perl' | 'setpriv'>,
  uid: number,
  gid: number,
  argv: string[],
  options: { timeoutMs?: number; cwd?: string; env?: Record<string, string> } = {},
): RunAsResult {
  const result = spawnSync(
    tools.perl,
    ['-e', CLOSE_FDS_AND_EXEC, '--', tools.setpriv, ...dropPrivilegeArgs(uid, gid), '--', ...argv],
    {
      cwd: options.cwd ?? '/',
      env: options.env ?? { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 10_000,
      killSignal: 'SIGKILL',
      encoding: 'utf8',
      maxBuffer: 1024 * 1024,
    },
  );
  return {
    status: result.status,
    signal: result.signal,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? '',
    error: result.error,
  };
}
