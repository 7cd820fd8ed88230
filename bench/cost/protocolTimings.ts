/**
 * The protocol's own timings that decide how many storage requests a run makes, read from core/limits.ts (never
 * re-typed here): change a poll period there and the cost model follows. Tests pass altered copies;
 * test/unit/costAgainstCode.test.ts says when the code's requests and these part ways.
 */
import * as L from '../../core/limits';

export interface ProtocolTimings {
  /** Judge mode's wait reads the status this often (and a client asking as often as a held long poll first looks). */
  longPollIntervalMs: number;
  /** ...after its first `longPollFastWindowMs`, in which it reads the status every `longPollFastIntervalMs`. */
  longPollFastIntervalMs: number;
  longPollFastWindowMs: number;
  /**
   * A held output long poll reads the output every `outputEveryMs` and the status (beside it) every `statusEveryMs`
   * for `longPollFastWindowMs` after a create or an input...
   */
  longPollFastStep: { outputEveryMs: number; statusEveryMs: number };
  /** Longest a long poll is held before it answers empty. */
  maxLongPollMs: number;
  /**
   * ...and otherwise reads the output every `outputEveryMs` and the status (beside it) every `statusEveryMs`, slower
   * the longer the poll is held without news: each step holds from the previous one's `untilMs` (the first from the
   * poll's start) to its own; the next poll starts at the first step again.
   */
  longPollIdleSteps: ReadonlyArray<{ untilMs: number; outputEveryMs: number; statusEveryMs: number }>;
  /**
   * The executor reads the control stream this often while the program waits for input: each step holds from the
   * previous one's `untilMs` (the first from the wait's start) to its own...
   */
  controlPollWaitingSteps: ReadonlyArray<{ untilMs: number; everyMs: number }>;
  /** ...and this often while it computes or sleeps (and during a judge run, for a kill). */
  controlPollBusyMs: number;
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

/** Control polls during a wait of `waitMs` from its start: whole periods of each step. */
export function controlPollsOverWait(t: Pick<ProtocolTimings, 'controlPollWaitingSteps'>, waitMs: number): number {
  let from = 0;
  let polls = 0;
  for (const step of t.controlPollWaitingSteps) {
    const to = Math.min(step.untilMs, waitMs);
    // The executor keeps each period from one read's start to the next (core/run.ts).
    if (to > from) polls += Math.floor((to - from) / step.everyMs);
    from = step.untilMs;
    if (from >= waitMs) break;
  }
  return polls;
}

/** Looks of a held long poll after its first, outside the fast window: whole periods of each idle step. */
export interface PollLooks {
  output: number;
  status: number;
}

/**
 * Looks of one poll held from `fromMs` to `toMs` of its hold (its first look, at 0, not counted): whole output and
 * status periods of each idle step over that span.
 */
export function idleLooksOfHold(t: Pick<ProtocolTimings, 'longPollIdleSteps'>, fromMs: number, toMs: number): PollLooks {
  let start = 0;
  const looks = { output: 0, status: 0 };
  for (const step of t.longPollIdleSteps) {
    const a = Math.max(start, fromMs);
    const b = Math.min(step.untilMs, toMs);
    if (b > a) {
      looks.output += Math.floor((b - a) / step.outputEveryMs);
      looks.status += Math.floor((b - a) / step.statusEveryMs);
    }
    start = step.untilMs;
    if (start >= toMs) break;
  }
  return looks;
}

/**
 * Looks of a silence of `silenceMs` watched by successive held polls (each at most `maxLongPollMs`, each starting at
 * the first idle step again), the first `skipMs` of it counted elsewhere (the fast window); `emptyAnswers` is how many
 * polls the silence takes beyond its first (the empty answers at each hold's end), whose first looks are not counted.
 */
export function idleLooksOfSilence(t: Pick<ProtocolTimings, 'longPollIdleSteps' | 'maxLongPollMs'>, silenceMs: number, skipMs = 0): PollLooks & { emptyAnswers: number } {
  const looks = { output: 0, status: 0, emptyAnswers: 0 };
  for (let holdStart = 0; holdStart < silenceMs; holdStart += t.maxLongPollMs) {
    const end = Math.min(t.maxLongPollMs, silenceMs - holdStart);
    const hold = idleLooksOfHold(t, Math.max(0, skipMs - holdStart), end);
    looks.output += hold.output;
    looks.status += hold.status;
    if (end === t.maxLongPollMs && holdStart + end < silenceMs) looks.emptyAnswers++;
  }
  return looks;
}

export const PROTOCOL_TIMINGS: ProtocolTimings = {
  longPollIntervalMs: L.LONG_POLL_INTERVAL_MS,
  longPollFastIntervalMs: L.LONG_POLL_FAST_INTERVAL_MS,
  longPollFastWindowMs: L.LONG_POLL_FAST_WINDOW_MS,
  longPollFastStep: L.LONG_POLL_FAST_STEP,
  maxLongPollMs: L.MAX_LONG_POLL_MS,
  // Slower the longer a poll waits without news (core/longPollPeriods.ts).
  longPollIdleSteps: L.LONG_POLL_IDLE_STEPS,
  // Fast at the start of each wait, then slower (core/run.ts).
  controlPollWaitingSteps: L.CONTROL_POLL_WAITING_STEPS,
  controlPollBusyMs: L.CONTROL_POLL_BUSY_MS,
  // The loop sleeps the fastest waiting period between two looks (core/run.ts).
  heartbeatIntervalMs: L.HEARTBEAT_INTERVAL_MS,
  outputFlushIntervalMs: L.OUTPUT_FLUSH_INTERVAL_MS,
  // core/runService.ts: a run this instance created or fed is neither HEADed while queued nor before an append.
  apiHeadsKnownRuns: false,
};
