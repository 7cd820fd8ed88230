/**
 * Holds a judge command's whole tree to its CPU time limit while it runs. RLIMIT_CPU alone (the run head sets it)
 * counts each process apart and in whole seconds: a 0.5 s limit stopped a busy loop at 1 s, a 1.5 s one at 2 s, and
 * a tree of processes could each spend nearly the limit. The verdict already judged the tree's total after the fact
 * (core/judge/testVerdict.ts); this watch stops the tree soon after the total passes the limit, as Judge0's isolate
 * does, so that a CPU-bound submission costs its limit and not up to twice it.
 *
 * What is read: the command's memory cgroup's `cpu.stat` `usage_usec` (cgroup v2 keeps it whether or not the cpu
 * controller is on) where it has one; else the sum of utime + stime + cutime + cstime over the uid's live
 * processes but the run head (a process that is gone and was not waited for by one of them is lost from the sum: the
 * watch may stop late, never early). The run head's own few ms are in a cgroup's figure.
 *
 * When: a tree cannot spend more CPU than `cores` × the wall time, so the next look is due no sooner than the rest of
 * the limit spread over every core, and never more often than `minIntervalMs`. A command far below its limit (a
 * hello world under a 5 s limit) is never looked at.
 */
import { cpuLimitMessage } from '../../core/judge/testVerdict';
import { identitiesOfUids, readProc } from '../process/procfs';

/** Linux's USER_HZ, the unit of /proc/<pid>/stat's times (100 on every architecture Node runs on). */
const TICK_MS = 10;

export interface CpuWatchOptions {
  /** CPU time the tree has used so far, ms; null when it cannot be read (the look is skipped). */
  used(): number | null;
  limitMs: number;
  cores: number;
  minIntervalMs: number;
  onExceeded(message: string): void;
}

export interface CpuWatch {
  /** The last reading, ms; null before the first look. */
  lastMs(): number | null;
  dispose(): void;
}

export function watchTreeCpu(options: CpuWatchOptions): CpuWatch {
  let timer: NodeJS.Timeout | null = null;
  let done = false;
  let last: number | null = null;
  const schedule = (usedMs: number) => {
    const delay = Math.max(options.minIntervalMs, (options.limitMs - usedMs) / Math.max(1, options.cores));
    timer = setTimeout(look, delay);
    timer.unref();
  };
  const look = () => {
    if (done) return;
    const read = options.used();
    if (read !== null) last = read;
    const usedMs = read ?? 0;
    if (usedMs > options.limitMs) {
      done = true;
      options.onExceeded(cpuLimitMessage(options.limitMs, usedMs));
      return;
    }
    schedule(usedMs);
  };
  schedule(0);
  return {
    lastMs: () => last,
    dispose: () => {
      done = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** A cgroup v2 folder's CPU time so far, ms (`cpu.stat` `usage_usec`); null where the file or the field is missing. */
export function cgroupCpuMs(dir: string): number | null {
  const text = readProc(`${dir}/cpu.stat`, 1024);
  const usec = text === null ? null : /(?:^|\n)usage_usec (\d+)/.exec(text)?.[1];
  return usec ? Number(usec) / 1000 : null;
}

/** The CPU time of `uid`'s live processes (theirs and their waited-for children's) but `excludePid`, ms. */
export function uidTreeCpuMs(uid: number, excludePid: number): number {
  let ticks = 0;
  for (const { pid } of identitiesOfUids(new Set([uid]))) {
    if (pid === excludePid) continue;
    const stat = readProc(`/proc/${pid}/stat`, 1024);
    if (!stat) continue;
    // After the command name (which may hold spaces and parentheses): field 14 (utime) is the 12th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks * TICK_MS;
}
