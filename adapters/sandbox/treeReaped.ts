/**
 * Whether a metered command's end proves that nothing of its uid is left, so that `spawnMetered().finish` may skip
 * its /proc sweep (about 1 ms of CPU per 100 host processes, on the path to a judge answer). The reasoning:
 * - The run head (runHead.ts) writes its report only after the program ended, once it has run `kill -9 -1` as the
 *   uid (every process of the uid gets SIGKILL in one pass under the tasklist lock; a fork racing with it is
 *   aborted, so no process of the uid can run user code after it) and then reaped with `waitpid(-1)`.
 * - It is a child subreaper and every process of the run descends from it (the uid is the cell's alone, and only
 *   root could start another process as it): once `waitpid(-1)` says there is no child left, no process of the run
 *   exists any more, not even a zombie.
 * - But that reaping wait gives up after its deadline (runHead.ts REAP_DEADLINE_S, an alarm) and the report
 *   is written all the same. So the report proves the tree gone only when the run head ended well before that
 *   deadline could have passed. The sandbox times, on a monotonic clock, from the metered spawn's making (just
 *   before the spawn) to its finish (after the exit): that bounds the run head's life from above, and the report's
 *   wall time (the run head's fork to the program's end) lies inside it, so the difference bounds the reaping from
 *   above. Under REAP_PROOF_MS (half the shortest deadline: margin for the two clocks) the loop ended because
 *   nothing was left.
 * - The program can never write the report (descriptor 3 is closed before it starts; the run head is not dumpable).
 * Without the report (the run head was killed: the stop's grace ran out, or the spawn failed) or past the bound,
 * the sweep runs as before. Either way the cell's dispose, after the final status, has the kernel's count of the
 * uid's processes prove it empty before its slot is cleaned (slotCleaner.ts, `alone`), else sweeps it from root,
 * and that sweep is what retires a uid something of which survived.
 */
import type { TreeUsage } from '../../core/ports';
import { REAP_DEADLINE_S } from './runHead';

/** Half the run head's reaping deadline. */
export const REAP_PROOF_MS = (REAP_DEADLINE_S * 1000) / 2;

/** `report`: the run head's, if it wrote one; `sinceSpawnMs`: from just before the spawn to after the exit. */
export function treeReaped(report: TreeUsage | undefined, sinceSpawnMs: number): boolean {
  if (!report) return false;
  return sinceSpawnMs - report.wallMs < REAP_PROOF_MS;
}
