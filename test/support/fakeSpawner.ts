/**
 * A ProcessSpawner for unit tests: each spawn runs a scripted program, an async function that prints, sleeps on the
 * test's clock, reads lines of stdin and returns its exit. No real process is started.
 *
 * It keeps the promises of the real spawners: output is delivered only to listeners, the exit comes once, after the
 * last output, and never synchronously inside `kill()`; a killed program is dead at once (what it prints afterwards
 * is lost, its sleeps and reads never return) and its timers are cancelled.
 */
import type { Clock, Disposable, ExitInfo, ProcessSpawner, SpawnedProcess, SpawnRequest, Timer, TreeUsage } from '../../core/ports';

export interface ProgramIo {
  readonly request: SpawnRequest;
  print(data: string | Buffer): void;
  /** To stderr: its own stream with a `separate` spawner, else mixed into `print`'s. */
  printErr(data: string | Buffer): void;
  /** Computes for `ms` (the CPU time the run head would report) while that much time passes. */
  compute(ms: number): Promise<void>;
  /** The largest resident set the run head would report, KiB. */
  setMaxRss(kb: number): void;
  sleep(ms: number): Promise<void>;
  /** The next line typed, without its newline; null at end of input. While it waits, the program waits for input. */
  readLine(): Promise<string | null>;
}

/**
 * A number is the exit code; nothing returned is exit code 0. `noReport`: the exit comes without the run head's
 * figures (a `separate` spawner's supervisor that died first).
 */
export type ProgramExit = number | { signal: NodeJS.Signals } | { exitCode: number; noReport: true } | void;

export interface FakeSpawnerOptions {
  /** As PipeSpawner's `separate` mode: stderr apart (`onStderr`) and the run head's figures on every exit. */
  separate?: boolean;
}
export type Program = (io: ProgramIo) => Promise<ProgramExit>;

let nextPid = 1000;

export class FakeProcess implements SpawnedProcess {
  readonly pid = nextPid++;
  /** Every `write`, as received. */
  readonly writes: string[] = [];
  readonly signals: string[] = [];
  readonly resizes: Array<[number, number]> = [];
  inputEnded = false;
  exit: ExitInfo | null = null;
  /** What the program threw, if it did (it then exits with code 1). */
  error: unknown = null;
  private dead = false;
  private input = '';
  private reader: ((line: string | null) => void) | null = null;
  private readonly timers = new Set<Timer>();
  private readonly dataListeners = new Set<(data: Buffer) => void>();
  private readonly stderrListeners = new Set<(data: Buffer) => void>();
  private readonly startedAt: number;
  private cpuMs = 0;
  private maxRssKb = 3_000;
  /** Set before the exit when there will be no report. */
  private noReport = false;
  private readonly exitListeners = new Set<(exit: ExitInfo) => void>();

  constructor(
    readonly request: SpawnRequest,
    private readonly clock: Clock,
    program: Program,
    private readonly options: FakeSpawnerOptions = {},
  ) {
    this.startedAt = clock.now();
    if (options.separate) {
      this.onStderr = (listener) => {
        this.stderrListeners.add(listener);
        return { dispose: () => void this.stderrListeners.delete(listener) };
      };
    }
    // The caller attaches its listeners right after spawn(), as it does with a real process.
    queueMicrotask(() => {
      program(this.io()).then(
        (result) => {
          if (result && typeof result === 'object' && 'noReport' in result) this.noReport = true;
          this.die(exitOf(result));
        },
        (err: unknown) => {
          this.error = err;
          this.die({ exitCode: 1, signal: null });
        },
      );
    });
  }

  onData(listener: (data: Buffer) => void): Disposable {
    this.dataListeners.add(listener);
    return { dispose: () => void this.dataListeners.delete(listener) };
  }

  onStderr?: (listener: (data: Buffer) => void) => Disposable;

  onExit(listener: (exit: ExitInfo) => void): Disposable {
    this.exitListeners.add(listener);
    return { dispose: () => void this.exitListeners.delete(listener) };
  }

  write(data: Buffer | string): void {
    if (this.dead) return;
    const text = data.toString();
    this.writes.push(text);
    this.input += text;
    this.deliverLine();
  }

  endInput(): void {
    this.inputEnded = true;
    this.deliverLine();
  }

  resize(cols: number, rows: number): void {
    this.resizes.push([cols, rows]);
  }

  /** The `signal` control record's delivery: the program dies of it, as one without a handler does. */
  signal(name: string): void {
    this.kill(name as NodeJS.Signals);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.signals.push(signal);
    this.die({ exitCode: null, signal });
  }

  isWaitingForInput(): boolean {
    return !this.dead && this.reader !== null;
  }

  private io(): ProgramIo {
    const io: ProgramIo = {
      request: this.request,
      print: (data) => {
        if (this.dead) return;
        const chunk = Buffer.from(data);
        for (const listener of [...this.dataListeners]) listener(chunk);
      },
      printErr: (data) => {
        if (this.dead) return;
        const chunk = Buffer.from(data);
        for (const listener of [...(this.options.separate ? this.stderrListeners : this.dataListeners)]) listener(chunk);
      },
      compute: async (ms) => {
        await io.sleep(ms);
        this.cpuMs += ms;
      },
      setMaxRss: (kb) => void (this.maxRssKb = kb),
      sleep: (ms) =>
        new Promise((resolve) => {
          if (this.dead) return;
          const timer = this.clock.setTimeout(() => {
            this.timers.delete(timer);
            resolve();
          }, ms);
          this.timers.add(timer);
        }),
      readLine: () =>
        new Promise((resolve) => {
          if (this.dead) return;
          this.reader = resolve;
          this.deliverLine();
        }),
    };
    return io;
  }

  private deliverLine(): void {
    if (!this.reader) return;
    const nl = this.input.indexOf('\n');
    if (nl === -1 && !this.inputEnded) return;
    const reader = this.reader;
    this.reader = null;
    if (nl === -1) {
      const rest = this.input;
      this.input = '';
      reader(rest.length > 0 ? rest : null);
      return;
    }
    const line = this.input.slice(0, nl);
    this.input = this.input.slice(nl + 1);
    reader(line);
  }

  private die(exit: ExitInfo): void {
    if (this.dead) return;
    this.dead = true;
    this.reader = null;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    const usage: TreeUsage | undefined = this.options.separate && !this.noReport ? { cpuMs: this.cpuMs, wallMs: this.clock.now() - this.startedAt, maxRssKb: this.maxRssKb } : undefined;
    if (usage) exit = { ...exit, usage };
    queueMicrotask(() => {
      this.exit = exit;
      for (const listener of [...this.exitListeners]) listener(exit);
    });
  }
}

function exitOf(result: ProgramExit): ExitInfo {
  if (typeof result === 'number') return { exitCode: result, signal: null };
  if (result && 'noReport' in result) return { exitCode: result.exitCode, signal: null };
  if (result && 'signal' in result) return { exitCode: null, signal: result.signal };
  return { exitCode: 0, signal: null };
}

export class FakeSpawner implements ProcessSpawner {
  readonly spawned: FakeProcess[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly program: Program,
    private readonly options: FakeSpawnerOptions = {},
  ) {}

  spawn(request: SpawnRequest): FakeProcess {
    const proc = new FakeProcess(request, this.clock, this.program, this.options);
    this.spawned.push(proc);
    return proc;
  }
}
