/**
 * How a sandboxed command on pipes is ended early (a judge step past a limit, a background probe giving way): SIGTERM,
 * on which the run head (adapters/sandbox/runHead.ts) kills the uid's processes, reaps them itself and still writes
 * its report, then SIGKILL to the whole group past STOP_GRACE_MS. Killed outright, the run head would leave its tree
 * to the host's init, whose late reaping (about 2 s on the test VM) the cell's clean-up then waits out.
 */
import type { Clock, SpawnedProcess, Timer } from './ports';

/** How long the run head has to end the command before the whole process group is killed outright. */
export const STOP_GRACE_MS = 2_000;

/** Sends SIGTERM now and SIGKILL past STOP_GRACE_MS; returns the SIGKILL's timer, for the exit to cancel. */
export function stopThroughRunHead(proc: Pick<SpawnedProcess, 'kill'>, clock: Clock): Timer {
  proc.kill('SIGTERM');
  return clock.setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
}
