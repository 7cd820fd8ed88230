/**
 * Streams a run's output into one appendable object: at most one append per OUTPUT_FLUSH_INTERVAL_MS, sooner
 * when OUTPUT_FLUSH_BYTES are pending or when told to (the program waits for input, or exited), and within a
 * moment of its arrival for a while after the program got input (`expedite`: the echo and the reply share an
 * append). Every byte is written once, so storage traffic stays linear in the output (the seed re-uploaded
 * everything per chunk).
 */
import { OUTPUT_EXPEDITE_MS, OUTPUT_EXPEDITE_QUIET_MS, OUTPUT_FLUSH_BYTES, OUTPUT_FLUSH_INTERVAL_MS } from './limits';
import { isStoreError, type Clock, type ObjectStore, type Timer } from './ports';

/**
 * Bytes of the most recent output kept in memory to classify the exit (e.g. a MemoryError trace). Go prints its
 * `fatal error: out of memory` above a goroutine dump of about 4 KiB.
 */
const TAIL_BYTES = 16 * 1024;
/** Transient storage failures (timeouts, resets) are retried this many times in all. */
const APPEND_ATTEMPTS = 4;
const APPEND_RETRY_MS = 100;

export class OutputSink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes durably appended. */
  private position = 0;
  /** Bytes accepted from the program (appended or pending). */
  private acceptedBytes = 0;
  private lastFlushAt = -Infinity;
  /** Until then, output is appended within a moment of its arrival (see OUTPUT_EXPEDITE_MS and `expedite`). */
  private expediteUntil = -Infinity;
  private timer: Timer | null = null;
  /** When the oldest pending byte came. */
  private pendingSince = 0;
  /** How long the last append took (its round trip): the longest an expedited chunk waits for more. */
  private appendMs = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** The most recent chunks, at least TAIL_BYTES of them when there is that much output. */
  private tailChunks: Buffer[] = [];
  private tailBytes = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    private readonly capBytes: number,
    private readonly clock: Clock,
  ) {}

  get accepted(): number {
    return this.acceptedBytes;
  }

  /** The last few KiB of output, for exit classification (assembled only when asked: once per run). */
  get tail(): Buffer {
    const all = Buffer.concat(this.tailChunks);
    return all.length > TAIL_BYTES ? all.subarray(all.length - TAIL_BYTES) : all;
  }

  /** Takes program output; returns false once the cap is reached (the excess is dropped). */
  push(chunk: Buffer): boolean {
    const room = this.capBytes - this.acceptedBytes;
    const taken = chunk.length <= room ? chunk : chunk.subarray(0, Math.max(0, room));
    if (taken.length > 0) {
      if (this.pendingBytes === 0) this.pendingSince = this.clock.now();
      this.pending.push(taken);
      this.pendingBytes += taken.length;
      this.acceptedBytes += taken.length;
      this.tailChunks.push(taken);
      this.tailBytes += taken.length;
      while (this.tailBytes - this.tailChunks[0].length >= TAIL_BYTES) this.tailBytes -= this.tailChunks.shift()!.length;
      this.schedule();
    }
    return taken.length === chunk.length;
  }

  get hasPending(): boolean {
    return this.pendingBytes > 0;
  }

  /**
   * The program was just given input: for OUTPUT_EXPEDITE_MS its output (the echo, the reply) goes out once it has
   * been quiet for OUTPUT_EXPEDITE_QUIET_MS, or once it has waited as long as the last append took, whichever comes
   * first. Sent at once, the echo's append would make the reply behind it wait that round trip anyway; held that
   * briefly, the reply that follows the echo within a moment rides the same append: one round trip fewer.
   */
  expedite(): void {
    this.expediteUntil = this.clock.now() + OUTPUT_EXPEDITE_MS;
  }

  private schedule(): void {
    const now = this.clock.now();
    if (this.pendingBytes >= OUTPUT_FLUSH_BYTES) {
      void this.flush();
      return;
    }
    if (now < this.expediteUntil) {
      const due = Math.min(now + OUTPUT_EXPEDITE_QUIET_MS, this.pendingSince + this.appendMs);
      this.timer?.cancel();
      this.timer = null;
      if (due <= now) {
        void this.flush();
        return;
      }
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, due - now);
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlushAt + OUTPUT_FLUSH_INTERVAL_MS - this.clock.now());
    // The first output, or the first after a quiet interval, goes out at once: a timer of 0 ms is a millisecond or
    // more (a turn of the event loop) before the first byte reaches storage; what follows it waits for the interval.
    if (wait === 0) {
      void this.flush();
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  /**
   * No append goes out before `gate` resolves (the run's running status is stored: readers never see output of a
   * run that is not running yet); if it rejects, nothing is stored any more and `close` rethrows why.
   */
  after(gate: Promise<unknown>): void {
    this.chain = this.chain.then(() => gate).then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= err;
      },
    );
  }

  /** Appends everything pending now; resolves when it is durable. Appends never overlap. */
  flush(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.chain = this.chain.then(() => this.appendPending());
    return this.chain;
  }

  /** Rethrows the first storage failure, if any. */
  async close(): Promise<void> {
    await this.flush();
    if (this.failure) throw this.failure;
  }

  private async appendPending(): Promise<void> {
    if (this.pendingBytes === 0 || this.failure) return;
    const body = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.lastFlushAt = this.clock.now();
    for (let attempt = 1; ; attempt++) {
      try {
        const sentAt = this.clock.now();
        this.position = (await this.store.append(this.key, body, this.position)).nextPosition;
        this.appendMs = this.clock.now() - sentAt;
        return;
      } catch (err) {
        // An append whose response was lost may have landed: the retry then meets a mismatch by exactly our
        // length. Compare the bytes and carry on, so a retried request never doubles output.
        if (isStoreError(err, 'PositionMismatch') && err.nextPosition === this.position + body.length) {
          const landed = await this.store.get(this.key, { start: this.position, end: err.nextPosition - 1 }).catch(() => null);
          if (landed?.data.equals(body)) {
            this.position = err.nextPosition;
            return;
          }
        }
        if (isStoreError(err) || attempt >= APPEND_ATTEMPTS) {
          this.failure = err;
          return;
        }
        await this.clock.sleep(APPEND_RETRY_MS * attempt);
      }
    }
  }
}
