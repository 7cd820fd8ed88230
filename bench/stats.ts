/** Small numeric helpers of the bench: a monotonic clock in milliseconds, median and 95th percentile. */

export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The value below which `p` of the samples lie (nearest rank). */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export const median = (xs: number[]): number => percentile(xs, 0.5);
export const p95 = (xs: number[]): number => percentile(xs, 0.95);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
