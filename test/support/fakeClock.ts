/**
 * A Clock whose time moves only when a test moves it. Timers fire one at a time, earliest first (ties in the order
 * they were set), and after each one every pending promise reaction runs before the next timer is considered: the
 * code under test sees the same interleaving on every run, and a minute of virtual time takes milliseconds.
 *
 * Settling relies on the code under test waiting only on promises and this clock (no real I/O, no real timers):
 * one `setImmediate` turn then drains every reaction they queue.
 */
import type { Clock, Timer } from '../../core/ports';

interface Scheduled {
  at: number;
  seq: number;
  fn: () => void;
}

export const FAKE_EPOCH = Date.parse('2026-01-01T00:00:00Z');

/** Lets every queued promise reaction run (and the reactions they queue). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Set<Scheduled>();

  constructor(start = FAKE_EPOCH) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: Scheduled = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return { cancel: () => void this.timers.delete(timer) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Timers set and neither fired nor cancelled. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const next = this.next();
      if (!next || next.at > target) break;
      this.fire(next);
    }
    this.current = target;
    await settle();
  }

  /**
   * Runs timers until `promise` settles and returns its outcome. Throws when it is still pending with no timer
   * left to fire (it waits on something that will never come), or after `limitMs` of virtual time.
   */
  async run<T>(promise: Promise<T>, limitMs = 10 * 60_000): Promise<T> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    promise.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    const deadline = this.current + limitMs;
    for (;;) {
      await settle();
      if (outcome) {
        if (outcome.ok) return outcome.value;
        throw outcome.error;
      }
      const next = this.next();
      if (!next) throw new Error(`FakeClock.run: still pending at +${this.current - FAKE_EPOCH} ms with no timer left`);
      if (next.at > deadline) throw new Error(`FakeClock.run: still pending after ${limitMs} ms of virtual time`);
      this.fire(next);
    }
  }

  private next(): Scheduled | undefined {
    let first: Scheduled | undefined;
    for (const t of this.timers) if (!first || t.at < first.at || (t.at === first.at && t.seq < first.seq)) first = t;
    return first;
  }

  private fire(timer: Scheduled): void {
    this.timers.delete(timer);
    this.current = Math.max(this.current, timer.at);
    timer.fn();
  }
}
