/**
 * What the API reports about a run, derived from what is in storage. A running status whose heartbeat went
 * silent means the executor died (instance reclaimed, crash): the run is reported finished with
 * `internal_error`, so no client waits forever.
 */
import { HEARTBEAT_STALE_MS, RUN_QUEUE_MAX_MS } from './limits';
import type { RunResult, RunState, StatusDoc } from './protocol';

export interface RunView {
  state: RunState;
  result?: RunResult;
}

export const EXECUTOR_LOST = 'the executor stopped reporting (instance lost); the run was abandoned';

export function isStale(status: StatusDoc, now: number): boolean {
  return status.state === 'running' && now - Date.parse(status.heartbeatAt) > HEARTBEAT_STALE_MS;
}

export const NEVER_STARTED = `no executor took the run within ${RUN_QUEUE_MAX_MS / 60_000} minutes of its creation (its event expired); it will not start`;

/** A run without a status created this long ago will not start any more (see RUN_QUEUE_MAX_MS). */
const NEVER_STARTED_AFTER_MS = RUN_QUEUE_MAX_MS + HEARTBEAT_STALE_MS;

/** `createdAt`: when the run was created (ms), where known; a run without a status is then queued only so long. */
export function viewOf(status: StatusDoc | null, now: number, createdAt?: number): RunView {
  if (!status) {
    if (createdAt !== undefined && now - createdAt > NEVER_STARTED_AFTER_MS) {
      return { state: 'finished', result: { status: 'internal_error', exitCode: null, signal: null, wallMs: 0, message: NEVER_STARTED } };
    }
    return { state: 'queued' };
  }
  if (status.state === 'finished' && status.result) return { state: 'finished', result: status.result };
  if (isStale(status, now)) {
    return {
      state: 'finished',
      result: {
        status: 'internal_error',
        exitCode: null,
        signal: null,
        wallMs: Math.max(0, Date.parse(status.heartbeatAt) - Date.parse(status.startedAt)),
        message: EXECUTOR_LOST,
      },
    };
  }
  return { state: 'running' };
}
