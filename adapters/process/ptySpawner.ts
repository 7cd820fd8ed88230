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
import type { IPty } from '@lydell/node-pty';
import type { Disposable, ExitInfo, ProcessSpawner, SpawnedProcess, SpawnRequest } from '../../core/ports';
import { Emitter } from './emitter';
import { requestedIdentity, withSpawnPrelude } from './spawnPrelude';
import { systemTool } from './systemTools';
import { InputWaitProbe } from './inputWaitProbe';
import { signalProgram } from './signalProgram';
import { readProc, readStat } from './procfs';
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

  constructor(options: PtySpawnerOptions = {}) {
    this.perl = options.perl === undefined ? systemTool('perl') : options.perl;
    if (this.perl === null && options.perl === undefined) {
      throw new Error('PtySpawner: perl (perl-base) is needed to close inherited descriptors in children; pass perl: null to run without');
    }
  }

  spawn(request: SpawnRequest): SpawnedProcess {
    const identity = requestedIdentity(request, 'PtySpawner');
    if (identity && !this.perl) throw new Error('PtySpawner: perl is required to run as another user');
    const argv = [request.file, ...request.args];
    const [file, ...args] = this.perl ? withSpawnPrelude({ perl: this.perl }, argv, { identity, privateProc: request.privateProc, cgroupProcs: request.cgroup }) : argv;
    const term = pty().spawn(file, args, {
      name: request.env.TERM || 'xterm-256color',
      cols: request.cols,
      rows: request.rows,
      cwd: request.cwd,
      env: { ...request.env },
      encoding: null,
      handleFlowControl: false,
    });
    const ptsName = (term as unknown as { ptsName?: string }).ptsName ?? '';
    if (identity && ptsName) {
      // The child is still in the prelude (a few ms of perl start-up) when this runs.
      try {
        fs.chownSync(ptsName, identity.uid, identity.gid);
        fs.chmodSync(ptsName, 0o600);
      } catch {
        // the program still has its terminal on 0/1/2; only re-opening it by name would fail
      }
    }
    return new PtyProcess(term, ptsName);
  }
}
