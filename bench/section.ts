/**
 * One part of the bench, run against each target in turn (bench/index.ts lists them in `sections`). The floor (the
 * bare interpreter, measured once beside the targets) is in `ctx.floor` for targets stated over it.
 */
import type { BenchTarget } from './benchTarget';
import type { Report } from './report';

export interface Floor {
  /** Bare python3: spawn → first stdout byte, median ms. */
  firstOutputMs: number;
  /** Bare python3 hello world to its exit, median ms. */
  pythonMs: number;
  /** gcc + the binary, median ms. */
  cMs: number;
  /** Bare python3 hello worlds completed per second, 8 at once. */
  spawnRate: number;
}

export interface SectionContext {
  target: BenchTarget;
  report: Report;
  rounds: number;
  floor: Floor;
}

export interface Section {
  name: string;
  /** Targets it runs against (default both). */
  modes?: Array<BenchTarget['mode']>;
  run(ctx: SectionContext): Promise<void>;
}
