/**
 * One command of a judge run (the compile step or one test) in the run's prepared cell, from spawn to exit: its own
 * rlimits and memory meter (PreparedSandbox.spawnMetered), its stdin written and closed, stdout and stderr captured
 * apart up to their caps, and its own wall timer. Whatever stops it early (wall time, the tree's CPU time, the request's budget,
 * output, memory, disk, a cancel) is recorded as the reason; classifying the outcome is testVerdict.ts's job.
 */
import type { Clock, Disposable, ExitInfo, MeteredSpawn, PreparedSandbox, ProcessSpawner, SpawnedProcess, Timer, TreeMeasure } from '../ports';
import type { RunLimits } from '../protocol';
import { stopThroughRunHead } from '../stopThroughRunHead';

export type StopReason = 'wall' | 'cpu' | 'budget' | 'output' | 'memory' | 'disk' | 'cancelled';

export interface StepStop {
  reason: StopReason;
  message: string;
}

export interface StepRequest {
  command: string[];
  limits: RunLimits;
  addressSpaceOverheadBytes: number;
  stdin: string;
  /** Wall time it may take: its own limit, or less when the request's budget runs out first (`budgetCuts`). */
  wallMs: number;
  budgetCuts: boolean;
  /**
   * `separate`: stdout and stderr each up to `limits.outputBytes`, and past it the command is stopped (a test);
   * `merged`: both into stdout, the first `limits.outputBytes` kept and the rest dropped (the compiler's messages).
   */
  output: 'separate' | 'merged';
}

export interface StepOutcome {
  exit: ExitInfo;
  stdout: Buffer;
  stderr: Buffer;
  stop: StepStop | null;
  /** From spawn to exit as the executor saw it: the figure when the run head gave no report. */
  observedWallMs: number;
  measure: TreeMeasure;
  memory: 'cgroup' | 'rlimit';
}

export interface StepDeps {
  clock: Clock;
  /** Pipes with stderr apart and the run head's usage report (PipeSpawner `separate`). */
  spawner: ProcessSpawner;
  cell: PreparedSandbox;
}

/** Collects one stream up to `cap` bytes; `push` says whether the stream is still within it. */
class CappedBuffer {
  private readonly parts: Buffer[] = [];
  private size = 0;
  passed = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): boolean {
    const room = this.cap - this.size;
    if (chunk.length > room) {
      if (room > 0) this.parts.push(chunk.subarray(0, room));
      this.size = this.cap;
      this.passed = true;
      return false;
    }
    this.parts.push(chunk);
    this.size += chunk.length;
    return true;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/** What a step is spawned with, known before its turn (its wall time is not: StepRequest). */
export type StepCommand = Pick<StepRequest, 'command' | 'limits' | 'addressSpaceOverheadBytes'>;

/**
 * A step spawned ahead of its turn (PreparedSandbox.startsAhead): under bwrap its namespaces and mounts are made
 * while the cell's previous step runs, and its program waits for the go (runStep with `ahead`).
 */
export interface AheadStep {
  metered: MeteredSpawn;
  proc: SpawnedProcess;
  /** Its exit when it ended before its go: its set-up failed (the uid's process limit, say) or it was killed. */
  readonly early: ExitInfo | null;
}

/** Spawns `command` ahead (see AheadStep), or returns null where the cell cannot (then its turn spawns as usual). */
export function startAhead(deps: StepDeps, command: StepCommand, besideHeld: boolean): AheadStep | null {
  if (!deps.cell.startsAhead) return null;
  const metered = deps.cell.spawnMetered({ ...command, ahead: true, besideHeld });
  if (!metered.ahead) throw new Error('runStep: the cell said it starts steps ahead, but did not');
  const proc = deps.spawner.spawn(metered.spawn);
  const step = { metered, proc, early: null as ExitInfo | null };
  const listening = proc.onExit((exit) => {
    step.early = exit;
    listening.dispose();
  });
  return {
    metered,
    proc,
    get early() {
      return step.early;
    },
  };
}

/** Ends a step started ahead without running it, once its tree is gone, and frees its meter. */
export async function releaseAhead(step: AheadStep): Promise<void> {
  const exited = step.early ?? (await new Promise<ExitInfo>((resolve) => {
    const d = step.proc.onExit((exit) => (d.dispose(), resolve(exit)));
    step.proc.release?.();
  }));
  await step.metered.finish(exited.usage).catch(() => undefined);
}

export interface StepOptions {
  /** This step, spawned ahead (startAhead with the same command): it is started here instead of spawned. */
  ahead?: AheadStep | null;
  /** Whether a step started ahead will wait beside this one (the caller starts it in `onStarted`). */
  besideHeld?: boolean;
  /** Called once the step's program is on its way: where the caller starts the next step ahead. */
  onStarted?: () => void;
}

export async function runStep(deps: StepDeps, request: StepRequest, cancel: AbortSignal, options: StepOptions = {}): Promise<StepOutcome> {
  const { clock, cell } = deps;
  let ahead = options.ahead ?? null;
  if (ahead?.early) {
    // It never got to its go: its meter is freed and the step spawns as usual.
    await ahead.metered.finish(ahead.early.usage).catch(() => undefined);
    ahead = null;
  }
  const metered = ahead?.metered ?? cell.spawnMetered({ command: request.command, limits: request.limits, addressSpaceOverheadBytes: request.addressSpaceOverheadBytes, besideHeld: options.besideHeld === true });
  const disposables: Disposable[] = [];
  const timers: Timer[] = [];
  let exit: ExitInfo;
  let stop: StepStop | null = null;
  const stdout = new CappedBuffer(request.limits.outputBytes);
  const stderr = new CappedBuffer(request.limits.outputBytes);
  let spawnedAt = clock.now();
  let exitedAt = spawnedAt;
  try {
    const proc = ahead ? ahead.proc : deps.spawner.spawn(metered.spawn);
    if (ahead) {
      ahead.metered.beforeGo?.();
      ahead.proc.go?.();
    }
    spawnedAt = clock.now();
    options.onStarted?.();
    let exited = false;
    const halt = (reason: StopReason, message: string) => {
      if (stop || exited) return;
      stop = { reason, message };
      timers.push(stopThroughRunHead(proc, clock));
    };
    const capture = (name: 'stdout' | 'stderr', into: CappedBuffer) => (chunk: Buffer) => {
      if (into.push(chunk) || request.output === 'merged') return;
      halt('output', `${name} passed its limit of ${request.limits.outputBytes} bytes`);
    };
    disposables.push(proc.onData(capture('stdout', stdout)));
    // Merged: the compiler's stderr goes with its stdout, in the order they arrive.
    const err = proc.onStderr?.(capture('stderr', request.output === 'merged' ? stdout : stderr));
    if (err) disposables.push(err);
    exit = await new Promise<ExitInfo>((resolve) => {
      disposables.push(
        proc.onExit((info) => {
          exited = true;
          exitedAt = clock.now();
          resolve(info);
        }),
      );
      timers.push(
        clock.setTimeout(
          () => halt(request.budgetCuts ? 'budget' : 'wall', request.budgetCuts ? 'the request’s time budget ran out' : `wall time limit of ${seconds(request.wallMs)} exceeded`),
          request.wallMs,
        ),
      );
      disposables.push(metered.watch(proc.pid, (status, message) => halt(status === 'cpu_limit' ? 'cpu' : 'memory', message)));
      disposables.push(cell.onLimit((_status, message) => halt('disk', message)));
      const onCancel = () => halt('cancelled', String(cancel.reason ?? 'cancelled'));
      if (cancel.aborted) onCancel();
      cancel.addEventListener('abort', onCancel, { once: true });
      disposables.push({ dispose: () => cancel.removeEventListener('abort', onCancel) });
      if (request.stdin.length > 0) proc.write(request.stdin);
      proc.endInput?.();
    });
  } catch (err) {
    // The spawn failed: the meter (a cgroup) is freed all the same.
    await metered.finish().catch(() => undefined);
    throw err;
  } finally {
    for (const timer of timers) timer.cancel();
    for (const d of disposables) d.dispose();
  }
  // Only after the exit: the meter's figures are final once the tree is gone (the run head's report tells the sandbox
  // whether it still has to sweep the uid for that).
  const measure = await metered.finish(exit.usage);
  return { exit, stdout: stdout.bytes(), stderr: stderr.bytes(), stop, observedWallMs: exitedAt - spawnedAt, measure, memory: metered.memory };
}
