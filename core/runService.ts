/**
 * The API's side of the run protocol: create a run, feed it, kill it, read it. Pure over the ObjectStore port,
 * so the same code serves FC (OSS) and the local platform (folders).
 */
import { ApiError, notFound } from './apiError';
import { appendControl, encodeRecord } from './controlStream';
import { keyedRunId } from './idempotencyKey';
import type { LimitPolicy } from './limitPolicy';
import * as L from './limits';
import { longPollPeriods } from './longPollPeriods';
import { isStoreError, type Clock, type ObjectStore } from './ports';
import { isRunId, keys, newRunId, type Manifest, type RunResult, type RunState, type RuntimesDoc, type StatusDoc } from './protocol';
import { viewOf, type RunView } from './runState';
import { readJson } from './storeJson';
import type { SignalName } from './signals';
import { sleepUntilChanged } from './sleepUntilChanged';
import { completeUtf8Length } from './utf8';
import type { CreateRunRequest } from './validate';
import type { ExecuteRequest } from './executeRequest';
import { answerFromStatus, executeAndWait, finishedAnswer, startExecution } from './judge/executeAndWait';
import type { ExecuteResult } from './judge/executeResult';
import { writeManifest } from './writeManifest';

export interface RunServiceDeps {
  code: ObjectStore;
  runs: ObjectStore;
  clock: Clock;
  randomBytes: (n: number) => Uint8Array;
  policy: LimitPolicy;
}

/** The manifest's optional fields for an interactive run (split output, extra files, a client's note, a lower compile budget). */
type ManifestExtras = Pick<Manifest, 'streams' | 'files' | 'client' | 'compileLimits'>;

export interface OutputChunk {
  data: string;
  /** Next byte offset to ask for. */
  offset: number;
  state: RunState;
  result?: RunResult;
  /** True once the run is finished and every byte of its output has been returned. */
  eof: boolean;
}

export interface RunInfo {
  id: string;
  language: string;
  createdAt: string;
  state: RunState;
  result?: RunResult;
  /** The isolation the executor ran the program under (`bwrap` or `uid`), once it started. */
  isolation?: string;
}

/** What `judgeOutcome` reads. */
export interface JudgeOutcome {
  manifest: Manifest;
  state: RunState;
  /** Present once finished: the executor's answer, or one made from the final status when it put none. */
  result?: ExecuteResult;
  finishedAt?: string;
}

/** Most runs remembered as recently active (created or fed here); the oldest are forgotten first. */
const MAX_RECENT_RUNS = 10_000;

/** What this API instance remembers of a run it created or fed (nothing it could not learn again from storage). */
interface Recent {
  /** When it last created the run or appended its input. */
  touchedAt: number;
  /** The control stream's end after this instance's last append to it: where the next append is tried (no HEAD). */
  controlEnd: number;
  /** When the run was created, where this instance knows it (it created the run, or looked at its manifest). */
  createdAt?: number;
}

export class RunService {
  private readonly recent = new Map<string, Recent>();
  /** Long polls held here, by run: woken when this instance takes the run's input, so they read at once. */
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Long polls being held, by run (see L.MAX_HELD_POLLS_PER_RUN). */
  private readonly held = new Map<string, number>();

  constructor(private readonly deps: RunServiceDeps) {}

  /** `fast`: output is due now (a create, an input, a kill), so long polls read at the fast rate for a while. */
  private touch(id: string, controlEnd?: number, fast = true): void {
    const known = this.recent.get(id);
    this.recent.delete(id);
    this.recent.set(id, { touchedAt: fast || !known ? this.deps.clock.now() : known.touchedAt, controlEnd: controlEnd ?? known?.controlEnd ?? 0, createdAt: known?.createdAt });
    if (this.recent.size > MAX_RECENT_RUNS) this.recent.delete(this.recent.keys().next().value!);
  }

  /** Remembers when run `id` (touched just now) was created, which tells how long it may stay queued. */
  private created(id: string, at: number): void {
    const known = this.recent.get(id);
    if (known) known.createdAt = at;
  }

  /** Just after a create or an input here, when output is due: the burst of LONG_POLL_FAST_STEP reads. */
  private inFastWindow(id: string): boolean {
    const at = this.recent.get(id)?.touchedAt;
    return at !== undefined && this.deps.clock.now() - at < L.LONG_POLL_FAST_WINDOW_MS;
  }

  /**
   * A held long poll's pause between two looks: `ms`, or until this instance appends to the run's control stream, or
   * until the store hints that the run's output or status changed (locally; see core/sleepUntilChanged.ts).
   */
  private pause(id: string, ms: number): Promise<void> {
    return sleepUntilChanged(this.deps.clock, this.deps.runs, [keys.output(id), keys.status(id)], ms, (wake) => {
      const waiters = this.waiting.get(id) ?? new Set<() => void>();
      this.waiting.set(id, waiters);
      waiters.add(wake);
      return {
        dispose: () => {
          waiters.delete(wake);
          if (waiters.size === 0 && this.waiting.get(id) === waiters) this.waiting.delete(id);
        },
      };
    });
  }

  private wake(id: string): void {
    for (const done of [...(this.waiting.get(id) ?? [])]) done();
  }

  get policy(): LimitPolicy {
    return this.deps.policy;
  }

  /**
   * Writes the manifest (which fires the executor) after any initial stdin, so the program finds it at start.
   * `key`: the client's idempotency key (see `createKeyed`).
   */
  async create(request: CreateRunRequest, interactive = true, extra: ManifestExtras = {}, key?: string): Promise<string> {
    if (key !== undefined) return this.createKeyed(request, interactive, extra, key);
    const id = newRunId(this.deps.randomBytes);
    const controlEnd = request.stdin.length > 0 ? await appendControl(this.deps.runs, id, { t: 'in', d: request.stdin }, 0) : 0;
    await this.writeRunManifest(id, request, interactive, extra);
    this.touch(id, controlEnd);
    this.created(id, this.deps.clock.now());
    return id;
  }

  private writeRunManifest(id: string, request: CreateRunRequest, interactive: boolean, extra: ManifestExtras): Promise<void> {
    const { language, code, args, limits, cols, rows } = request;
    return writeManifest(this.deps.code, { id, language, code, args, limits, interactive, cols, rows, ...extra }, this.deps.clock.now());
  }

  /**
   * A create under the client's idempotency key: the id comes from the key and the request (core/idempotencyKey.ts),
   * so a retry finds the run its first attempt made, whether that attempt got as far as the stdin, the manifest or
   * nothing, and answers with the same id. One HEAD more than a plain create. Nobody but this client knows the id
   * before the manifest is in, so stdin already at the control stream's start is an earlier attempt's: this
   * request's own, not written again.
   */
  private async createKeyed(request: CreateRunRequest, interactive: boolean, extra: ManifestExtras, key: string): Promise<string> {
    const id = keyedRunId(key, { request, interactive, extra });
    const made = await this.deps.code.head(keys.manifest(id));
    if (made) {
      this.touch(id);
      this.created(id, made.lastModified.getTime());
      return id;
    }
    let controlEnd = 0;
    if (request.stdin.length > 0) {
      try {
        controlEnd = (await this.deps.runs.append(keys.control(id), encodeRecord({ t: 'in', d: request.stdin }), 0)).nextPosition;
      } catch (err) {
        if (!isStoreError(err, 'PositionMismatch')) throw err;
        controlEnd = err.nextPosition ?? 0;
      }
    }
    try {
      await this.writeRunManifest(id, request, interactive, extra);
    } catch (err) {
      // Another attempt under the key, at the same time, wrote it: the same run.
      if (!isStoreError(err, 'AlreadyExists')) throw err;
    }
    this.touch(id, controlEnd);
    this.created(id, this.deps.clock.now());
    return id;
  }

  /** `POST /api/execute` (core/judge/executeAndWait.ts): a judge-mode run, and the wait for its whole answer. */
  execute(request: ExecuteRequest): Promise<{ id: string; result: ExecuteResult }> {
    return executeAndWait(this.deps, request, (id) => this.touch(id));
  }

  /** A judge-mode run started without waiting for it (Judge0's `wait=false`); its answer is read by `judgeOutcome`. */
  async submit(request: ExecuteRequest): Promise<string> {
    const id = await startExecution(this.deps, request);
    this.touch(id);
    return id;
  }

  /**
   * Where a judge run is, from storage alone (so any API instance answers it): its manifest, its state, and its
   * answer once finished. 404 for an unknown id or a run that is not a judge run.
   */
  async judgeOutcome(id: string): Promise<JudgeOutcome> {
    const manifest = await this.manifest(id);
    if (!manifest.judge) throw notFound('run');
    const status = await this.status(id);
    const view = viewOf(status, this.deps.clock.now(), Date.parse(manifest.createdAt));
    if (view.state !== 'finished') return { manifest, state: view.state };
    const answer = await finishedAnswer(this.deps.runs, id, status!);
    return { manifest, state: 'finished', result: answer ?? answerFromStatus(view.result!, manifest.judge), ...(status?.finishedAt ? { finishedAt: status.finishedAt } : {}) };
  }

  /** The newest executor instance's sandbox report (see keys.executorReport), or null before any has started. */
  executorReport(): Promise<Record<string, unknown> | null> {
    return readJson<Record<string, unknown>>(this.deps.runs, keys.executorReport());
  }

  /** What the newest executor instance can run (see keys.runtimes), or null before any has probed its host. */
  runtimes(): Promise<RuntimesDoc | null> {
    return readJson<RuntimesDoc>(this.deps.runs, keys.runtimes());
  }

  private async status(id: string): Promise<StatusDoc | null> {
    return readJson<StatusDoc>(this.deps.runs, keys.status(id));
  }

  private async manifest(id: string): Promise<Manifest> {
    if (!isRunId(id)) throw notFound('run');
    const manifest = await readJson<Manifest>(this.deps.code, keys.manifest(id));
    if (!manifest) throw notFound('run');
    return manifest;
  }

  /**
   * 404 for ids that are malformed (without touching storage) or unknown. A run without a status is queued if its
   * manifest exists, for at most RUN_QUEUE_MAX_MS after its creation (core/runState.ts); one this instance created
   * is known to exist and when, so that HEAD is spared (a run only fed here is looked up once for its age).
   */
  private async view(id: string): Promise<RunView> {
    if (!isRunId(id)) throw notFound('run');
    const status = await this.status(id);
    if (status) return viewOf(status, this.deps.clock.now());
    let createdAt = this.recent.get(id)?.createdAt;
    if (createdAt === undefined) {
      const manifest = await this.deps.code.head(keys.manifest(id));
      if (!manifest) throw notFound('run');
      createdAt = manifest.lastModified.getTime();
      this.created(id, createdAt);
    }
    return viewOf(null, this.deps.clock.now(), createdAt);
  }

  async info(id: string): Promise<RunInfo> {
    const manifest = await this.manifest(id);
    const status = await this.status(id);
    const view = viewOf(status, this.deps.clock.now(), Date.parse(manifest.createdAt));
    return { id, language: manifest.language, createdAt: manifest.createdAt, ...view, ...(status?.isolation ? { isolation: status.isolation } : {}) };
  }

  /**
   * One record onto the run's control stream, in one round trip for a run this instance knows: the append (at the
   * end it remembers, no HEAD) goes beside the status read that tells whether the run has finished. A record that
   * lands on a finished run is never read, and the caller still gets 409. A run unknown here is looked up first, so
   * that a made-up id never gets a control object. The total input bound is checked against the position the append
   * lands at, which is the object's real end.
   */
  private async appendToLiveRun(id: string, record: Parameters<typeof appendControl>[2]): Promise<void> {
    const bytes = record.t === 'in' ? Buffer.byteLength(record.d) : 0;
    const check = (position: number) => {
      if (position + bytes > L.MAX_INPUT_TOTAL_BYTES) {
        throw new ApiError(413, 'payload_too_large', `data: the run's total input would exceed ${L.MAX_INPUT_TOTAL_BYTES} bytes`);
      }
    };
    const finished = (view: RunView) => {
      if (view.state === 'finished') throw new ApiError(409, 'run_finished', 'id: the run has already finished');
    };
    const append = async () => {
      this.touch(id, await appendControl(this.deps.runs, id, record, this.recent.get(id)?.controlEnd ?? 0, record.t === 'in' ? check : undefined), record.t !== 'resize');
      // The reply (or the end, after a kill) is due: held polls switch to the fast rate now, not after their pause.
      if (record.t !== 'resize') this.wake(id);
    };
    if (!this.recent.has(id)) {
      finished(await this.view(id));
      await append();
      return;
    }
    const [view, appended] = await Promise.allSettled([this.view(id), append()]);
    if (view.status === 'fulfilled') finished(view.value);
    if (appended.status === 'rejected') throw appended.reason;
    // The record is in. A failed status read is not reported: the caller would send the record again, twice in all.
  }

  /** `key`: the client's idempotency key (core/idempotencyKey.ts), so that its retry of this input is applied once. */
  async input(id: string, data: string, key?: string): Promise<void> {
    await this.appendToLiveRun(id, key === undefined ? { t: 'in', d: data } : { t: 'in', d: data, k: key });
  }

  kill(id: string): Promise<void> {
    return this.appendToLiveRun(id, { t: 'kill' });
  }

  /** A signal for the program (`name` one of core/signals.ts's; the caller has checked it). */
  signal(id: string, name: SignalName): Promise<void> {
    return this.appendToLiveRun(id, { t: 'signal', name });
  }

  resize(id: string, cols: number, rows: number): Promise<void> {
    return this.appendToLiveRun(id, { t: 'resize', cols, rows });
  }

  /**
   * New output from `offset`, cut at a UTF-8 character boundary. With `waitMs`, holds until there is new output
   * or the state changes (long poll). Each look reads the output object and, beside it in the same round trip, the
   * status, at the periods of core/longPollPeriods.ts (the status on the first look in any case). The executor writes its last output before its final status, but an output read
   * made beside a status read may have been served before that last append: so once the status says finished the
   * output is read again, and only that read decides `eof`.
   */
  async output(id: string, offset: number, waitMs = 0, encoding: 'utf8' | 'base64' = 'utf8'): Promise<OutputChunk> {
    if (!isRunId(id)) throw notFound('run');
    if (waitMs <= 0) return this.heldOutput(id, offset, waitMs, encoding);
    const held = this.held.get(id) ?? 0;
    if (held >= L.MAX_HELD_POLLS_PER_RUN) {
      throw new ApiError(429, 'too_many_requests', `waitMs: ${held} long polls already wait on this run; wait for one to answer before sending another`);
    }
    this.held.set(id, held + 1);
    try {
      return await this.heldOutput(id, offset, waitMs, encoding);
    } finally {
      const left = (this.held.get(id) ?? 1) - 1;
      if (left > 0) this.held.set(id, left);
      else this.held.delete(id);
    }
  }

  private async heldOutput(id: string, offset: number, waitMs: number, encoding: 'utf8' | 'base64'): Promise<OutputChunk> {
    const { clock } = this.deps;
    const deadline = clock.now() + Math.min(waitMs, L.MAX_LONG_POLL_MS);
    let view: RunView | undefined;
    let first: RunState | undefined;
    let statusReadAt = -Infinity;
    const heldSince = clock.now();
    for (;;) {
      const lookedAt = clock.now();
      const periods = longPollPeriods(clock.now() - heldSince, this.inFastWindow(id));
      // A little early is on time: the pause below is the output period, and the status read rides on an output read.
      const wantStatus = view === undefined || clock.now() - statusReadAt >= periods.statusEveryMs - periods.outputEveryMs / 2;
      const [fresh, read] = await Promise.all([wantStatus ? this.view(id) : undefined, this.readOutput(id, offset)]);
      if (fresh) {
        view = fresh;
        statusReadAt = clock.now();
        first ??= view.state;
      }
      const current = view!;
      const finished = current.state === 'finished';
      const { data, size } = finished && fresh ? await this.readOutput(id, offset) : read;
      const usable = finished || encoding === 'base64' ? data.length : completeUtf8Length(data);
      if (usable > 0 || current.state !== first || finished || clock.now() >= deadline) {
        const bytes = data.subarray(0, usable);
        const next = offset + usable;
        return {
          data: bytes.toString(encoding),
          offset: next,
          // Output is stored only once the running status is (the executor's OutputSink.after): output found beside
          // a status read made at an earlier look (the status is read every other look) proves the run running.
          state: current.state === 'queued' && size > 0 ? 'running' : current.state,
          ...(current.result ? { result: current.result } : {}),
          eof: finished && next >= size,
        };
      }
      // In the fast window after a create or an input, looks are a period apart from one start to the next: the
      // read's own round trip is not added to the wait for what the client expects at once (simulated cloud, three
      // runs each: first output − floor − trigger 39.5–40.4 ms instead of 39.7–51.2, the reply 35.6–38.9 instead
      // of 35.7–45.0; tried before the executors kept their bytecode, it had made the first output later). Outside
      // it the pause follows the look: a look every period plus its round trip (the cost model's count is the upper
      // bound).
      const fast = this.inFastWindow(id);
      const every = longPollPeriods(clock.now() - heldSince, fast).outputEveryMs;
      const pauseMs = fast ? Math.max(1, lookedAt + every - clock.now()) : every;
      await this.pause(id, Math.min(pauseMs, Math.max(1, deadline - clock.now())));
    }
  }

  private async readOutput(id: string, offset: number): Promise<{ data: Buffer; size: number }> {
    try {
      return await this.deps.runs.get(keys.output(id), { start: offset, end: offset + L.MAX_OUTPUT_READ_BYTES - 1 });
    } catch (err) {
      if (isStoreError(err, 'NotFound')) return { data: Buffer.alloc(0), size: 0 };
      throw err;
    }
  }

  /** Waits for the run to finish and returns its whole output (the blocking form). */
  async waitForAll(id: string, timeoutMs: number): Promise<{ output: string; result?: RunResult }> {
    const deadline = this.deps.clock.now() + timeoutMs;
    const parts: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const chunk = await this.output(id, offset, Math.min(L.MAX_LONG_POLL_MS, Math.max(0, deadline - this.deps.clock.now())), 'base64');
      parts.push(Buffer.from(chunk.data, 'base64'));
      offset = chunk.offset;
      if (chunk.eof) return { output: Buffer.concat(parts).toString('utf8'), result: chunk.result };
      if (this.deps.clock.now() >= deadline) return { output: Buffer.concat(parts).toString('utf8') };
    }
  }

  /** All output so far (the seed's `output` request). */
  async outputSoFar(id: string): Promise<string> {
    await this.view(id);
    const parts: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const { data, size } = await this.readOutput(id, offset);
      parts.push(data);
      offset += data.length;
      if (data.length === 0 || offset >= size) break;
    }
    const all = Buffer.concat(parts);
    return all.subarray(0, completeUtf8Length(all)).toString('utf8');
  }
}
