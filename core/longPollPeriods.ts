/**
 * How often a held long poll reads output and status (core/limits.ts has the periods and says why): a fast burst
 * after this API instance created the run or took its input, then slower the longer the poll waits without news.
 */
import { LONG_POLL_FAST_STEP, LONG_POLL_IDLE_STEPS } from './limits';

export interface LongPollPeriods {
  outputEveryMs: number;
  statusEveryMs: number;
}

/** `heldForMs`: how long this poll has waited without news; `fast`: within the burst after a create or an input. */
export function longPollPeriods(heldForMs: number, fast: boolean): LongPollPeriods {
  if (fast) return LONG_POLL_FAST_STEP;
  return LONG_POLL_IDLE_STEPS.find((step) => heldForMs < step.untilMs)!;
}
