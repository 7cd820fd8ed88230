/**
 * Keeps `keys.runtimes()` (what `GET /api/runtimes` shows: the API never sees a toolchain) true without putting the
 * full runtime probe in front of a run. At start an instance reads the list; when it is missing, older than
 * RUNTIMES_DOC_MAX_AGE_MS or written by another executor build (bundle or isolation), the instance probes every tool
 * (RuntimeProbe.all, niced) once it has had no run in flight for RUNTIMES_PROBE_IDLE_MS (plus jitter), reading the
 * list again first (another instance may have written it meanwhile), and writes it. A run arriving meanwhile stops
 * that probe (RuntimeProbe.runtime); the next idle moment tries again. Where instances share a host, one probes at a
 * time (`turn`): a burst's instances going idle together would otherwise each spend ~0.4 s of CPU on the same list.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as L from '../core/limits';
import type { Clock, ObjectStore, Timer } from '../core/ports';
import { keys, type RuntimesDoc } from '../core/protocol';
import { runtimeInfo, type Runtime, type RuntimeProbe } from '../core/runtimeProbe';
import { readJson } from '../core/storeJson';

export interface RuntimesReportOptions {
  probe: Pick<RuntimeProbe, 'all'>;
  runs: ObjectStore;
  executorId: string;
  /** What the list's findings depend on besides the host: see executorBuild. */
  build: string;
  clock: Clock;
  log(record: Record<string, unknown>): void;
  /** Called with what a full probe found (the executor preloads the TypeScript transpiler then). */
  onProbed?(runtimes: Runtime[]): void;
  /** 0..1, for the jitter; Math.random by default. */
  random?: () => number;
  /**
   * Where instances share a host (host facts): the host-wide turn to probe, released when the probe is through;
   * null while another instance of the host probes (this one looks again at its next idle moment, and by then
   * usually finds the list written). Unset: every instance may probe.
   */
  turn?: () => (() => void) | null;
}

/** The executor's build as far as the runtimes list goes: its bundle's content and the isolation runs get. */
export function executorBuild(bundleFile: string, isolation: string): string {
  let bundle = 'unknown';
  try {
    bundle = createHash('sha256').update(fs.readFileSync(bundleFile)).digest('hex').slice(0, 16);
  } catch {
    // A build that cannot be named matches no list: this instance probes and writes its own.
  }
  return `${bundle}/${isolation}`;
}

export class RuntimesReport {
  private inFlight = 0;
  /** A full probe is wanted (the list is missing, stale or another build's). */
  private due = false;
  private idleTimer: Timer | null = null;
  private recheckTimer: Timer | null = null;
  private working: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: RuntimesReportOptions) {}

  /** Reads the list (in the background: nothing waits for it) and plans a probe if it is not fresh. */
  start(): void {
    this.working = this.check();
  }

  runStarted(): void {
    this.inFlight++;
    this.idleTimer?.cancel();
    this.idleTimer = null;
  }

  runEnded(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.armIdle();
  }

  /** No probe is started after this; resolves once the one in flight (stopped by the instance's shutdown) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.idleTimer?.cancel();
    this.recheckTimer?.cancel();
    await this.working;
  }

  /** Whether the list is fresh; if so, the next look is planned for when it goes stale. */
  private async fresh(): Promise<boolean> {
    const { options } = this;
    let doc: RuntimesDoc | null = null;
    try {
      doc = await readJson<RuntimesDoc>(options.runs, keys.runtimes());
    } catch (err) {
      options.log({ event: 'runtimes_read_failed', error: err instanceof Error ? err.message : String(err) });
    }
    const age = doc ? options.clock.now() - Date.parse(doc.at) : NaN;
    if (!doc || doc.build !== options.build || !(age >= 0 && age < L.RUNTIMES_DOC_MAX_AGE_MS)) return false;
    this.recheckAfter(L.RUNTIMES_DOC_MAX_AGE_MS - age);
    return true;
  }

  private recheckAfter(ms: number): void {
    this.recheckTimer?.cancel();
    this.recheckTimer = this.options.clock.setTimeout(() => {
      this.recheckTimer = null;
      this.working = this.working.then(() => this.check());
    }, ms);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    this.due = !(await this.fresh());
    this.armIdle();
  }

  private armIdle(): void {
    if (!this.due || this.stopped || this.inFlight > 0 || this.idleTimer) return;
    const ms = L.RUNTIMES_PROBE_IDLE_MS * (1 + (this.options.random ?? Math.random)());
    this.idleTimer = this.options.clock.setTimeout(() => {
      this.idleTimer = null;
      if (this.inFlight === 0) this.working = this.working.then(() => this.probe());
    }, ms);
  }

  private async probe(): Promise<void> {
    const { options } = this;
    if (this.stopped || !this.due || this.inFlight > 0) return;
    if (await this.fresh()) {
      this.due = false;
      return;
    }
    // Held until the list is written, so that the next instance to have its turn finds it fresh.
    const release = options.turn ? options.turn() : () => undefined;
    if (!release) {
      this.armIdle();
      return;
    }
    try {
      const found = await options.probe.all();
      if (this.stopped) return;
      if (!found) {
        // Gave way to a run: its end arms the next try.
        this.armIdle();
        return;
      }
      options.onProbed?.(found);
      const doc: RuntimesDoc = { executor: options.executorId, build: options.build, at: new Date(options.clock.now()).toISOString(), runtimes: found.map(runtimeInfo) };
      try {
        await options.runs.put(keys.runtimes(), JSON.stringify(doc), { contentType: 'application/json' });
        this.due = false;
        this.recheckAfter(L.RUNTIMES_DOC_MAX_AGE_MS);
      } catch (err) {
        options.log({ event: 'runtimes_report_failed', error: err instanceof Error ? err.message : String(err) });
        this.armIdle();
      }
    } finally {
      release();
    }
  }
}
