/**
 * One run in the executor, as an object moving through the phases of core/runPhase.ts:
 *   claimed → starting → running → finishing → finished   (starting → finishing when the program never starts)
 * The claim (an object created with overwrite forbidden) makes a redelivered or retried OSS event a no-op; the
 * status object carries a heartbeat so a dead executor is noticed; cleanup is in `finally`.
 */
import { BusyClock } from './busyClock';
import { clampLimits } from './clampLimits';
import { compileLimits } from './compileLimits';
import { controlPollPeriod } from './controlPollPeriod';
import { ControlReader } from './controlStream';
import { crlfConverter } from './crlfConverter';
import { compileOutOfTime } from './judge/compileVerdict';
import type { ExecuteResult } from './judge/executeResult';
import { judgeCellRequest } from './judge/judgeCellRequest';
import { judgeCommandsOf, type JudgeCommands } from './judge/judgeCommands';
import type { JudgeSpec } from './judge/judgeSpec';
import { runJudge, transformFailed } from './judge/runJudge';
import { streamBytes } from './judge/streamText';
import { findLanguage, type CommandContext, type Language, type SourceTransform, type SourceTransformName } from './languages';
import type { LimitPolicy } from './limitPolicy';
import * as L from './limits';
import { OutputSink } from './outputSink';
import { sinkCapFor, SplitOutput, type RunOutput } from './splitOutput';
import { stopThroughRunHead } from './stopThroughRunHead';
import { isStoreError, type Clock, type ExitInfo, type ObjectStore, type PreparedSandbox, type ProcessSpawner, type Sandbox, type SpawnedProcess, type Timer } from './ports';
import { keys, type ClaimDoc, type ControlRecord, type Manifest, type RunLimits, type RunResult, type RunStatus, type StatusDoc } from './protocol';
import { RunPhase } from './runPhase';
import type { Runtime } from './runtimeProbe';
import { EXECUTOR_LOST, isStale } from './runState';
import { readJson } from './storeJson';

export interface ExecutorDeps {
  code: ObjectStore;
  runs: ObjectStore;
  /**
   * A terminal for interactive runs, pipes for blocking ones (stdin given up front, no echo), and for judge mode
   * pipes with stderr apart and the run head's usage report (`pipes` when not given).
   */
  spawners: {
    pty: ProcessSpawner;
    pipes: ProcessSpawner;
    judge?: ProcessSpawner;
    /** `streams: 'split'` runs: pipes with stderr apart and no usage report (`judge`, else `pipes`, when not given). */
    split?: ProcessSpawner;
  };
  sandbox: Sandbox;
  clock: Clock;
  policy: LimitPolicy;
  allowNetwork: boolean;
  /** Where the language's tools are on this host (core/runtimeProbe.ts), or null when it has none. */
  resolveRuntime(language: Language): Promise<Runtime | null> | Runtime | null;
  /** The source transforms languages may ask for (TypeScript: core/transpileTypeScript.ts). */
  transforms?: Partial<Record<SourceTransformName, SourceTransform>>;
  /** Identifies this executor instance in claims and status (never shown to users). */
  executorId: string;
  log(record: Record<string, unknown>): void;
}

export type InvokeOutcome =
  /** This invocation ran the program. */
  | 'executed'
  /** Someone else owns the run; nothing was done. */
  | 'duplicate'
  /** The owner went silent: the run was closed as internal_error without starting a second copy. */
  | 'abandoned';

type StopReason = Extract<RunStatus, 'timeout' | 'output_limit' | 'disk_limit' | 'killed'>;

/** Compiler output that means it ran out of memory (its address-space limit). */
const COMPILER_OUT_OF_MEMORY = /out of memory|Cannot allocate memory|virtual memory exhausted|std::bad_alloc|OutOfMemoryError|Could not reserve enough space/i;

/** Entry point for one OSS event naming a run's manifest. */
export async function handleRunEvent(deps: ExecutorDeps, runId: string, requestId: string, shutdown?: AbortSignal): Promise<InvokeOutcome> {
  const claim: ClaimDoc = { id: runId, executor: deps.executorId, requestId, claimedAt: new Date(deps.clock.now()).toISOString() };
  // The manifest and the control stream are read beside the claim, in the same round trip (reading is harmless, and
  // a run claimed by someone else just drops what was read): the program starts one round trip sooner, or two.
  const reads = prefetch(deps, runId);
  try {
    await deps.runs.put(keys.claim(runId), JSON.stringify(claim), { ifNotExists: true, contentType: 'application/json' });
  } catch (err) {
    if (isStoreError(err, 'AlreadyExists')) return onDuplicate(deps, runId);
    throw err;
  }
  await new ExecutorRun(deps, runId, requestId, shutdown, reads).execute();
  return 'executed';
}

interface Prefetched {
  control: ControlReader;
  manifest: Promise<Manifest | null>;
  /** Input typed and kills sent before the program started, or null when that read failed (it is then made again). */
  early: Promise<ControlRecord[] | null>;
}

function prefetch(deps: ExecutorDeps, runId: string): Prefetched {
  const control = new ControlReader(deps.runs, runId);
  const manifest = readJson<Manifest>(deps.code, keys.manifest(runId));
  const early = control.poll().catch((err: unknown) => {
    deps.log({ event: 'control_poll_failed', runId, error: err instanceof Error ? err.message : String(err) });
    return null;
  });
  // Unobserved when the claim fails; the failure is seen again where the run awaits it.
  manifest.catch(() => undefined);
  return { control, manifest, early };
}

/**
 * The run was claimed before. Never start it again (the first copy may still be alive); if its owner has gone
 * silent for longer than the heartbeat allows, close it as internal_error so it does not stay `running`.
 */
async function onDuplicate(deps: ExecutorDeps, runId: string): Promise<InvokeOutcome> {
  const now = deps.clock.now();
  const status = await readJson<StatusDoc>(deps.runs, keys.status(runId));
  if (status?.state === 'finished') return 'duplicate';
  if (status) {
    if (!isStale(status, now)) return 'duplicate';
  } else {
    const claim = await readJson<ClaimDoc>(deps.runs, keys.claim(runId));
    if (claim && now - Date.parse(claim.claimedAt) <= L.HEARTBEAT_STALE_MS) return 'duplicate';
  }
  const startedAt = status?.startedAt ?? new Date(now).toISOString();
  const closed: StatusDoc = {
    id: runId,
    state: 'finished',
    executor: deps.executorId,
    startedAt,
    heartbeatAt: new Date(now).toISOString(),
    finishedAt: new Date(now).toISOString(),
    result: {
      status: 'internal_error',
      exitCode: null,
      signal: null,
      wallMs: status ? Math.max(0, Date.parse(status.heartbeatAt) - Date.parse(status.startedAt)) : 0,
      message: EXECUTOR_LOST,
    },
  };
  await deps.runs.put(keys.status(runId), JSON.stringify(closed), { contentType: 'application/json' });
  deps.log({ event: 'run_abandoned', runId });
  return 'abandoned';
}

/** Resolves after `ms`, or at once when `wake()` is called. */
class WakeableSleep {
  private wakeUp: (() => void) | null = null;

  constructor(private readonly clock: Clock) {}

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        timer.cancel();
        this.wakeUp = null;
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  wake(): void {
    this.wakeUp?.();
  }
}

class ExecutorRun {
  private readonly phase = new RunPhase();
  private stopReason: StopReason | null = null;
  private stopMessage: string | undefined;
  private startedAt = 0;
  private startedIso = '';
  private statusChain: Promise<void> = Promise.resolve();
  private proc: SpawnedProcess | null = null;
  /** A judge run's whole answer, once it has one: the final status carries it. */
  private answer: ExecuteResult | null = null;
  private heartbeat: Timer | null = null;
  private heartbeating = false;
  private readonly control: ControlReader;
  private readonly pacer: WakeableSleep;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly id: string,
    private readonly requestId: string,
    private readonly shutdown?: AbortSignal,
    private readonly prefetched: Prefetched = prefetch(deps, id),
  ) {
    this.control = prefetched.control;
    this.pacer = new WakeableSleep(deps.clock);
  }

  async execute(): Promise<void> {
    const { deps } = this;
    this.startedAt = deps.clock.now();
    this.startedIso = new Date(this.startedAt).toISOString();
    let prepared: PreparedSandbox | null = null;
    let sink: RunOutput | null = null;
    let outputClosing = false;
    let result: RunResult | null = null;
    let language = 'unknown';
    try {
      this.phase.to('starting');
      // Beside the sandbox's preparation, not before it: awaited before the program starts (a run whose status
      // cannot be written does not run).
      const running = this.writeStatus({ state: 'running' });
      running.catch(() => undefined);
      const manifest = await this.prefetched.manifest;
      if (!manifest) throw new Error('manifest missing (expired before the run started?)');
      language = manifest.language;
      const lang = findLanguage(manifest.language);
      if (!lang) throw new Error(`unknown language ${manifest.language}`);
      const runtime = await deps.resolveRuntime(lang);
      if (!runtime) throw new Error(`no ${lang.name} runtime on this host`);
      // Clamped again: a manifest is data from storage, not a trusted request (repaired, not refused: see clampLimits).
      const limits = clampLimits(manifest.limits, deps.policy, { onInvalid: 'repair' });

      // Input typed before the program started (and a kill sent while it was queued) are honoured first. If the
      // read failed, the reader kept its offset and the supervising loop delivers the same records later.
      const early = (await this.prefetched.early) ?? [];
      if (early.some((r) => r.t === 'kill')) {
        result = { status: 'killed', exitCode: null, signal: null, wallMs: 0 };
        return;
      }

      const interactive = manifest.interactive !== false;
      const { fileName, entry } = lang.source(manifest.code);
      const ctx: CommandContext = { tools: runtime.tools, fileName, entry, userArgs: Array.isArray(manifest.args) ? manifest.args : [], memoryBytes: limits.memoryBytes };
      const split = interactive && manifest.streams === 'split';
      if (!manifest.judge) {
        sink = split
          ? new SplitOutput(new OutputSink(deps.runs, keys.output(this.id), sinkCapFor(limits.outputBytes), deps.clock), limits.outputBytes)
          : new OutputSink(deps.runs, keys.output(this.id), limits.outputBytes, deps.clock);
      }
      let content = manifest.code;
      if (lang.transform) {
        const transform = deps.transforms?.[lang.transform];
        if (!transform) throw new Error(`no ${lang.transform} transform in this executor`);
        const transformed = transform(content, fileName);
        if ('error' in transformed) {
          if (manifest.judge) {
            result = this.keepAnswer(transformFailed(manifest.judge, transformed.error));
            return;
          }
          const report = Buffer.from(transformed.error);
          sink!.push(interactive && !split ? crlfConverter()(report) : report, 'stderr');
          result = { status: 'compile_error', exitCode: null, signal: null, wallMs: 0, compileMs: 0 };
          return;
        }
        content = transformed.code;
      }
      if (manifest.judge) {
        const commands = judgeCommandsOf(lang, ctx, limits, manifest.compileLimits);
        prepared = await deps.sandbox.prepare(judgeCellRequest(this.id, { fileName, content }, manifest.judge, commands, lang.env(ctx), limits, deps.allowNetwork));
        await running;
        result = await this.judge(prepared, manifest.judge, commands, limits);
        return;
      }
      if (!sink) throw new Error('unreachable: a run that is not judged has its output sink');
      prepared = await deps.sandbox.prepare({
        runId: this.id,
        files: [{ path: fileName, content }, ...(manifest.files ?? []).map((f) => ({ path: f.name, content: streamBytes(f.content, f.contentBase64) }))],
        command: lang.run(ctx),
        env: lang.env(ctx),
        limits: { ...limits, memoryBytes: limits.memoryBytes + lang.addressSpaceOverheadBytes },
        allowNetwork: deps.allowNetwork,
        cols: manifest.cols ?? L.DEFAULT_COLS,
        rows: manifest.rows ?? L.DEFAULT_ROWS,
        // As supervise() picks its spawner: a terminal for interactive runs that are not split.
        terminal: interactive && !split,
      });
      // The program starts beside its running status too (one round trip sooner in the cloud), but nothing of it is
      // stored before that status is (its output appends wait for it, OutputSink.after), and a run whose status
      // cannot be written is stopped and ends as internal_error.
      sink.after(running);
      let unannounced = false;
      running.catch(() => {
        unannounced = true;
        this.proc?.kill('SIGKILL');
      });
      let compileMs: number | undefined;
      if (lang.compile) {
        const compiled = await this.compile(prepared, sink, lang.compile.command(ctx), compileLimits(lang.compile, limits, manifest.compileLimits), early, interactive && !split);
        if (compiled.result) {
          result = compiled.result;
          return;
        }
        compileMs = compiled.wallMs;
      }
      // A compile step that ran while the status failed: the program is not started.
      if (unannounced) await running;
      const exit = await this.supervise(prepared, sink, limits, early, interactive, split);
      await running;
      outputClosing = true;
      await sink.close();
      result = { ...this.classify(exit, sink.tail, lang), ...(compileMs === undefined ? {} : { compileMs }) };
    } catch (err) {
      result = {
        status: 'internal_error',
        exitCode: null,
        signal: null,
        wallMs: deps.clock.now() - this.startedAt,
        message: err instanceof Error ? err.message : String(err),
      };
    } finally {
      this.phase.to('finishing');
      this.heartbeat?.cancel();
      this.proc?.kill('SIGKILL');
      // A run that failed while the program ran still stores the output it accepted before the status says finished
      // (what the program prints from now on is dropped): readers rely on output being complete by then.
      if (sink && !outputClosing) {
        await sink.close().catch((err: unknown) => deps.log({ event: 'output_flush_failed', runId: this.id, error: err instanceof Error ? err.message : String(err) }));
      }
      const final = result ?? { status: 'internal_error', exitCode: null, signal: null, wallMs: deps.clock.now() - this.startedAt };
      try {
        // The final status (with a judge run's answer in it) comes first: the user waits for it, not for the
        // clean-up. The uid sweep and file wipe follow, and `execute` resolves only once they are done: the
        // invocation is answered after it (handlers/executor.ts), and an instance takes its next event only once it
        // has answered the last (FC: instanceConcurrency 1; locally local/asyncInvoker.ts), so the next run on this
        // instance still never meets anything of this one.
        await this.writeStatus({ state: 'finished', result: final, finishedAt: new Date(deps.clock.now()).toISOString(), ...(this.answer ? { answer: this.answer } : {}) });
        this.phase.to('finished');
        deps.log({
          event: 'run',
          runId: this.id,
          requestId: this.requestId,
          language,
          status: final.status,
          exitCode: final.exitCode,
          signal: final.signal,
          wallMs: final.wallMs,
          outputBytes: sink?.accepted ?? 0,
          isolation: deps.sandbox.isolation,
        });
      } finally {
        await prepared?.dispose().catch((err: unknown) => deps.log({ event: 'dispose_failed', runId: this.id, error: String(err) }));
      }
    }
  }

  /**
   * The compile step, in the program's cell with limits of its own, through pipes (stdout and stderr merged) into
   * the run's output (as a terminal shows it, for interactive runs). A kill is honoured meanwhile; input and
   * resizes wait in `early` for the program. Resolves with a result when the run ends here: the compiler failed
   * (`compile_error`), or the run was killed or crossed its disk cap.
   */
  private compile(
    prepared: PreparedSandbox,
    sink: RunOutput,
    command: string[],
    limits: RunLimits,
    early: ControlRecord[],
    asTerminalOutput: boolean,
  ): Promise<{ wallMs: number; result?: RunResult }> {
    const { deps } = this;
    const proc = deps.spawners.pipes.spawn(prepared.spawnFor(command, limits));
    this.proc = proc;
    this.startHeartbeat();
    const spawnedAt = deps.clock.now();
    const asTerminal = asTerminalOutput ? crlfConverter() : (chunk: Buffer) => chunk;
    let exited = false;
    let stopped: { status: RunStatus; message?: string } | null = null;
    let printed = 0;
    // Through the run head, which kills and reaps the compiler's tree itself (stopThroughRunHead.ts).
    let forceKill: Timer | null = null;
    const stop = (status: RunStatus, message?: string) => {
      if (stopped || exited) return;
      stopped = { status, message };
      forceKill = stopThroughRunHead(proc, deps.clock);
    };
    proc.onData((raw) => {
      if (!this.phase.is('starting')) return;
      const chunk = asTerminal(raw);
      const taken = chunk.subarray(0, Math.max(0, limits.outputBytes - printed));
      printed += taken.length;
      // One stream (stdout and stderr merged): on split output it is the compiler's messages, stderr.
      if (!sink.push(taken, 'stderr')) stop('output_limit');
      else if (taken.length < chunk.length) stop('compile_error', `the compiler printed more than ${limits.outputBytes} bytes`);
    });
    const timeout = deps.clock.setTimeout(() => stop('compile_error', compileOutOfTime(`it took longer than ${limits.timeoutMs / 1000} s`)), limits.timeoutMs);
    const diskWatch = prepared.onLimit((status, message) => stop(status, message));
    const onShutdown = () => stop('killed');
    if (this.shutdown?.aborted) onShutdown();
    this.shutdown?.addEventListener('abort', onShutdown, { once: true });
    const polling = (async () => {
      while (!exited) {
        await this.pacer.sleep(L.CONTROL_POLL_BUSY_MS);
        if (exited) break;
        try {
          for (const record of await this.control.poll()) {
            if (record.t === 'kill') stop('killed');
            // A signal goes to the stage that runs, as in Piston: here the compiler.
            else if (record.t === 'signal') proc.signal?.(record.name);
            else early.push(record);
          }
        } catch (err) {
          // A compile step is short: the program's supervision bounds a storage outage.
          deps.log({ event: 'control_poll_failed', runId: this.id, error: err instanceof Error ? err.message : String(err) });
        }
      }
    })();
    proc.endInput?.();
    return new Promise((resolve) => {
      proc.onExit((exit) => {
        exited = true;
        timeout.cancel();
        forceKill?.cancel();
        diskWatch.dispose();
        this.shutdown?.removeEventListener('abort', onShutdown);
        this.pacer.wake();
        const wallMs = deps.clock.now() - spawnedAt;
        const base = { exitCode: exit.exitCode, signal: exit.signal, wallMs, compileMs: wallMs };
        const ended = (): RunResult | undefined => {
          if (stopped) return { ...base, status: stopped.status, ...(stopped.message ? { message: stopped.message } : {}) };
          if (exit.exitCode === 0 && exit.signal === null) return undefined;
          const outOfMemory = COMPILER_OUT_OF_MEMORY.test(sink.tail.toString('utf8'));
          return { ...base, status: 'compile_error', ...(outOfMemory ? { message: `the compiler ran out of memory (${limits.memoryBytes / 1024 / 1024} MiB of address space)` } : {}) };
        };
        const result = ended();
        // A poll still in flight may carry input for the program: it lands in `early` before the program starts.
        // The compiler's output is sent on its way at once, the program's follows it.
        void polling.then(() => {
          if (!result) void sink.flush();
          resolve({ wallMs, ...(result ? { result } : {}) });
        });
      });
    });
  }

  /** Rewrites the running status every HEARTBEAT_INTERVAL_MS from the compile step (or the program) on. */
  private startHeartbeat(): void {
    if (this.heartbeating) return;
    this.heartbeating = true;
    const { deps } = this;
    const beat = () => {
      this.heartbeat = deps.clock.setTimeout(() => {
        // A missed heartbeat is survivable (the bound allows several); an unhandled rejection is not.
        this.writeStatus({ state: 'running' }).catch((err: unknown) =>
          deps.log({ event: 'heartbeat_failed', runId: this.id, error: err instanceof Error ? err.message : String(err) }),
        );
        beat();
      }, L.HEARTBEAT_INTERVAL_MS);
    };
    beat();
  }

  /** Spawns the program and drives it until it exits: output, input, kill, resize, timeout, heartbeat. */
  private supervise(
    prepared: PreparedSandbox,
    sink: RunOutput,
    limits: RunLimits,
    early: ControlRecord[],
    interactive: boolean,
    split = false,
  ): Promise<ExitInfo & { wallMs: number }> {
    const { deps } = this;
    return new Promise((resolve, reject) => {
      if (sink instanceof SplitOutput) sink.markRun();
      const spawner = split ? (deps.spawners.split ?? deps.spawners.judge ?? deps.spawners.pipes) : interactive ? deps.spawners.pty : deps.spawners.pipes;
      const proc = spawner.spawn(prepared.spawn);
      this.proc = proc;
      this.phase.to('running');
      const spawnedAt = deps.clock.now();
      let exited = false;
      let quietTimer: Timer | null = null;
      let lastDataAt = 0;
      // A burst followed by silence is how a prompt looks: once output has been quiet for INPUT_WAIT_PROBE_MS,
      // check whether the program now waits for input, and if so flush and poll for input at once. One timer per
      // quiet spell, not one per chunk.
      const onQuiet = () => {
        const quietFor = deps.clock.now() - lastDataAt;
        if (quietFor < L.INPUT_WAIT_PROBE_MS) {
          quietTimer = deps.clock.setTimeout(onQuiet, L.INPUT_WAIT_PROBE_MS - quietFor);
          return;
        }
        quietTimer = null;
        if (!exited && proc.isWaitingForInput()) {
          void sink.flush();
          this.pacer.wake();
        }
      };

      // On pipes, through the run head, which kills and reaps the program's tree itself (stopThroughRunHead.ts):
      // killed outright, it left the tree to the host's init, and the next run on this instance waited for init's
      // late reaping (1.3–1.5 s here). A terminal's run head is killed outright: closing the terminal hangs up the
      // program's session, which ends it at once.
      let forceKill: Timer | null = null;
      const stop = (reason: StopReason, message?: string) => {
        if (this.stopReason || exited) return;
        this.stopReason = reason;
        this.stopMessage = message;
        if (spawner === deps.spawners.pty) proc.kill('SIGKILL');
        else forceKill = stopThroughRunHead(proc, deps.clock);
      };

      const onOutput = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        if (!this.phase.is('running')) return;
        if (!sink.push(chunk, stream)) stop('output_limit');
        lastDataAt = deps.clock.now();
        quietTimer ??= deps.clock.setTimeout(onQuiet, L.INPUT_WAIT_PROBE_MS);
      };
      proc.onData(onOutput('stdout'));
      if (split) proc.onStderr?.(onOutput('stderr'));

      const timeout = deps.clock.setTimeout(() => stop('timeout'), limits.timeoutMs);
      // Only a run that asks for a busy limit below its wall limit samples its program's state.
      const busy = limits.busyTimeoutMs < limits.timeoutMs ? new BusyClock(deps.clock, () => proc.isWaitingForInput(), limits.busyTimeoutMs, () => stop('timeout', `the program computed for more than ${limits.busyTimeoutMs / 1000} s (time waiting for input not counted)`)) : null;
      busy?.start();
      const diskWatch = prepared.onLimit((status, message) => stop(status, message));
      // The instance is being stopped (Ctrl-C locally): the run ends as killed rather than vanishing.
      const onShutdown = () => stop('killed');
      if (this.shutdown?.aborted) onShutdown();
      this.shutdown?.addEventListener('abort', onShutdown, { once: true });
      this.startHeartbeat();

      proc.onExit((exit) => {
        exited = true;
        controlWatch?.dispose();
        quietTimer?.cancel();
        timeout.cancel();
        forceKill?.cancel();
        busy?.stop();
        diskWatch.dispose();
        this.heartbeat?.cancel();
        this.shutdown?.removeEventListener('abort', onShutdown);
        this.pacer.wake();
        resolve({ ...exit, wallMs: deps.clock.now() - spawnedAt });
      });

      const apply = (records: ControlRecord[]) => {
        for (const record of records) {
          if (exited) return;
          if (record.t === 'in') {
            proc.write(record.d);
            sink.expedite();
          } else if (record.t === 'kill') stop('killed');
          else if (record.t === 'signal') proc.signal?.(record.name);
          else if (record.t === 'resize') proc.resize(record.cols, record.rows);
        }
      };
      apply(early);
      // A blocking run's stdin is complete before it starts: the program sees end of file after it.
      if (!interactive) proc.endInput?.();

      // The control stream is polled fast only while the program is blocked on its terminal, and fastest at the start
      // of each wait (core/controlPollPeriod.ts); while it computes or sleeps, a few times a second is plenty and
      // keeps storage requests low. Whether it waits is looked at every CONTROL_POLL_WAITING_MS (a local check), and
      // a wait that begins is met at once: its output is flushed and the stream read without waiting for the period.
      // Where the store hints at a change of the control stream (locally: ObjectStore.watch; OSS gives none), it is
      // read at once rather than at the next period: typed input reaches the program without the poll's wait.
      let controlChanged = false;
      const controlWatch = deps.runs.watch?.(keys.control(this.id), () => {
        controlChanged = true;
        this.pacer.wake();
      });
      void (async () => {
        let lastPoll = deps.clock.now();
        let failingSince: number | null = null;
        /** When the current wait for input began, or the last input arrived during it; null while not waiting. */
        let waitingSince: number | null = null;
        // The next look is due at the wait check's pace, or sooner when the next read is (the period runs from one
        // read's start to the next: a read's own round trip is not added to it, and the rate stays at most
        // 1000 / period a second).
        let nextReadIn = L.CONTROL_POLL_WAITING_MS;
        const periodAt = (now: number) => controlPollPeriod(waitingSince === null ? null : now - waitingSince);
        while (!exited) {
          await this.pacer.sleep(Math.max(1, Math.min(L.CONTROL_POLL_WAITING_MS, nextReadIn)));
          if (exited) break;
          const now = deps.clock.now();
          const waiting = proc.isWaitingForInput();
          const waitBegins = waiting && waitingSince === null;
          waitingSince = waiting ? (waitingSince ?? now) : null;
          if (waiting && sink.hasPending) void sink.flush();
          const period = periodAt(now);
          if (!waitBegins && !controlChanged && now - lastPoll < period) {
            nextReadIn = lastPoll + period - now;
            continue;
          }
          lastPoll = now;
          controlChanged = false;
          try {
            const records = await this.control.poll();
            // Someone is typing: the fast period again, as at the start of a wait (the program may be waiting again
            // before this loop saw it stop).
            if (waitingSince !== null && records.some((r) => r.t === 'in')) waitingSince = deps.clock.now();
            apply(records);
            failingSince = null;
          } catch (err) {
            // A storage blip must not end the run; an outage that outlasts the bound does.
            failingSince ??= deps.clock.now();
            if (deps.clock.now() - failingSince >= L.CONTROL_OUTAGE_MS) throw err;
            deps.log({ event: 'control_poll_failed', runId: this.id, error: err instanceof Error ? err.message : String(err) });
          }
          const after = deps.clock.now();
          nextReadIn = lastPoll + periodAt(after) - after;
        }
      })().catch((err) => {
        stop('killed');
        reject(err);
      });
    });
  }

  /**
   * Judge mode (core/judge/runJudge.ts): the tests in the prepared cell, cancelled by a kill record or the instance
   * stopping; the whole answer goes out in the final status (StatusDoc.answer), one object.
   */
  private async judge(cell: PreparedSandbox, spec: JudgeSpec, commands: JudgeCommands, limits: RunLimits): Promise<RunResult> {
    const { deps } = this;
    this.phase.to('running');
    this.startHeartbeat();
    const cancel = new AbortController();
    const onShutdown = () => cancel.abort('the executor was shut down');
    if (this.shutdown?.aborted) onShutdown();
    this.shutdown?.addEventListener('abort', onShutdown, { once: true });
    let judging = true;
    // Nothing is typed into a judge run: the control stream is read for a kill only, a few times a second.
    const watchKill = (async () => {
      while (judging && !cancel.signal.aborted) {
        await this.pacer.sleep(L.CONTROL_POLL_BUSY_MS);
        if (!judging) break;
        const records = await this.control.poll().catch((err: unknown) => {
          deps.log({ event: 'control_poll_failed', runId: this.id, error: err instanceof Error ? err.message : String(err) });
          return [];
        });
        if (records.some((r) => r.t === 'kill')) cancel.abort('the run was killed');
      }
    })();
    try {
      const spawner = deps.spawners.judge ?? deps.spawners.pipes;
      return this.keepAnswer(await runJudge({ clock: deps.clock, spawner, cell }, { commands, limits, spec, deadline: this.startedAt + L.JUDGE_REQUEST_WALL_MS }, cancel.signal));
    } finally {
      judging = false;
      this.pacer.wake();
      await watchKill;
      this.heartbeat?.cancel();
      this.shutdown?.removeEventListener('abort', onShutdown);
    }
  }

  /** Keeps a judge run's whole answer for the final status (StatusDoc.answer); returns its top level. */
  private keepAnswer(answer: ExecuteResult): RunResult {
    this.answer = answer;
    return { status: answer.status, exitCode: answer.exitCode, signal: answer.signal, wallMs: answer.wallMs, ...(answer.message ? { message: answer.message } : {}) };
  }

  private classify(exit: ExitInfo & { wallMs: number }, tail: Buffer, lang: Language): RunResult {
    const base = { exitCode: exit.exitCode, signal: exit.signal, wallMs: exit.wallMs };
    if (this.stopReason) {
      const message = this.stopReason === 'killed' && this.shutdown?.aborted ? 'the executor was shut down' : this.stopMessage;
      return { status: this.stopReason, ...base, ...(message ? { message } : {}) };
    }
    // RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one.
    if (exit.signal === 'SIGXCPU') return { status: 'timeout', ...base };
    if (exit.signal === null && exit.exitCode === 0) return { status: 'ok', ...base };
    const text = tail.toString('utf8');
    if (lang.memoryErrorPatterns.some((p) => p.test(text))) return { status: 'memory_limit', ...base };
    return { status: 'runtime_error', ...base };
  }

  /**
   * Status writes are chained so a heartbeat still in flight lands before the final status, and a running status is
   * only written while the run starts or runs, so a heartbeat that fires later is dropped.
   */
  private writeStatus(update: Pick<StatusDoc, 'state'> & Partial<StatusDoc>): Promise<void> {
    const { deps } = this;
    if (update.state === 'running' && !this.phase.is('starting', 'running')) return this.statusChain;
    this.statusChain = this.statusChain
      .catch(() => undefined)
      .then(() => {
        const doc: StatusDoc = {
          id: this.id,
          executor: deps.executorId,
          startedAt: this.startedIso,
          heartbeatAt: new Date(deps.clock.now()).toISOString(),
          isolation: deps.sandbox.isolation,
          ...update,
        };
        return deps.runs.put(keys.status(this.id), JSON.stringify(doc), { contentType: 'application/json' });
      });
    return this.statusChain;
  }
}
