/**
 * FC's asynchronous invocation, emulated: events queue until an executor instance is free, each instance takes
 * one event at a time, a failed invocation is retried with backoff up to ASYNC_INVOKE_ATTEMPTS times in all, and
 * a dead instance is replaced. (FC: async invocations are queued, retried on function errors, and delivered
 * at-least-once; the executor's claim makes redelivery harmless.) The instances come from a pool that scales
 * with the queue this invoker reports to it (local/executorPool.ts), as FC starts instances for waiting events.
 */
import type { OssEvent } from '../core/protocol';
import type { ExecutorInstance } from './executorInstance';
import { RUN_QUEUE_MAX_MS } from '../core/limits';
import { ASYNC_INVOKE_ATTEMPTS, ASYNC_RETRY_BASE_MS } from './settings';

interface Pending {
  event: OssEvent;
  attempt: number;
  notBefore: number;
  /** When the event was first queued: FC drops one older than RUN_QUEUE_MAX_MS, and so does this invoker. */
  queuedAt: number;
}

/** Where the invoker gets instances (local/executorPool.ts). */
export interface InstanceSource {
  /** A ready, free instance, now busy; null when none is. */
  take(): ExecutorInstance | null;
  /** Its invocation answered: free again. */
  release(instance: ExecutorInstance): void;
  /** It died: cleaned up and dropped (and replaced as the demand wants). */
  died(instance: ExecutorInstance): Promise<void>;
  /** How many events wait for an instance. */
  demand(queued: number): void;
}

export interface AsyncInvokerOptions {
  pool: InstanceSource;
  log?: (record: Record<string, unknown>) => void;
  retryBaseMs?: number;
  /** How old a queued event may get before it is dropped: RUN_QUEUE_MAX_MS, as FC's stack sets it (tests make it short). */
  maxAgeMs?: number;
}

export class AsyncInvoker {
  private readonly queue: Pending[] = [];
  private stopped = false;
  private inFlight = new Set<Promise<void>>();
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: AsyncInvokerOptions) {}

  get queued(): number {
    return this.queue.length;
  }

  enqueue(event: OssEvent): void {
    if (this.stopped) return;
    this.queue.push({ event, attempt: 1, notBefore: 0, queuedAt: Date.now() });
    this.pump();
  }

  /** Delivers what waits to the free instances (the pool calls it when one becomes ready). */
  pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    const { pool } = this.options;
    this.dropExpired(now);
    for (;;) {
      const index = this.queue.findIndex((p) => p.notBefore <= now);
      if (index === -1) break;
      const instance = pool.take();
      if (!instance) break;
      const [pending] = this.queue.splice(index, 1);
      const task = this.deliver(instance, pending).finally(() => {
        // Idle once its /invoke has been answered, which the executor does only after the run's clean-up.
        pool.release(instance);
        this.inFlight.delete(task);
        this.pump();
      });
      this.inFlight.add(task);
    }
    pool.demand(this.queue.length);
    this.armRetryTimer();
  }

  /** Events older than FC's maximum age are dropped, as FC drops them; the API then reports their runs (core/runState.ts). */
  private dropExpired(now: number): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const pending = this.queue[i];
      if (now - pending.queuedAt <= (this.options.maxAgeMs ?? RUN_QUEUE_MAX_MS)) continue;
      this.queue.splice(i, 1);
      this.options.log?.({ event: 'invoke_expired', key: pending.event.events[0]?.oss.object.key, attempts: pending.attempt - 1 });
    }
  }

  private armRetryTimer(): void {
    if (this.retryTimer || this.queue.length === 0) return;
    const wait = Math.max(0, Math.min(...this.queue.map((p) => p.notBefore)) - Date.now());
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, wait);
  }

  private async deliver(instance: ExecutorInstance, pending: Pending): Promise<void> {
    const ok = await instance.invoke(pending.event);
    if (ok || this.stopped) return;
    if (!instance.running) {
      this.options.log?.({ event: 'instance_died', pid: instance.pid });
      await this.options.pool.died(instance);
    }
    if (pending.attempt >= ASYNC_INVOKE_ATTEMPTS) {
      this.options.log?.({ event: 'invoke_dropped', key: pending.event.events[0]?.oss.object.key, attempts: pending.attempt });
      return;
    }
    const backoff = (this.options.retryBaseMs ?? ASYNC_RETRY_BASE_MS) * 2 ** (pending.attempt - 1);
    this.queue.push({ ...pending, attempt: pending.attempt + 1, notBefore: Date.now() + backoff });
  }

  /** Stops taking events; resolves once the deliveries in flight have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.queue.length = 0;
    await Promise.allSettled([...this.inFlight]);
  }
}
