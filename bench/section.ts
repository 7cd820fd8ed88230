/**
 * One part of the bench, run against each target in turn (bench/index.ts lists them in `sections`); a figure stated
 * over the floor measures that floor in the same rounds (bench/floor.ts).
 */
import type { BenchTarget } from './benchTarget';
import type { Report } from './report';

export interface SectionContext {
  target: BenchTarget;
  report: Report;
  rounds: number;
}

export interface Section {
  name: string;
  /** Targets it runs against (default both). */
  modes?: Array<BenchTarget['mode']>;
  run(ctx: SectionContext): Promise<void>;
}
