/**
 * The figures a judge answer gives for one command: the program's own, measured the same way wherever it runs.
 * - wall and CPU time: the run head's report (getrusage of the reaped tree, CLOCK_MONOTONIC from fork to exit), never
 *   the executor's or a wrapper's; the executor's own spawn-to-exit time only when there is no report; for CPU, the
 *   sandbox's CPU watch's last reading where it is higher (a tree stopped at its CPU limit: what was killed before
 *   it was waited for is not in getrusage);
 * - peak memory: the memory cgroup's peak where the tree had one (every process of it together), else the larger of
 *   the run head's ru_maxrss (the largest single process, exact) and the RSS watch's highest sampled sum.
 */
import type { StepOutcome } from './runStep';

export interface ProgramFigures {
  wallMs: number;
  cpuMs: number;
  memoryKb: number;
}

export function programFigures(outcome: Pick<StepOutcome, 'exit' | 'observedWallMs' | 'measure' | 'memory'>): ProgramFigures {
  const usage = outcome.exit.usage;
  const rss = usage?.maxRssKb ?? 0;
  const peak = outcome.measure.peakKb;
  return {
    wallMs: usage?.wallMs ?? outcome.observedWallMs,
    cpuMs: Math.max(usage?.cpuMs ?? 0, outcome.measure.cpuMs ?? 0),
    memoryKb: outcome.memory === 'cgroup' ? (peak ?? rss) : Math.max(rss, peak ?? 0),
  };
}
