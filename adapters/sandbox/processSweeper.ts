/**
 * Kills every process of a sandbox uid: double-forked, setsid'd, signal-ignoring, stopped, in another pid
 * namespace, forking as fast as it can.
 *
 * First the orderly way (see `killProcessesOf`), then rounds until none is left. Each round: scan `/proc` for live processes of the uid (by `/proc/<pid>/status`, which a process cannot
 * hide by making itself non-dumpable); if any, run `kill -9 -1` AS the uid (the kernel signals every process
 * the caller may signal in one pass under the tasklist lock, and a fork racing with it is aborted, so a fork
 * bomb cannot outrun it), then SIGKILL each found pid from root for good measure. The dead are skipped: they
 * vanish when their parent reaps them (procfs.ts isDead: not a zombie leader whose threads still run).
 */
import { KILL_SWEEP_ROUNDS } from '../../core/limits';
import { systemTools, type Tools } from '../process/systemTools';
import { identitiesOfUids, isDead, processesOfUids, readIdentity, type ProcIdentity } from '../process/procfs';
import { runAsUid } from './runAsUid';
import { chainLink } from '../process/spawnPrelude';

/** `kill -9 -1` as the uid: every process it may signal, in one pass under the tasklist lock. */
const KILL_ALL_OF_UID = chainLink('kill 9, -1; exit 0;');

/** After a round that had to kill, how long the uid must stay empty before it counts as gone. */
const CONFIRM_EMPTY_MS = 20;

/** How long an orderly end gets to unwind (the run head kills and reaps; bwrap's monitor exits). */
const UNWIND_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SweepOutcome {
  /** Pids still alive after the last round, by uid (empty when everything is gone). */
  survivors: Map<number, number[]>;
  rounds: number;
  /** Whether dead processes of the uids were still waiting to be reaped at the sweep's last look (see awaitReaped). */
  zombies: boolean;
}

function killIfOwnedBy(pid: number, uid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!readIdentity(pid)?.uids.includes(uid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

/** Kills every process of every uid in `uids` (gid = uid). */
export async function killProcessesOf(
  tools: Pick<Tools, 'perl'>,
  uids: Iterable<number>,
  rounds = KILL_SWEEP_ROUNDS,
): Promise<SweepOutcome> {
  const targets = new Set(uids);
  // Orderly first. A run head still alive (a child of this process: see RUN_HEAD) is asked to end its run: it
  // kills everything of its uid and reaps it all, orphans included. Then any pid 1 of a pid namespace (bwrap):
  // killing it makes the kernel kill and reap everything inside. Killing whole chains at once instead leaves
  // zombies to the host's init, which count against the uid's RLIMIT_NPROC until init reaps them.
  const steps = [
    [(id: ProcIdentity) => id.ppid === process.pid, 'SIGUSR1'],
    [(id: ProcIdentity) => id.namespaceInit, 'SIGKILL'],
  ] as const;
  // The usual case (the run head ended its run): one scan of /proc, and nothing more to do.
  const first = identitiesOfUids(targets, true);
  let live: ProcIdentity[] | null = first.filter((id) => !isDead(id));
  if (live.length === 0) return { survivors: new Map(), rounds: 0, zombies: first.length > 0 };
  for (const [select, signal] of steps) {
    const group = (live ?? identitiesOfUids(targets)).filter(select);
    live = null;
    if (group.length === 0) continue;
    for (const { pid, uids: [uid] } of group) killIfOwnedBy(pid, uid, signal);
    const until = Date.now() + UNWIND_MS;
    while (Date.now() < until && processesOfUids(targets).size > 0) await sleep(5);
  }
  let found = processesOfUids(targets);
  let round = 0;
  while (found.size > 0 && round < rounds) {
    round++;
    for (const [uid, pids] of found) {
      // From root, pid by pid, each re-checked just before (a pid freed since the scan may be reused)...
      for (const pid of pids) killIfOwnedBy(pid, uid);
      // ...then as the uid itself, which cannot reach anything else and cannot be outrun by forks.
      // A link (process/spawnPrelude.ts): the prelude runs it in its own process once it is the uid, no further exec.
      runAsUid(tools, uid, uid, [tools.perl, '-e', KILL_ALL_OF_UID], { timeoutMs: 5_000 });
    }
    // Dying takes a moment (the kernel frees memory, parents reap); back off a little each round.
    await sleep(Math.min(2 + round * 2, 25));
    found = processesOfUids(targets);
    // Something had to be killed here, so something may be starting them: one empty scan is a moment, not proof.
    if (found.size === 0) {
      await sleep(CONFIRM_EMPTY_MS);
      found = processesOfUids(targets);
    }
  }
  // `found` is by uid: the dead are what the scan with them lists beyond its live pids.
  const alive = [...found.values()].reduce((n, pids) => n + pids.length, 0);
  return { survivors: found, rounds: round, zombies: identitiesOfUids(targets, true).length > alive };
}

/** How long a uid's clean-up waits for its dead processes to be reaped before it goes back into service anyway. */
const REAP_WAIT_MS = 5_000;

/**
 * Waits (at most REAP_WAIT_MS) until no dead process of `uids` waits to be reaped; resolves to whether none does.
 * A zombie runs nothing, but counts against its uid's RLIMIT_NPROC until its parent reaps it: one left to the host's
 * init (a run head killed from outside leaves its orphans there; the init of some VMs reaps seconds late) would take
 * a process from the limit of the uid's next run, and a fork bomb's could leave that run unable to start at all.
 */
export async function awaitReaped(uids: Iterable<number>, maxMs = REAP_WAIT_MS): Promise<boolean> {
  const targets = new Set(uids);
  const until = Date.now() + maxMs;
  for (;;) {
    if (identitiesOfUids(targets, true).length === 0) return true;
    if (Date.now() >= until) return false;
    await sleep(20);
  }
}

/**
 * killProcessesOf, then, when nothing was left alive but dead processes still wait to be reaped, awaitReaped:
 * `reaped` says whether the uids are free of processes now, zombies included (false with survivors, or when the
 * reaping wait ran out). What every sweep before a uid's next use needs: its next command must be able to start.
 */
export async function sweepAndReap(tools: Pick<Tools, 'perl'>, uids: number[]): Promise<{ outcome: SweepOutcome; reaped: boolean }> {
  const outcome = await killProcessesOf(tools, uids);
  if ([...outcome.survivors.values()].some((pids) => pids.length > 0)) return { outcome, reaped: false };
  return { outcome, reaped: !outcome.zombies || (await awaitReaped(uids)) };
}

/**
 * Kills every process of one uid (gid = uid) with the system tools; never rejects. For callers that lost
 * the `PreparedSandbox` (an executor process that died mid-run): files are left to the next `createSandbox`
 * over the range, which sweeps them at start.
 */
export async function sweepUid(uid: number): Promise<void> {
  const tools = systemTools();
  if (!tools) return;
  try {
    await killProcessesOf(tools, [uid]);
  } catch {
    // best effort
  }
}
