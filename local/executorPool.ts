/**
 * The local platform's executor instances, scaled as FC scales a function (local/poolPolicy.ts decides, this
 * carries it out): instances are started as demand grows, each on a uid slot of its own (local/uidSlots.ts),
 * stopped after idling, and a dead one is dropped and replaced when the demand still wants it. An instance is
 * busy from the moment it is handed an event until its `/invoke` answers (the executor answers only once its run
 * is recorded and cleaned up), and only a ready, free instance is handed one.
 */
import type { ExecutorInstance } from './executorInstance';
import { decidePool, type PoolSettings } from './poolPolicy';
import { COLD_START_GUESS_MS, COLD_STARTS_KEPT, DRAIN_WINDOW_MS } from './settings';
import type { UidSlots } from './uidSlots';

/** Why an instance's uids are being cleaned up: stopped for idling, found dead, or stopped with the platform. */
export type EndReason = 'retired' | 'died' | 'stopped';

export interface ExecutorPoolOptions {
  settings: PoolSettings;
  uids: UidSlots;
  /** A new (not yet started) instance on the slot starting at `uidBase`. */
  create(uidBase: number, id: number): ExecutorInstance;
  /** Cleans up what an ended instance may have left on its uids, before the slot is handed out again. */
  cleanUp(instance: ExecutorInstance, uidBase: number, reason: EndReason): Promise<void>;
  /** An instance became ready: events may be delivered. */
  onReady(): void;
  /** Wait after a failed start before starting again (so a broken executor is not restarted in a loop). */
  startRetryMs: number;
  log?: (record: Record<string, unknown>) => void;
  now?: () => number;
}

interface Entry {
  id: number;
  instance: ExecutorInstance;
  uidBase: number;
  phase: 'starting' | 'ready' | 'ending';
  idleSince: number;
  started: Promise<void>;
}

export interface PoolStats {
  /** Instances started since the pool was made (replacements included). */
  starts: number;
  failedStarts: number;
  retired: number;
  /** The most instances held at once (starting ones included). */
  peak: number;
  /** Each ready instance's cold start: process start → listening, and → its runtime probe done (ms). */
  coldStarts: Array<{ listeningMs?: number; probedMs?: number }>;
}

export class ExecutorPool {
  private readonly entries = new Map<number, Entry>();
  private readonly ending = new Set<Promise<void>>();
  private nextId = 0;
  private queued = 0;
  private stopping = false;
  private recheck: NodeJS.Timeout | null = null;
  private recheckAt: number | null = null;
  private startBlockedUntil = 0;
  private lastStartError: Error | null = null;
  /** When invocations answered, over the last DRAIN_WINDOW_MS. */
  private readonly answered: number[] = [];
  readonly stats: PoolStats = { starts: 0, failedStarts: 0, retired: 0, peak: 0, coldStarts: [] };

  constructor(private readonly options: ExecutorPoolOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The instances ready for events, busy or not (not those still starting). */
  get instances(): ExecutorInstance[] {
    return [...this.entries.values()].filter((e) => e.phase === 'ready').map((e) => e.instance);
  }

  /** Instances held: starting, ready or being stopped. */
  get size(): number {
    return this.entries.size;
  }

  get settings(): PoolSettings {
    return this.options.settings;
  }

  /**
   * Starts the minimum and resolves once it is ready (the pool is then warm, as FC's provisioned instances), or
   * once nothing is starting any more after a failure (rejects if no instance at all could start).
   */
  async start(): Promise<void> {
    this.reconcile();
    while (this.instances.length < this.options.settings.min) {
      const starting = [...this.entries.values()].filter((e) => e.phase === 'starting');
      if (starting.length === 0) break;
      await Promise.race(starting.map((e) => e.started.catch(() => undefined)));
    }
    if (this.instances.length === 0) throw this.lastStartError ?? new Error('no executor instance could start');
  }

  /** A ready, free instance, now busy; null when none is (the demand then makes one). */
  take(): ExecutorInstance | null {
    if (this.stopping) return null;
    for (const entry of this.entries.values()) {
      if (entry.phase === 'ready' && !entry.instance.busy) {
        entry.instance.busy = true;
        return entry.instance;
      }
    }
    return null;
  }

  /** Events taken off the queue per second lately: the invocations answered in the last DRAIN_WINDOW_MS. */
  private drainPerSecond(now: number): number {
    while (this.answered.length > 0 && this.answered[0] <= now - DRAIN_WINDOW_MS) this.answered.shift();
    return (this.answered.length * 1000) / DRAIN_WINDOW_MS;
  }

  /** The median of the last cold starts (process start → listening: a run waits for nothing more but its own language's probe). */
  private coldStartMs(): number {
    const recent = this.stats.coldStarts.slice(-COLD_STARTS_KEPT).map((c) => c.listeningMs ?? COLD_START_GUESS_MS);
    if (recent.length === 0) return COLD_START_GUESS_MS;
    return [...recent].sort((a, b) => a - b)[Math.floor(recent.length / 2)];
  }

  /** The instance's invocation answered: it is free again. */
  release(instance: ExecutorInstance): void {
    instance.busy = false;
    this.answered.push(this.now());
    const entry = this.entryOf(instance);
    if (entry) entry.idleSince = this.now();
    this.reconcile();
  }

  /** How many events wait for an instance. */
  demand(queued: number): void {
    this.queued = queued;
    this.reconcile();
  }

  /** The instance died: its uids are cleaned up, it is dropped, and the demand decides about a replacement. */
  async died(instance: ExecutorInstance): Promise<void> {
    const entry = this.entryOf(instance);
    if (!entry || entry.phase === 'ending') return;
    instance.busy = false;
    await this.end(entry, 'died');
  }

  /** Evaluates the policy and carries out its decision. */
  private reconcile(): void {
    if (this.stopping) return;
    const entries = [...this.entries.values()];
    const now = this.now();
    const decision = decidePool(
      {
        now,
        starting: entries.filter((e) => e.phase === 'starting').length,
        busy: entries.filter((e) => e.phase === 'ready' && e.instance.busy).length,
        idle: entries.filter((e) => e.phase === 'ready' && !e.instance.busy).map((e) => ({ id: e.id, idleSince: e.idleSince })),
        queued: this.queued,
        ending: entries.filter((e) => e.phase === 'ending').length,
        drainPerSecond: this.drainPerSecond(now),
        coldStartMs: this.coldStartMs(),
      },
      this.options.settings,
    );
    for (const id of decision.stop) {
      const entry = this.entries.get(id);
      if (entry) void this.end(entry, 'retired');
    }
    let recheckAt = decision.recheckAt;
    // While events wait, look again as the drain rate changes (it falls as the window moves on).
    if (this.queued > 0) recheckAt = Math.min(recheckAt ?? Infinity, now + DRAIN_WINDOW_MS / 4);
    if (decision.start > 0 && now < this.startBlockedUntil) recheckAt = Math.min(recheckAt ?? Infinity, this.startBlockedUntil);
    else for (let i = 0; i < decision.start; i++) this.startOne();
    this.armRecheck(recheckAt);
  }

  private armRecheck(at: number | null): void {
    if (at === this.recheckAt) return;
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = null;
    this.recheckAt = at;
    if (at === null) return;
    this.recheck = setTimeout(() => {
      this.recheck = null;
      this.recheckAt = null;
      this.reconcile();
    }, Math.max(0, at - this.now()));
    // An idle pool's timer must not keep a stopping process alive.
    this.recheck.unref();
  }

  private startOne(): void {
    let uidBase: number;
    try {
      uidBase = this.options.uids.take();
    } catch (err) {
      this.startFailed(err);
      return;
    }
    const id = this.nextId++;
    const instance = this.options.create(uidBase, id);
    const entry: Entry = { id, instance, uidBase, phase: 'starting', idleSince: this.now(), started: Promise.resolve() };
    this.entries.set(id, entry);
    this.stats.starts++;
    this.stats.peak = Math.max(this.stats.peak, this.entries.size);
    entry.started = instance.start().then(
      () => {
        this.stats.coldStarts.push(instance.coldStart);
        if (this.stopping) return;
        entry.phase = 'ready';
        entry.idleSince = this.now();
        this.options.log?.({ event: 'instance_ready', instance: id, pid: instance.pid, ms: Math.round(instance.coldStart.listeningMs ?? 0), instances: this.entries.size });
        // Dead while free (killed from outside, crashed): dropped and replaced before an event is lost on it. A
        // busy one's death is the invoker's to see (its invocation fails, and is retried).
        void instance.whenExited.then(() => {
          if (entry.phase === 'ready' && !instance.busy && !this.stopping) {
            this.options.log?.({ event: 'instance_died', instance: id, pid: instance.pid, idle: true });
            void this.end(entry, 'died');
          }
        });
        this.options.onReady();
        this.reconcile();
      },
      (err: unknown) => {
        if (this.stopping) throw err;
        this.startFailed(err);
        void this.end(entry, 'died');
        throw err;
      },
    );
    // Awaited by start() and stop(); a failure is handled above.
    entry.started.catch(() => undefined);
  }

  private startFailed(err: unknown): void {
    this.stats.failedStarts++;
    this.startBlockedUntil = this.now() + this.options.startRetryMs;
    this.lastStartError = err instanceof Error ? err : new Error(String(err));
    this.options.log?.({ event: 'instance_start_failed', error: err instanceof Error ? err.message : String(err) });
  }

  /** Stops (or, dead, just drops) an instance, cleans its uids and hands its slot back. */
  private end(entry: Entry, reason: EndReason): Promise<void> {
    entry.phase = 'ending';
    const ended = (async () => {
      if (reason === 'retired') {
        this.stats.retired++;
        this.options.log?.({ event: 'instance_retired', instance: entry.id, pid: entry.instance.pid });
      }
      await entry.instance.stop();
      await this.options.cleanUp(entry.instance, entry.uidBase, reason).catch((err: unknown) =>
        this.options.log?.({ event: 'instance_cleanup_failed', instance: entry.id, error: err instanceof Error ? err.message : String(err) }),
      );
      this.entries.delete(entry.id);
      this.options.uids.give(entry.uidBase);
    })();
    this.ending.add(ended);
    void ended.finally(() => {
      this.ending.delete(ended);
      this.reconcile();
    });
    return ended;
  }

  private entryOf(instance: ExecutorInstance): Entry | undefined {
    for (const entry of this.entries.values()) if (entry.instance === instance) return entry;
    return undefined;
  }

  /**
   * Stops every instance (each kills its run and records it) once those starting have started, then cleans up
   * after each. Idempotent.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.armRecheck(null);
    await Promise.allSettled([...this.entries.values()].map((e) => e.started));
    await Promise.allSettled([...this.ending]);
    const left = [...this.entries.values()];
    await Promise.all(left.map((e) => e.instance.stop()));
    await Promise.all(left.map((e) => this.options.cleanUp(e.instance, e.uidBase, 'stopped').catch(() => undefined)));
    for (const e of left) {
      this.entries.delete(e.id);
      this.options.uids.give(e.uidBase);
    }
  }

  /** A forced stop: every instance, starting or not, is killed at once (stop() then cleans up after them). */
  kill(): void {
    this.stopping = true;
    for (const entry of this.entries.values()) void entry.instance.kill();
  }
}
