/**
 * What a judge request's limits may be under a deployment's policy, each `{min, default, max}` in the unit the
 * request gives it (`memoryMb` in MiB): the judge's own minima, defaults and maxima (core/limits.ts, judge section,
 * read off core/runLimits.ts), never above the run policy's maxima. `POST /api/execute` checks against it, and the
 * compatibility APIs take their maxima and the figures they publish (Judge0's `/config_info`) from it, so a limit is
 * stated once.
 */
import type { LimitPolicy } from '../limitPolicy';
import * as L from '../limits';
import { RUN_LIMITS } from '../runLimits';

const MiB = 1024 * 1024;

export interface LimitRange {
  min: number;
  default: number;
  max: number;
}

export interface JudgeLimitRanges {
  timeoutMs: LimitRange;
  cpuMs: LimitRange;
  memoryMb: LimitRange;
  outputBytes: LimitRange;
}

/** A range whose default is lowered to the maximum where a deployment's maximum is below the judge's default. */
const range = (min: number, fallback: number, max: number): LimitRange => ({ min, default: Math.min(fallback, max), max });

export function judgeLimitRanges(policy: LimitPolicy): JudgeLimitRanges {
  return {
    timeoutMs: range(RUN_LIMITS.timeoutMs.min, L.JUDGE_DEFAULT_TIMEOUT_MS, Math.min(L.JUDGE_MAX_TIMEOUT_MS, policy.timeoutMs.max)),
    cpuMs: range(L.JUDGE_MIN_CPU_MS, L.JUDGE_DEFAULT_CPU_MS, Math.min(L.JUDGE_MAX_CPU_MS, policy.cpuMs.max)),
    memoryMb: range(L.JUDGE_MIN_MEMORY_MB, L.JUDGE_DEFAULT_MEMORY_MB, Math.min(L.JUDGE_MAX_MEMORY_MB, Math.floor(policy.memoryBytes.max / MiB))),
    outputBytes: range(1, L.JUDGE_DEFAULT_OUTPUT_BYTES, Math.min(L.JUDGE_MAX_OUTPUT_BYTES, policy.outputBytes.max)),
  };
}
