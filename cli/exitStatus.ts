/**
 * The exit status `pocketrun run` gives a run's end, as README *Command line* states it: the program's own when it
 * ended by itself (`ok`, `runtime_error`), 128 + n when a signal of its own doing killed it, 124 for a timeout (as
 * coreutils' `timeout`), and 1 for every other end the platform imposed (output, memory or disk limit, a kill, a
 * compile error, an internal error). The platform's ends are read first: a timed-out program is stopped by SIGTERM
 * (and a killed one by SIGKILL), and that signal is the platform's, not the program's.
 */
import * as os from 'os';
import type { OutputChunk } from './apiClient';

export type RunEnd = Pick<NonNullable<OutputChunk['result']>, 'status' | 'exitCode' | 'signal'>;

/** The status of `timeout(1)` when the command timed out. */
export const TIMEOUT_STATUS = 124;

export function exitStatusOf(result: RunEnd): number {
  if (result.status === 'timeout') return TIMEOUT_STATUS;
  if (result.status !== 'ok' && result.status !== 'runtime_error') return 1;
  if (result.exitCode !== null && result.exitCode !== undefined) return result.exitCode;
  const signal = result.signal ? (os.constants.signals as Record<string, number>)[result.signal] : undefined;
  return signal ? 128 + signal : 1;
}
