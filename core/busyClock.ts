/**
 * Busy time: the wall time a program spends not blocked waiting for its input. Piston stops a program after
 * `run_timeout` of wall time even while its user is still typing; a run with `limits.busyTimeoutMs` is stopped
 * after that much busy time instead, and only `timeoutMs` bounds the whole session.
 *
 * The program's state is sampled every BUSY_SAMPLE_MS (the input-wait probe, /proc reads only). A sampling interval
 * counts as waiting only when the program waited at both of its ends: input typed in between, and the computing it
 * set off, is then counted as busy, so the error is never in the program's favour by more than one interval.
 */
import { BUSY_SAMPLE_MS } from './limits';
import type { Clock, Timer } from './ports';

export class BusyClock {
  private busy = 0;
  private lastAt = 0;
  private lastWaiting = false;
  private timer: Timer | null = null;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly isWaiting: () => boolean,
    private readonly limitMs: number,
    private readonly onExceeded: () => void,
    private readonly sampleMs = BUSY_SAMPLE_MS,
  ) {}

  /** Busy milliseconds counted up to the last sample. */
  get busyMs(): number {
    return this.busy;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastAt = this.clock.now();
    this.lastWaiting = this.isWaiting();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): void {
    // Never later than the moment the limit could be reached, so the stop comes on time, not a sample late.
    this.timer = this.clock.setTimeout(() => this.sample(), Math.max(1, Math.min(this.sampleMs, this.limitMs - this.busy)));
  }

  private sample(): void {
    this.timer = null;
    if (!this.running) return;
    const now = this.clock.now();
    const waiting = this.isWaiting();
    if (!(waiting && this.lastWaiting)) this.busy += now - this.lastAt;
    this.lastAt = now;
    this.lastWaiting = waiting;
    if (this.busy >= this.limitMs) {
      this.running = false;
      this.onExceeded();
      return;
    }
    this.schedule();
  }
}
