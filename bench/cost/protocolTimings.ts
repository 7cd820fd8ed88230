/**
 * The protocol's own timings that decide how many storage requests a run makes, read from core/limits.ts (never
 * re-typed here): change a poll period there and the cost model follows. Tests pass altered copies;
 * test/unit/costAgainstCode.test.ts says when the code's requests and these part ways.
 */
import * as L from '../../core/limits';

export interface ProtocolTimings {
  /** A held output long poll looks at storage this often (status + output)... */
  longPollIntervalMs: number;
  /** ...and this often for `longPollFastWindowMs` after a create or an input. */
  longPollFastIntervalMs: number;
  longPollFastWindowMs: number;
  /** Longest a long poll is held before it answers empty. */
  maxLongPollMs: number;
  /** A held long poll reads the status (beside the output) at most this often outside the fast window. */
  longPollStatusIntervalMs: number;
  /**
   * The executor reads the control stream this often while the program waits for input: each step holds from the
   * previous one's `untilMs` (the first from the wait's start) to its own...
   */
  controlPollWaitingSteps: ReadonlyArray<{ untilMs: number; everyMs: number }>;
  /** ...and this often while it computes or sleeps (and during a judge run, for a kill). */
  controlPollBusyMs: number;
  /**
   * The executor's control loop wakes this often to look whether the program waits (a local check): a poll period
   * that is not a multiple of it takes the next multiple.
   */
  controlLoopTickMs: number;
  /** The executor rewrites the status this often while the run is alive. */
  heartbeatIntervalMs: number;
  /** Output is appended at most this often while it flows. */
  outputFlushIntervalMs: number;
  /**
   * Not a timing but a shape of the code: whether the API HEADs what it could know itself for a run it created or
   * fed (the manifest while the run is queued, the control stream's size before an input's append).
   */
  apiHeadsKnownRuns: boolean;
}

/** A control poll period as the executor's loop keeps it: the next multiple of its tick. */
export function controlPollPeriodMs(t: Pick<ProtocolTimings, 'controlLoopTickMs'>, everyMs: number): number {
  return Math.ceil(everyMs / t.controlLoopTickMs - 1e-9) * t.controlLoopTickMs;
}

/** Control polls during a wait of `waitMs` from its start: whole periods of each step. */
export function controlPollsOverWait(t: Pick<ProtocolTimings, 'controlPollWaitingSteps' | 'controlLoopTickMs'>, waitMs: number): number {
  let from = 0;
  let polls = 0;
  for (const step of t.controlPollWaitingSteps) {
    const to = Math.min(step.untilMs, waitMs);
    if (to > from) polls += Math.floor((to - from) / controlPollPeriodMs(t, step.everyMs));
    from = step.untilMs;
    if (from >= waitMs) break;
  }
  return polls;
}

export const PROTOCOL_TIMINGS: ProtocolTimings = {
  longPollIntervalMs: L.LONG_POLL_INTERVAL_MS,
  longPollFastIntervalMs: L.LONG_POLL_FAST_INTERVAL_MS,
  longPollFastWindowMs: L.LONG_POLL_FAST_WINDOW_MS,
  maxLongPollMs: L.MAX_LONG_POLL_MS,
  // A held long poll reads the status beside the output, less often than the output (core/runService.ts).
  longPollStatusIntervalMs: L.LONG_POLL_IDLE_STEPS[0].statusEveryMs,
  // Fast at the start of each wait, then slower (core/run.ts).
  controlPollWaitingSteps: L.CONTROL_POLL_WAITING_STEPS,
  controlPollBusyMs: L.CONTROL_POLL_BUSY_MS,
  // The loop sleeps the fastest waiting period between two looks (core/run.ts).
  controlLoopTickMs: L.CONTROL_POLL_WAITING_MS,
  heartbeatIntervalMs: L.HEARTBEAT_INTERVAL_MS,
  outputFlushIntervalMs: L.OUTPUT_FLUSH_INTERVAL_MS,
  // core/runService.ts: a run this instance created or fed is neither HEADed while queued nor before an append.
  apiHeadsKnownRuns: false,
};
