/**
 * The tree's CPU watch (adapters/sandbox/cpuWatch.ts) on a virtual clock: a tree spending CPU at a given rate (ms of
 * CPU per ms of wall time, up to the cores) is stopped soon after it passes its limit, and is looked at seldom while
 * far below it. The readings themselves (cgroup cpu.stat, /proc) are exercised on the real sandbox
 * (test/sandbox/meteredSpawn.test.ts).
 */
import { watchTreeCpu } from '../../adapters/sandbox/cpuWatch';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

function watch(rate: number, limitMs: number, cores: number) {
  const start = Date.now();
  const looks: number[] = [];
  let stoppedAt: number | null = null;
  let message = '';
  const w = watchTreeCpu({
    used: () => {
      looks.push(Date.now() - start);
      return rate * (Date.now() - start);
    },
    limitMs,
    cores,
    minIntervalMs: 20,
    onExceeded: (m) => {
      stoppedAt = Date.now() - start;
      message = m;
    },
  });
  return { w, looks, stoppedAt: () => stoppedAt, message: () => message };
}

describe.each<[string, number, number, number]>([
  // name, rate (CPU ms per wall ms), limit, cores
  ['one busy process, 2 cores', 1, 1_000, 2],
  ['two busy processes, 2 cores', 2, 1_000, 2],
  ['eight busy processes, 8 cores', 8, 500, 8],
])('%s', (_name, rate, limitMs, cores) => {
  test('stopped within the minimum interval times the rate past its limit', () => {
    const t = watch(rate, limitMs, cores);
    jest.advanceTimersByTime(10 * limitMs);
    const at = t.stoppedAt();
    expect(at).not.toBeNull();
    expect(rate * at!).toBeGreaterThan(limitMs);
    expect(rate * at!).toBeLessThanOrEqual(limitMs + 20 * rate);
    expect(t.message()).toMatch(new RegExp(`^CPU time limit of ${limitMs / 1000} s exceeded \\(`));
    // Once stopped, never again.
    const looks = t.looks.length;
    jest.advanceTimersByTime(10 * limitMs);
    expect(t.looks).toHaveLength(looks);
    t.w.dispose();
  });
});

test('a tree that ends quickly is never looked at', () => {
  const t = watch(1, 5_000, 2);
  jest.advanceTimersByTime(15);
  t.w.dispose();
  jest.advanceTimersByTime(60_000);
  expect(t.looks).toEqual([]);
});

test('a tree far below its limit (sleeping) is looked at about once per limit over the cores, not every interval', () => {
  const t = watch(0.01, 2_000, 2);
  jest.advanceTimersByTime(10_000);
  t.w.dispose();
  expect(t.stoppedAt()).toBeNull();
  expect(t.looks.length).toBeGreaterThanOrEqual(9);
  expect(t.looks.length).toBeLessThanOrEqual(11);
});

test('an unreadable figure skips the look and goes on', () => {
  let n = 0;
  const stopped: string[] = [];
  const w = watchTreeCpu({ used: () => (++n < 3 ? null : 5_000), limitMs: 1_000, cores: 1, minIntervalMs: 20, onExceeded: (m) => stopped.push(m) });
  jest.advanceTimersByTime(1_000);
  expect(w.lastMs()).toBeNull();
  // Two unreadable looks (at 1 s and 2 s), then the third reads.
  jest.advanceTimersByTime(2_100);
  expect(stopped).toHaveLength(1);
  expect(w.lastMs()).toBe(5_000);
  w.dispose();
});
