/**
 * core/busyClock.ts on the fake clock: busy time counts the wall time the program is not blocked on its input, a
 * sampling interval counting as waiting only when it waited at both ends, and the limit fires once it is reached.
 */
import { BusyClock } from '../../core/busyClock';
import { FakeClock } from '../support/fakeClock';

/** The program's state over time: [from ms, waiting] spans, from 0 on. */
type Timeline = Array<[number, boolean]>;

function waitingAt(timeline: Timeline, at: number): boolean {
  let waiting = false;
  for (const [from, w] of timeline) if (at >= from) waiting = w;
  return waiting;
}

interface Case {
  timeline: Timeline;
  limitMs: number;
  sampleMs: number;
  /** When the limit fires (ms after start), or null when it has not by `runForMs`. */
  firesAt: number | null;
  runForMs: number;
}

const cases: Array<[string, Case]> = [
  ['always busy: fires at exactly the limit', { timeline: [[0, false]], limitMs: 3_000, sampleMs: 50, firesAt: 3_000, runForMs: 10_000 }],
  ['a limit that is no multiple of the sample period still fires on time', { timeline: [[0, false]], limitMs: 1_234, sampleMs: 50, firesAt: 1_234, runForMs: 5_000 }],
  ['always waiting: never fires', { timeline: [[0, true]], limitMs: 3_000, sampleMs: 50, firesAt: null, runForMs: 60_000 }],
  // Busy 0–1000 (1000), waits 1000–6000, busy again from 6000: the limit's other 2000 are reached at 8000, give or
  // take the sample in which the state changed (counted busy).
  ['waiting in the middle is not counted', { timeline: [[0, false], [1_000, true], [6_000, false]], limitMs: 3_000, sampleMs: 50, firesAt: 7_950, runForMs: 20_000 }],
  ['busy 2.9 s, then waiting for good: never fires', { timeline: [[0, false], [2_900, true]], limitMs: 3_000, sampleMs: 50, firesAt: null, runForMs: 60_000 }],
];

test.each(cases)('%s', async (_name, c) => {
  const clock = new FakeClock();
  const start = clock.now();
  let firedAt: number | null = null;
  const busy = new BusyClock(clock, () => waitingAt(c.timeline, clock.now() - start), c.limitMs, () => (firedAt = clock.now() - start), c.sampleMs);
  busy.start();
  await clock.advance(c.runForMs);
  expect(firedAt).toBe(c.firesAt);
  if (c.firesAt !== null) {
    expect(busy.busyMs).toBe(c.limitMs);
    // It stops sampling once fired.
    expect(clock.pending).toBe(0);
  }
  busy.stop();
  expect(clock.pending).toBe(0);
});

test('stop() before the limit cancels its timer and it never fires', async () => {
  const clock = new FakeClock();
  let fired = false;
  const busy = new BusyClock(clock, () => false, 1_000, () => (fired = true), 50);
  busy.start();
  await clock.advance(500);
  busy.stop();
  await clock.advance(5_000);
  expect(fired).toBe(false);
  expect(busy.busyMs).toBe(500);
  expect(clock.pending).toBe(0);
});
