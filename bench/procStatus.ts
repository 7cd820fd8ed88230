/** What the bench reads of a process in /proc: its own CPU time (not its children's) and its resident set, now and at peak. */
import * as fs from 'fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU time of the process itself, ms; 0 once it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of proc(5) (utime, stime) are the 12th and 13th after the command name.
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Fields 14–17 of proc(5): utime, stime, and cutime, cstime (children it has reaped), ms; null once it is gone. */
function statTimes(pid: number): { ppid: number; ownMs: number; reapedMs: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ownMs: (Number(f[11]) + Number(f[12])) * TICK_MS, reapedMs: (Number(f[13]) + Number(f[14])) * TICK_MS };
  } catch {
    return null;
  }
}

/**
 * CPU time of each process in `pids` with everything it started: its own, its reaped children's, and its live
 * descendants' (with what they reaped), ms. A descendant that ends between two readings moves from the last term to
 * its parent's reaped time, so differences over a stretch of work count each process once.
 */
export function treeCpuMs(pids: number[]): number {
  const byParent = new Map<number, number[]>();
  const times = new Map<number, { ownMs: number; reapedMs: number }>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const t = statTimes(Number(name));
    if (!t) continue;
    times.set(Number(name), t);
    const siblings = byParent.get(t.ppid);
    if (siblings) siblings.push(Number(name));
    else byParent.set(t.ppid, [Number(name)]);
  }
  let total = 0;
  const queue = [...pids];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    const t = times.get(pid);
    if (t) total += t.ownMs + t.reapedMs;
    queue.push(...(byParent.get(pid) ?? []));
  }
  return total;
}

/**
 * CPU time the whole machine has spent so far (user, nice, system, irq and softirq of /proc/stat's `cpu` line; not
 * idle, iowait or steal), ms: over a stretch of work, what every process and the kernel cost, the bench's own part
 * included, whatever is reaped by whom.
 */
export function machineCpuMs(): number {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) * TICK_MS;
  } catch {
    return 0;
  }
}

/** VmRSS (now) or VmHWM (the peak since the process started), MiB; 0 once it is gone. */
export function rssMiB(pid: number, which: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${which}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples the summed VmRSS of `pids()` every `everyMs` until stopped; resolves the peak, MiB. */
export function sampleRss(pids: () => number[], everyMs = 50): { stop(): number } {
  let peak = 0;
  const take = () => (peak = Math.max(peak, pids().reduce((sum, pid) => sum + rssMiB(pid, 'VmRSS'), 0)));
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}
