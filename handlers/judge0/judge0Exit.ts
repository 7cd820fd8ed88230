/**
 * `exit_code` and `exit_signal` of a program that ran, as Judge0's app/jobs/isolate_job.rb reads them from isolate's
 * meta file: `exit_code = exitcode || 0`, `exit_signal = exitsig`. Isolate (isolate.c, box_keeper) writes `exitcode`
 * only for a program that exited, `exitsig` only for one that died of a signal, and neither for one it stopped at a
 * time limit (it kills the box and says `status:TO`, `killed:1`). So a signal's death is exit code 0 beside its
 * number, never a null code, and a time limit is 0 and null, whatever the program was killed with here.
 *
 * The signal of an output or disk limit is SIGXFSZ, the one its status 8 names (Judge0's file size limit raises
 * it); a memory limit's is SIGKILL, what isolate's memory cgroup kills with, also where pocketrun's RSS watch (no
 * cgroup) stopped the program through its run head with SIGTERM.
 */
import { constants } from 'os';
import type { ExecuteResult } from '../../core/judge/executeResult';

/** Judge0's statuses whose exit these rules set: *Time Limit Exceeded* and *Runtime Error (SIGXFSZ)*. */
const TIME_LIMIT_STATUS = 5;
const FILE_SIZE_STATUS = 8;

export interface Judge0Exit {
  exit_code: number;
  exit_signal: number | null;
}

export function judge0Exit(result: Pick<ExecuteResult, 'status' | 'exitCode' | 'signal'>, statusId: number): Judge0Exit {
  if (statusId === TIME_LIMIT_STATUS) return { exit_code: 0, exit_signal: null };
  const name = statusId === FILE_SIZE_STATUS ? 'SIGXFSZ' : result.status === 'memory_limit' && result.signal === 'SIGTERM' ? 'SIGKILL' : result.signal;
  const signal = name ? ((constants.signals as Record<string, number>)[name] ?? null) : null;
  return { exit_code: signal !== null ? 0 : (result.exitCode ?? 0), exit_signal: signal };
}
