/**
 * One command of a judge run (the compile step or one test) in the run's prepared cell, from spawn to exit: its own
 * rlimits and memory meter (PreparedSandbox.spawnMetered), its stdin written and closed, stdout and stderr captured
 * apart up to their caps, and its own wall timer. Whatever stops it early (wall time, the tree's CPU time, the request's budget,
 * output, memory, disk, a cancel) is recorded as the reason; classifying the outcome is testVerdict.ts's job.
 */
import type { Clock, Disposable, ExitInfo, PreparedSandbox, ProcessSpawner, Timer, TreeMeasure } from '../ports';
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
  /** The test's exact bytes (an empty one closes stdin at once). */
  stdin: Buffer;
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

export async function runStep(deps: StepDeps, request: StepRequest, cancel: AbortSignal): Promise<StepOutcome> {
  const { clock, cell } = deps;
  const metered = cell.spawnMetered({ command: request.command, limits: request.limits, addressSpaceOverheadBytes: request.addressSpaceOverheadBytes });
  const disposables: Disposable[] = [];
  const timers: Timer[] = [];
  let exit: ExitInfo;
  let stop: StepStop | null = null;
  const stdout = new CappedBuffer(request.limits.outputBytes);
  const stderr = new CappedBuffer(request.limits.outputBytes);
  let spawnedAt = clock.now();
  let exitedAt = spawnedAt;
  try {
    const proc = deps.spawner.spawn(metered.spawn);
    spawnedAt = clock.now();
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
