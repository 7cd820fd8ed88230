/**
 * The protocol's own timings that decide how many storage requests a run makes, read from core/limits.ts (never
 * re-typed here): change a poll period there and the cost model follows. Tests pass altered copies.
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
  /** The executor reads the control stream this often while the program waits for input... */
  controlPollWaitingMs: number;
  /** ...and this often while it computes or sleeps (and during a judge run, for a kill). */
  controlPollBusyMs: number;
  /** The executor rewrites the status this often while the run is alive. */
  heartbeatIntervalMs: number;
  /** Output is appended at most this often while it flows. */
  outputFlushIntervalMs: number;
}

export const PROTOCOL_TIMINGS: ProtocolTimings = {
  longPollIntervalMs: L.LONG_POLL_INTERVAL_MS,
  longPollFastIntervalMs: L.LONG_POLL_FAST_INTERVAL_MS,
  longPollFastWindowMs: L.LONG_POLL_FAST_WINDOW_MS,
  maxLongPollMs: L.MAX_LONG_POLL_MS,
  controlPollWaitingMs: L.CONTROL_POLL_WAITING_MS,
  controlPollBusyMs: L.CONTROL_POLL_BUSY_MS,
  heartbeatIntervalMs: L.HEARTBEAT_INTERVAL_MS,
  outputFlushIntervalMs: L.OUTPUT_FLUSH_INTERVAL_MS,
};
