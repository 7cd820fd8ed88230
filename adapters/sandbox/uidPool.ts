/**
 * The sandbox uids of one executor process: `base .. base + count - 1`, one per concurrently running run.
 * Executor processes on one host get disjoint ranges from configuration, so allocation in memory is enough.
 * The gid of a run is its uid (no group is shared between runs).
 */
export class UidPool {
  private readonly free: number[] = [];
  private readonly used = new Set<number>();
  private readonly retired = new Set<number>();

  constructor(
    readonly base: number,
    readonly count: number,
  ) {
    if (!Number.isSafeInteger(base) || base < 1000) throw new RangeError(`uid base must be an integer >= 1000, got ${base}`);
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`uid count must be a positive integer, got ${count}`);
    const last = base + count - 1;
    if (last > 4294967294) throw new RangeError(`uid range ${base}..${last} is past the largest uid`);
    if (base <= 65535 && last >= 65534) throw new RangeError(`uid range ${base}..${last} contains nobody (65534/65535)`);
    // Least recently released first, so the next run never gets the previous run's uid (with two or more), and a
    // uid's last zombies (counted against RLIMIT_NPROC until reaped) have time to go.
    for (let uid = base; uid < base + count; uid++) this.free.push(uid);
  }

  /** Every uid of the range. */
  all(): number[] {
    return Array.from({ length: this.count }, (_, i) => this.base + i);
  }

  /** A free uid, or null when every uid is in use. */
  acquire(): number | null {
    const uid = this.free.shift();
    if (uid === undefined) return null;
    this.used.add(uid);
    return uid;
  }

  /**
   * `first`: back at the head of the queue, for a uid that ran no user program (a probe's): the order in which
   * runs get uids is then the same as if it had never been taken.
   */
  release(uid: number, first = false): void {
    if (!this.used.delete(uid)) return;
    if (first) this.free.unshift(uid);
    else this.free.push(uid);
  }

  /** Takes a uid out of service for the life of the process (something of it may still live). */
  retire(uid: number): void {
    this.used.delete(uid);
    const at = this.free.indexOf(uid);
    if (at >= 0) this.free.splice(at, 1);
    this.retired.add(uid);
  }

  get inUse(): number {
    return this.used.size;
  }

  /** Uids ready to be handed out. */
  get available(): number {
    return this.free.length;
  }
}
