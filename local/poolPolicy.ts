/**
 * When the local platform starts and stops executor instances, as FC scales a function with instance concurrency 1:
 * every run needs an instance of its own, so the pool wants one instance per run in flight and per event waiting,
 * plus `spare` idle ones ahead of demand (a cold start costs ~0.1 s of CPU and as much wall time; the next run
 * should find a warm instance), never fewer than `min` nor more than `max`. Unlike FC's, local instances share the host's cores: an
 * event that the busy instances will take before a new one could be ready (a stream of short runs) waits for them.
 * Instances are started `startsAtOnce` at a time at most (those still being stopped count against `max`); an
 * instance idle for `idleMs` is stopped while the pool holds more than it wants and nothing waits. Pure: the pool
 * (local/executorPool.ts) feeds it what it sees and a clock, and carries out the decision.
 */

export interface PoolSettings {
  min: number;
  max: number;
  spare: number;
  idleMs: number;
  startsAtOnce: number;
}

export interface PoolView {
  now: number;
  /** Instances started but not yet ready for `/invoke`. */
  starting: number;
  /** Instances delivering an event. */
  busy: number;
  /** Instances ready and free, with when each last became free. */
  idle: ReadonlyArray<{ id: number; idleSince: number }>;
  /** Events waiting for an instance (retries waiting out their backoff included: they will need one). */
  queued: number;
  /** Instances being stopped: no longer serving, but holding their memory until gone, so counted against `max`. */
  ending?: number;
  /** Events the busy instances take off the queue per second, lately (their invocations answered). */
  drainPerSecond?: number;
  /** How long a cold start takes now (process start → ready to run). */
  coldStartMs?: number;
}

export interface PoolDecision {
  /** Instances to start now. */
  start: number;
  /** Idle instances to stop now, by id. */
  stop: number[];
  /** When to look again if nothing else happens (an idle instance's time runs out), or null. */
  recheckAt: number | null;
}

/**
 * The instances the pool wants for this demand: one per run in flight, one per waiting event that the busy ones
 * will not have taken by the time a new instance is ready (all of them while nothing drains), and the spare.
 */
export function wantedInstances(busy: number, queued: number, settings: PoolSettings, drainPerSecond = 0, coldStartMs = 0): number {
  const stillWaiting = Math.max(0, Math.ceil(queued - (drainPerSecond * coldStartMs) / 1000));
  return Math.min(settings.max, Math.max(settings.min, busy + stillWaiting + settings.spare));
}

export function decidePool(view: PoolView, settings: PoolSettings): PoolDecision {
  const wanted = wantedInstances(view.busy, view.queued, settings, view.drainPerSecond, view.coldStartMs);
  const total = view.starting + view.busy + view.idle.length;
  const start = Math.max(0, Math.min(wanted - total, settings.startsAtOnce - view.starting, settings.max - total - (view.ending ?? 0)));
  // Longest idle first: those are the ones FC would reclaim first, and the rest stay warm.
  const idle = [...view.idle].sort((a, b) => a.idleSince - b.idleSince || a.id - b.id);
  // Never while events wait: a free instance takes one at once.
  let surplus = view.queued > 0 ? 0 : total - wanted;
  const stop: number[] = [];
  let recheckAt: number | null = null;
  for (const instance of idle) {
    if (surplus <= 0) break;
    const expiresAt = instance.idleSince + settings.idleMs;
    if (expiresAt <= view.now) {
      stop.push(instance.id);
      surplus--;
    } else {
      recheckAt = recheckAt === null ? expiresAt : Math.min(recheckAt, expiresAt);
      // The others became idle later: this one expires first, and the next look decides again.
      break;
    }
  }
  return { start, stop, recheckAt };
}
