/**
 * Kills every process of a sandbox uid: double-forked, setsid'd, signal-ignoring, stopped, in another pid
 * namespace, forking as fast as it can.
 *
 * Each round: scan `/proc` for live processes of the uid (by `/proc/<pid>/status`, which a process cannot
 * hide by making itself non-dumpable); if any, run `kill -9 -1` AS the uid (the kernel signals every process
 * the caller may signal in one pass under the tasklist lock, and a fork racing with it is aborted, so a fork
 * bomb cannot outrun it), then SIGKILL each found pid from root for good measure. Zombies are skipped: they
 * are already dead and vanish when their parent reaps them.
 */
import { KILL_SWEEP_ROUNDS } from '../core/limits';
import type { Tools } from './execWrappers';
import { processesOfUids } from './procfs';
import { runAsUid } from './runAsUid';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SweepOutcome {
  /** Pids still alive after the last round, by uid (empty when everything is gone). */
  survivors: Map<number, number[]>;
  rounds: number;
}

/** Kills every process of every uid in `uids` (gid = uid). */
export async function killProcessesOf(
  tools: Pick<Tools, 'perl' | 'setpriv' | 'bash'>,
  uids: Iterable<number>,
  rounds = KILL_SWEEP_ROUNDS,
): Promise<SweepOutcome> {
  const targets = new Set(uids);
  let found = processesOfUids(targets);
  let round = 0;
  while (found.size > 0 && round < rounds) {
    round++;
    for (const [uid, pids] of found) {
      runAsUid(tools, uid, uid, [tools.bash, '-c', 'kill -9 -1'], { timeoutMs: 5_000 });
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    // Dying takes a moment (the kernel frees memory, parents reap); back off a little each round.
    await sleep(Math.min(2 + round * 2, 25));
    found = processesOfUids(targets);
  }
  return { survivors: found, rounds: round };
}
