/**
 * An executor instance's start, step by step (issue 12: the instance start is FC's cold start): for each step the
 * wall time since the process started (node's own boot included: performance.now() counts from the process's time
 * origin) and the CPU time used so far, this process's and that of the children it has waited for (the sandbox's
 * start-up probes run as children; /proc/self/stat's cutime and cstime count them once reaped).
 */
import * as fs from 'fs';

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux ABI node runs on). */
const USER_HZ = 100;

export interface StartStep {
  step: string;
  /** Since the process started. */
  ms: number;
  /** This process's CPU (user + system) so far. */
  cpuMs: number;
  /** Reaped children's CPU so far. */
  childCpuMs: number;
}

function childCpuMs(): number {
  try {
    // Fields after the command name (which may hold spaces): state is field 3, cutime and cstime fields 16 and 17.
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / USER_HZ;
  } catch {
    return 0;
  }
}

export class StartTimeline {
  readonly steps: StartStep[] = [];

  mark(step: string): void {
    const cpu = process.cpuUsage();
    this.steps.push({ step, ms: Math.round(performance.now()), cpuMs: Math.round((cpu.user + cpu.system) / 1000), childCpuMs: Math.round(childCpuMs()) });
  }
}
