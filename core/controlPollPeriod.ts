/**
 * How long the executor leaves between two reads of the control stream (core/limits.ts has the periods and says why):
 * fast while the program has just started waiting for its terminal, slower the longer the wait lasts, and a few
 * times a second while it computes or sleeps.
 */
import { CONTROL_POLL_BUSY_MS, CONTROL_POLL_WAITING_STEPS } from './limits';

/** `waitingForMs`: how long the program has been waiting for input (since the wait began or the last input), or null when it is not. */
export function controlPollPeriod(waitingForMs: number | null): number {
  if (waitingForMs === null) return CONTROL_POLL_BUSY_MS;
  return CONTROL_POLL_WAITING_STEPS.find((step) => waitingForMs < step.untilMs)!.everyMs;
}
