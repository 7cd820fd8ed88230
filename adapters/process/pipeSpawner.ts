/**
 * `ProcessSpawner` over plain pipes, for non-interactive runs: stdin is a pipe the executor fills and then closes,
 * nothing is echoed and `\n` stays `\n`. Same prelude and identity switch as PtySpawner (descriptors closed,
 * identity switched), same raw-bytes contract. Two modes:
 * - `merged` (the default; the blocking form of `POST /`): stdout and stderr share one pipe, as the seed's
 *   `stderr=subprocess.STDOUT`;
 * - `separate` (judge mode): stderr comes apart through `onStderr`, and descriptor 3 is a report pipe the prelude
 *   leaves open for the run head, which writes the program's own figures there once it has reaped its whole tree
 *   (sandbox/runHead.ts `--usage-fd`); they arrive as `ExitInfo.usage`. The program itself never holds it.
 *   `usage: false` leaves the report pipe out (split interactive runs: the command chain passes no `--usage-fd`,
 *   so the run head would not close it for the program).
 * Whether the program waits for input is told by the input-wait probe on its stdin's object (interactive runs on
 * pipes, `streams: 'split'`); a blocking run's stdin is at end of file, so it never waits.
 */
import { spawn, type ChildProcess } from 'child_process';
import type { Disposable, ExitInfo, ProcessSpawner, SpawnedProcess, SpawnRequest, TreeUsage } from '../../core/ports';
import { Emitter } from './emitter';
import { InputWaitProbe, inputSourceOf } from './inputWaitProbe';
import { signalProgram } from './signalProgram';
import { heldCommand, heldSpawnPrelude, requestedIdentity, withSpawnPrelude } from './spawnPrelude';
import { canonicalSignalName } from './signalNames';
import { systemTool } from './systemTools';

/** After the first process exits, how long output of processes still holding the pipe is awaited. */
const EXIT_DRAIN_MS = 100;

/** The descriptor of the run head's report pipe in the child (the first one after stdio). */
export const USAGE_FD = 3;

/** The run head's report line (sandbox/runHead.ts): user µs, system µs, max RSS KiB, wall µs. */
export function parseUsageReport(text: string): TreeUsage | undefined {
  const m = /^usage (\d+) (\d+) (\d+) (\d+)\n/.exec(text);
  if (!m) return undefined;
  const [user, system, maxRssKb, wall] = m.slice(1).map(Number);
  return { cpuMs: Math.round((user + system) / 1000), wallMs: Math.round(wall / 1000), maxRssKb };
}

class PipeProcess implements SpawnedProcess {
  readonly pid: number;
  private readonly data = new Emitter<Buffer>();
  private readonly stderr = new Emitter<Buffer>();
  private readonly exit = new Emitter<ExitInfo>();
  private exitInfo: ExitInfo | null = null;
  private probe: InputWaitProbe | null = null;

  constructor(
    private readonly child: ChildProcess,
    /** Whether descriptor USAGE_FD is the run head's report pipe (a held prelude's command pipe comes after the others). */
    usage: boolean,
  ) {
    this.pid = child.pid ?? -1;
    // Spawned (exec'd) by now, its descriptor 0 in place: one stat, no exec.
    const stdin = this.pid > 0 ? inputSourceOf(`/proc/${this.pid}/fd/0`) : null;
    this.probe = stdin ? new InputWaitProbe(this.pid, stdin) : null;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!this.exitInfo) this.data.emit(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!this.exitInfo) this.stderr.emit(chunk);
    });
    const report: Buffer[] = [];
    const usagePipe = usage ? (child.stdio[USAGE_FD] as NodeJS.ReadableStream | null | undefined) : null;
    // Small and written once; a pipe that says more than a line is not the run head's.
    usagePipe?.on('data', (chunk: Buffer) => void (report.length < 4 && report.push(chunk)));
    // A program that exits before reading all its input must not crash the executor with EPIPE.
    child.stdin!.on('error', () => undefined);
    // Every stream we read ends before the exit is reported (or EXIT_DRAIN_MS after the first process's exit).
    const streams = [child.stdout!, child.stderr, usagePipe].filter((x): x is NonNullable<typeof x> => Boolean(x));
    let open = streams.length;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const finish = () => {
      if (this.exitInfo || !exited) return;
      const { code, signal } = exited;
      const usage = usagePipe ? parseUsageReport(Buffer.concat(report).toString('latin1')) : undefined;
      this.exitInfo = { exitCode: signal ? null : code, signal: canonicalSignalName(signal), ...(usage ? { usage } : {}) };
      this.probe = null;
      this.exit.emit(this.exitInfo);
    };
    for (const stream of streams) {
      stream.once('close', () => {
        open -= 1;
        if (open === 0) setImmediate(finish);
      });
    }
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      // Output still in the pipes is delivered first; a background process holding a pipe open cannot hold the
      // exit back for long.
      if (open === 0) setImmediate(finish);
      else setTimeout(finish, EXIT_DRAIN_MS).unref();
    });
  }

  onData(listener: (data: Buffer) => void): Disposable {
    return this.data.on(listener);
  }

  onStderr(listener: (data: Buffer) => void): Disposable {
    return this.stderr.on(listener);
  }

  onExit(listener: (exit: ExitInfo) => void): Disposable {
    return this.exit.on(listener);
  }

  write(data: Buffer | string): void {
    if (!this.exitInfo && this.child.stdin!.writable) this.child.stdin!.write(data);
  }

  endInput(): void {
    this.child.stdin!.end();
    // Past the end of its input the program can never wait on it: no more /proc reads on every control-loop tick.
    this.probe = null;
  }

  resize(): void {
    // no terminal, nothing to resize
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exitInfo) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // already gone
    }
  }

  signal(name: string): void {
    if (!this.exitInfo) signalProgram(this.pid, name as NodeJS.Signals);
  }

  isWaitingForInput(): boolean {
    return this.exitInfo === null && this.probe !== null && this.probe.isWaiting();
  }
}

/** A prelude held for a cgroup (PipeSpawner.hold): the first spawn with that cgroup becomes it. */
export interface HeldPrelude {
  /** Ends it unless a spawn took it (then the process is that run's); resolves once it is gone from the cgroup. */
  release(): Promise<void>;
}

/** How long a released held prelude may take to exit on its own before it is killed. */
const HELD_RELEASE_GRACE_MS = 1_000;

/** One held prelude: its process, idle (unreferenced: it keeps no executor alive) until a spawn takes it. */
class Held implements HeldPrelude {
  private readonly exited: Promise<void>;
  private taken = false;

  constructor(
    readonly child: ChildProcess,
    private readonly commandPipe: NodeJS.WritableStream & { destroyed?: boolean },
    private readonly forget: () => void,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', forget);
    child.once('error', forget);
    commandPipe.on('error', () => undefined);
    this.setRef(false);
  }

  /** Whether a spawn can still take it: alive and not released. */
  usable(): boolean {
    return !this.taken && this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined && !this.commandPipe.destroyed;
  }

  /** Sends the command and hands the process over to the spawn. */
  take(command: string): ChildProcess {
    this.taken = true;
    this.forget();
    this.setRef(true);
    this.commandPipe.end(command);
    return this.child;
  }

  async release(): Promise<void> {
    if (this.taken) return;
    this.taken = true;
    this.forget();
    this.commandPipe.end();
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    const kill = setTimeout(() => this.child.kill('SIGKILL'), HELD_RELEASE_GRACE_MS);
    await this.exited;
    clearTimeout(kill);
  }

  private setRef(on: boolean): void {
    for (const handle of [this.child, ...this.child.stdio] as Array<{ ref?: () => void; unref?: () => void } | null>) {
      if (on) handle?.ref?.();
      else handle?.unref?.();
    }
  }
}

export interface PipeSpawnerOptions {
  /** `merged` (default): stderr into stdout's pipe; `separate`: stderr apart and the run head's usage report. */
  stderr?: 'merged' | 'separate';
  /** With `separate`: whether the run head's report pipe is there (default true). */
  usage?: boolean;
}

export class PipeSpawner implements ProcessSpawner {
  private readonly perl: string;
  private readonly separate: boolean;
  private readonly usage: boolean;

  constructor(options: PipeSpawnerOptions = {}) {
    const perl = systemTool('perl');
    if (!perl) throw new Error('PipeSpawner: perl (perl-base) is needed for the spawn prelude');
    this.perl = perl;
    this.separate = options.stderr === 'separate';
    this.usage = this.separate && options.usage !== false;
  }

  /** Held preludes by the `cgroup.procs` they joined. */
  private readonly held = new Map<string, Held>();

  private get stdio(): Array<'pipe' | 'ignore'> {
    return this.usage ? ['pipe', 'pipe', 'pipe', 'pipe'] : this.separate ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'ignore'];
  }

  spawn(request: SpawnRequest): SpawnedProcess {
    const identity = requestedIdentity(request, 'PipeSpawner');
    const argv = [request.file, ...request.args];
    const options = { identity, privateProc: request.privateProc, privateNet: request.privateNet, keepFds: this.usage ? [USAGE_FD] : [] };
    const held = request.cgroup === undefined ? undefined : this.held.get(request.cgroup);
    if (held?.usable()) return new PipeProcess(held.take(heldCommand(argv, options, request.cwd, { ...request.env })), this.usage);
    void held?.release();
    const [file, ...args] = withSpawnPrelude({ perl: this.perl }, argv, { ...options, cgroupProcs: request.cgroup, mergeStderr: !this.separate });
    const child = spawn(file, args, {
      cwd: request.cwd,
      env: { ...request.env },
      stdio: this.stdio,
      // A session and process group of its own, so the whole group can be signalled.
      detached: true,
    });
    return new PipeProcess(child, this.usage);
  }

  async close(): Promise<void> {
    await Promise.all([...this.held.values()].map((held) => held.release()));
  }

  /**
   * Starts the prelude of the next spawn with `cgroupProcs` now (spawnPrelude.ts heldSpawnPrelude): it joins the
   * cgroup while nothing waits for it, and that spawn only sends it its command. Made for a memory cgroup made ahead
   * of use (sandbox/memoryCgroups.ts), whose owner releases it when no spawn came.
   */
  hold(cgroupProcs: string): HeldPrelude {
    this.held.get(cgroupProcs)?.release();
    const stdio = [...this.stdio, 'pipe' as const];
    const [file, ...args] = heldSpawnPrelude({ perl: this.perl }, { fd: stdio.length - 1 }, { cgroupProcs, mergeStderr: !this.separate });
    const child = spawn(file, args, { cwd: '/', env: {}, stdio, detached: true });
    const held: Held = new Held(child, child.stdio[stdio.length - 1] as NodeJS.WritableStream, () => {
      if (this.held.get(cgroupProcs) === held) this.held.delete(cgroupProcs);
    });
    this.held.set(cgroupProcs, held);
    return held;
  }
}
