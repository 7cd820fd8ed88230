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
