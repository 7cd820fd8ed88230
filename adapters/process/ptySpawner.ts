/**
 * `ProcessSpawner` over @lydell/node-pty: the program gets a real terminal, and its output reaches listeners
 * as the raw bytes the terminal produced (never decoded: invalid UTF-8, binary and characters split across two
 * reads are passed on as they are). `onExit` fires once, after the last byte: node-pty reports exit only after
 * its read stream closed, and the tail libuv would drop at end of stream is drained first (see the constructor).
 *
 * Every child starts through the root prelude of spawnPrelude.ts, which closes inherited descriptors:
 * node-pty's masters are not close-on-exec, so a program would otherwise hold every other run's terminal.
 * With `request.uid`/`gid` the prelude then switches identity itself with exactly the groups asked for (node-pty's
 * own `uid`/`gid` options keep root's groups), and the terminal is handed to that identity (mode 0600) so
 * `/dev/stdin` and `/dev/tty` open as on a local machine.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { IPty } from '@lydell/node-pty';
import type { Disposable, ExitInfo, ProcessSpawner, SpawnedProcess, SpawnRequest } from '../../core/ports';
import { Emitter } from './emitter';
import { heldCommand, heldSpawnPrelude, requestedIdentity, withSpawnPrelude, type Identity } from './spawnPrelude';
import { systemTool } from './systemTools';
import { InputWaitProbe } from './inputWaitProbe';
import { signalProgram } from './signalProgram';
import { processExists, readProc, readStat } from './procfs';
import { signalName } from './signalNames';

// Loaded lazily so that importing this module costs nothing where no PTY is ever spawned.
let ptyModule: typeof import('@lydell/node-pty') | undefined;
function pty(): typeof import('@lydell/node-pty') {
  ptyModule ??= require('@lydell/node-pty') as typeof import('@lydell/node-pty');
  return ptyModule;
}

/** Bound of the end-of-stream drain (64 KiB reads): a writer still holding the slave open cannot keep us here. */
const DRAIN_MAX_READS = 256;

/** Grace between signalling the program's own group and the first process's group (see `kill`). */
const KILL_UNWIND_MS = 150;

export interface PtySpawnerOptions {
  /**
   * Perl for the prelude; default `/usr/bin/perl` (or `/bin/perl`), and the constructor throws when there is
   * none. `null` skips the prelude: every child then inherits the executor's descriptors, PTY masters included.
   */
  perl?: string | null;
  /**
   * Keep one terminal with its prelude started ahead (spawnPrelude.ts heldSpawnPrelude, waiting on a FIFO): a spawn
   * then only sends it its command, and the executor's fork (node-pty forks the whole executor, ~2 ms of its main
   * thread) and perl's start are off the way to the program's first byte. The executor's, for interactive runs.
   */
  holdAhead?: boolean;
}

/**
 * A held command larger than this goes to a fresh spawn instead: the FIFO is written without blocking the executor,
 * in one write, which a pipe takes whole only while it fits in its buffer (64 KiB on Linux).
 */
const HELD_COMMAND_MAX_BYTES = 60 * 1024;

/** The environment a terminal's program gets: node-pty adds PWD and TERM to what it is given; a held spawn sends the same. */
function terminalEnv(request: SpawnRequest): Record<string, string> {
  return { ...request.env, PWD: request.cwd, TERM: request.env.TERM || 'xterm-256color' };
}

const HELD_FOLDER_PREFIX = 'pocketrun-held-';

/** How long after a spawn (or the spawner's start) the next spare terminal is started (see holdSoon). */
const HELD_SPARE_DELAY_MS = 100;

/**
 * This process's folder for held terminals' FIFOs, after removing those of executors that are gone (killed without
 * their close: their held preludes died of the hangup, and an unused FIFO stays behind).
 */
function heldFolder(): string {
  const tmp = os.tmpdir();
  const ofPid = new RegExp(`^${HELD_FOLDER_PREFIX}(\\d+)-`);
  for (const name of fs.readdirSync(tmp)) {
    const pid = ofPid.exec(name)?.[1];
    if (!pid || processExists(Number(pid))) continue;
    const dir = path.join(tmp, name);
    if (fs.lstatSync(dir).uid === 0) fs.rmSync(dir, { recursive: true, force: true });
  }
  return fs.mkdtempSync(path.join(tmp, `${HELD_FOLDER_PREFIX}${process.pid}-`));
}

/** A terminal whose prelude waits on `fifo` for its command (PtySpawnerOptions.holdAhead). */
class HeldTerminal {
  exited = false;

  constructor(
    readonly term: IPty,
    readonly fifo: string,
  ) {
    term.onExit(() => (this.exited = true));
    // Idle, it keeps no executor alive; taken, it is a run's terminal like any other.
    this.socket()?.unref?.();
  }

  socket(): { ref?: () => void; unref?: () => void } | undefined {
    return (this.term as unknown as { _socket?: { ref?: () => void; unref?: () => void } })._socket;
  }

  release(): void {
    if (this.exited) return;
    try {
      this.term.kill('SIGKILL');
    } catch {
      // gone already
    }
  }
}

class PtyProcess implements SpawnedProcess {
  readonly pid: number;
  private readonly data = new Emitter<Buffer>();
  private readonly exit = new Emitter<ExitInfo>();
  private exitInfo: ExitInfo | null = null;
  private probe: InputWaitProbe | null = null;
  /** Identifies our first process across pid reuse (node-pty reaps it before it reports the exit). */
  private readonly startTime: number | undefined;

  constructor(private readonly term: IPty, ptsName: string) {
    this.pid = term.pid;
    this.startTime = readStat(term.pid)?.startTime;
    try {
      this.probe = new InputWaitProbe(term.pid, fs.statSync(ptsName).rdev);
    } catch {
      this.probe = null;
    }
    term.onData((chunk) => {
      if (this.exitInfo) return; // never after exit
      this.data.emit(typeof chunk === 'string' ? Buffer.from(chunk, 'binary') : (chunk as unknown as Buffer));
    });
    // libuv ends a stream as soon as poll reports POLLHUP after a short read, without reading on: once the
    // last writer of the slave side is gone, the tail of the output (hundreds to thousands of bytes, measured
    // here) would be dropped. node-pty's read stream is that stream; before it closes the descriptor, read
    // whatever is left ourselves (the master is non-blocking: EAGAIN or EIO ends the loop).
    const internals = term as unknown as { _socket?: NodeJS.EventEmitter; _fd?: number };
    internals._socket?.prependListener('end', () => {
      if (typeof internals._fd === 'number') this.drain(internals._fd);
    });
    term.onExit(({ exitCode, signal }) => {
      // node-pty reports exit after the terminal's read side closed (EIO once the last writer is gone, or 200 ms
      // later when a background process keeps the slave open). A turn of the event loop lets data events
      // already queued for the same read go out first; anything later is dropped, so exit is always last.
      setImmediate(() => {
        if (this.exitInfo) return;
        const sig = signalName(signal);
        this.exitInfo = { exitCode: sig ? null : exitCode, signal: sig };
        this.probe = null;
        this.exit.emit(this.exitInfo);
      });
    });
  }

  onData(listener: (data: Buffer) => void): Disposable {
    return this.data.on(listener);
  }

  private drain(fd: number): void {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let i = 0; i < DRAIN_MAX_READS && !this.exitInfo; i++) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch {
        return; // EAGAIN: nothing more now; EIO: the slave side is closed and empty
      }
      if (n <= 0) return;
      this.data.emit(Buffer.from(buf.subarray(0, n)));
    }
  }

  onExit(listener: (exit: ExitInfo) => void): Disposable {
    if (this.exitInfo) {
      const info = this.exitInfo;
      let live = true;
      setImmediate(() => live && listener(info));
      return { dispose: () => (live = false) };
    }
    return this.exit.on(listener);
  }

  write(data: Buffer | string): void {
    if (this.exitInfo) return;
    // node-pty's typing says string; with `encoding: null` its socket takes Buffers unchanged.
    this.term.write(data as unknown as string);
  }

  resize(cols: number, rows: number): void {
    if (this.exitInfo) return;
    try {
      this.term.resize(cols, rows);
    } catch {
      // the terminal closed in between
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exitInfo) return;
    // Groups are signalled by number: make sure the number still means our process (it may have been reaped,
    // and the pid reused, before node-pty reports the exit) and, for the foreground group, our session.
    const head = readStat(this.pid);
    if (!head || head.startTime !== this.startTime || head.state === 'Z') return;
    const signalGroup = (group: number) => {
      try {
        process.kill(-group, signal);
      } catch {
        // already gone
      }
    };
    // When the program runs in a foreground group of its own (the sandbox: FOREGROUND_AND_EXEC), that group
    // goes first, so the wrappers above it see it die, exit in order and are reaped by their parents;
    // killing everything at once would leave their zombies to init. The first process's group follows a
    // moment later in any case, in case the chain does not unwind.
    const tpgid = head.tpgid;
    if (tpgid > 1 && tpgid !== this.pid && this.inSession(tpgid)) {
      signalGroup(tpgid);
      setTimeout(() => {
        const again = readStat(this.pid);
        if (!this.exitInfo && again && again.startTime === this.startTime && again.state !== 'Z') signalGroup(this.pid);
      }, KILL_UNWIND_MS).unref();
    } else {
      signalGroup(this.pid);
    }
  }

  /**
   * Whether process group `pgid` is one of our session's, so its number cannot have been reused elsewhere: its leader
   * is ours, or (the leader gone: under bwrap on a terminal, bwrap's monitor, which Ctrl-C kills) a child of our first
   * process is in it (bwrap's pid-1, re-parented to the run head).
   */
  private inSession(pgid: number): boolean {
    if (readStat(pgid)?.session === this.pid) return true;
    const children = readProc(`/proc/${this.pid}/task/${this.pid}/children`) ?? '';
    return children.split(' ').some((word) => {
      const child = word ? readStat(Number(word)) : null;
      return child !== null && child.pgrp === pgid && child.session === this.pid;
    });
  }

  signal(name: string): void {
    if (!this.exitInfo) signalProgram(this.pid, name as NodeJS.Signals);
  }

  isWaitingForInput(): boolean {
    return this.exitInfo === null && this.probe !== null && this.probe.isWaiting();
  }
}

export class PtySpawner implements ProcessSpawner {
  private readonly perl: string | null;
  private readonly holdAhead: boolean;
  private spare: HeldTerminal | null = null;
  private spareTimer: NodeJS.Timeout | null = null;
  /** Root-only (mkdtemp: 0700, a name nobody can guess or make first) folder of the held terminals' FIFOs. */
  private heldDir: string | null = null;
  private heldCount = 0;
  private closed = false;

  constructor(options: PtySpawnerOptions = {}) {
    this.perl = options.perl === undefined ? systemTool('perl') : options.perl;
    if (this.perl === null && options.perl === undefined) {
      throw new Error('PtySpawner: perl (perl-base) is needed to close inherited descriptors in children; pass perl: null to run without');
    }
    this.holdAhead = options.holdAhead === true && this.perl !== null;
    if (this.holdAhead) this.holdSoon();
  }

  spawn(request: SpawnRequest): SpawnedProcess {
    const identity = requestedIdentity(request, 'PtySpawner');
    if (identity && !this.perl) throw new Error('PtySpawner: perl is required to run as another user');
    const argv = [request.file, ...request.args];
    const held = this.takeSpare(request, argv, identity);
    this.holdSoon();
    if (held) return held;
    const [file, ...args] = this.perl ? withSpawnPrelude({ perl: this.perl }, argv, { identity, privateProc: request.privateProc, privateNet: request.privateNet, cgroupProcs: request.cgroup }) : argv;
    const env = terminalEnv(request);
    const term = pty().spawn(file, args, { name: env.TERM, cols: request.cols, rows: request.rows, cwd: request.cwd, env, encoding: null, handleFlowControl: false });
    return this.started(term, identity);
  }

  /** The terminal handed to the run's identity (mode 0600), so `/dev/stdin` and `/dev/tty` open as on a local machine. */
  private started(term: IPty, identity: Identity | undefined): PtyProcess {
    const ptsName = (term as unknown as { ptsName?: string }).ptsName ?? '';
    if (identity && ptsName) {
      // The child is still in the prelude (a few ms of perl start-up, or waiting for its command) when this runs.
      try {
        fs.chownSync(ptsName, identity.uid, identity.gid);
        fs.chmodSync(ptsName, 0o600);
      } catch {
        // the program still has its terminal on 0/1/2; only re-opening it by name would fail
      }
    }
    return new PtyProcess(term, ptsName);
  }

  /**
   * The spare terminal as this spawn's, when it is waiting for its command: the FIFO opens for writing only then
   * (ENXIO otherwise, without blocking). A spare still starting (ENXIO) is kept for the next spawn and this one
   * starts its own, as does a spawn that asks for a cgroup (the held prelude joined none) or a command too long; a
   * dead spare is replaced.
   */
  private takeSpare(request: SpawnRequest, argv: string[], identity: Identity | undefined): PtyProcess | null {
    const spare = this.spare;
    if (!spare) return null;
    if (spare.exited) {
      this.spare = null;
      return null;
    }
    // The held prelude joined no cgroup: a spawn that asks for one starts its own.
    if (request.cgroup !== undefined) return null;
    const command = Buffer.from(heldCommand(argv, { identity, privateProc: request.privateProc, privateNet: request.privateNet }, request.cwd, terminalEnv(request)));
    if (command.length > HELD_COMMAND_MAX_BYTES) return null;
    let fd: number;
    try {
      fd = fs.openSync(spare.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch {
      return null; // not waiting yet: it stays the spare
    }
    this.spare = null;
    try {
      spare.term.resize(request.cols, request.rows);
      const proc = this.started(spare.term, identity);
      spare.socket()?.ref?.();
      // Whole or not at all: a command cut short is never run (the prelude exits), which the exit then reports.
      fs.writeSync(fd, command);
      return proc;
    } catch {
      spare.release();
      return null;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Starts the next spare terminal a little after a spawn (HELD_SPARE_DELAY_MS): at once, its fork and perl's start
   * took CPU from the very chain the spawn had just started (2 cores here), which then reached the program later.
   */
  private holdSoon(): void {
    if (!this.holdAhead || this.closed || this.spare || this.spareTimer) return;
    this.spareTimer = setTimeout(() => {
      this.spareTimer = null;
      if (this.closed || this.spare || !this.perl) return;
      try {
        this.heldDir ??= heldFolder();
        const fifo = path.join(this.heldDir, `${process.pid}-${this.heldCount++}`);
        const [file, ...args] = heldSpawnPrelude({ perl: this.perl }, { fifo });
        const term = pty().spawn(file, args, { name: 'xterm-256color', cols: 80, rows: 24, cwd: '/', env: {}, encoding: null, handleFlowControl: false });
        this.spare = new HeldTerminal(term, fifo);
      } catch {
        // none ahead: the next spawn starts its own
      }
    }, HELD_SPARE_DELAY_MS);
    this.spareTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.spareTimer) clearTimeout(this.spareTimer);
    this.spareTimer = null;
    this.spare?.release();
    this.spare = null;
    if (this.heldDir) fs.rmSync(this.heldDir, { recursive: true, force: true });
    this.heldDir = null;
  }
}
