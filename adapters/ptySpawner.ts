/**
 * `ProcessSpawner` over @lydell/node-pty: the program gets a real terminal, and its output reaches listeners
 * as the raw bytes the terminal produced (never decoded: invalid UTF-8, binary and characters split across two
 * reads are passed on as they are).
 *
 * Every child starts through a root perl prelude (`CLOSE_FDS_AND_EXEC`) that closes inherited descriptors:
 * node-pty's masters are not close-on-exec, so a program would otherwise hold every other run's terminal.
 * With `request.uid`/`gid` the prelude then execs `setpriv` to switch identity with supplementary groups
 * cleared (node-pty's own `uid`/`gid` options keep root's groups), and the terminal is handed to that identity
 * (mode 0600) so `/dev/stdin` and `/dev/tty` open as on a local machine.
 */
import * as fs from 'fs';
import * as os from 'os';
import type { IPty } from '@lydell/node-pty';
import type { Disposable, ExitInfo, ProcessSpawner, SpawnedProcess, SpawnRequest } from '../core/ports';
import { CLOSE_FDS_AND_EXEC, dropPrivilegeArgs, findTool } from './execWrappers';
import { InputWaitProbe } from './inputWaitProbe';
import { readStat } from './procfs';

// Loaded lazily so that importing this module costs nothing where no PTY is ever spawned.
let ptyModule: typeof import('@lydell/node-pty') | undefined;
function pty(): typeof import('@lydell/node-pty') {
  ptyModule ??= require('@lydell/node-pty') as typeof import('@lydell/node-pty');
  return ptyModule;
}

const SIGNAL_NAMES = new Map<number, string>(
  Object.entries(os.constants.signals).map(([name, num]) => [num as number, name]),
);

export function signalName(num: number | undefined | null): string | null {
  if (!num) return null;
  return SIGNAL_NAMES.get(num) ?? `SIG${num}`;
}

export interface PtySpawnerOptions {
  /** Perl for the prelude; default `/usr/bin/perl`. `null` skips the prelude (inherited descriptors leak). */
  perl?: string | null;
  /** util-linux setpriv, needed only for requests with `uid`/`gid`. */
  setpriv?: string;
}

class Emitter<T> {
  private listeners: Array<(value: T) => void> = [];
  on(listener: (value: T) => void): Disposable {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }
  emit(value: T): void {
    for (const listener of this.listeners.slice()) listener(value);
  }
}

class PtyProcess implements SpawnedProcess {
  readonly pid: number;
  private readonly data = new Emitter<Buffer>();
  private readonly exit = new Emitter<ExitInfo>();
  private exitInfo: ExitInfo | null = null;
  private probe: InputWaitProbe | null = null;

  constructor(private readonly term: IPty, ptsName: string) {
    this.pid = term.pid;
    try {
      this.probe = new InputWaitProbe(term.pid, fs.statSync(ptsName).rdev);
    } catch {
      this.probe = null;
    }
    term.onData((chunk) => {
      if (this.exitInfo) return; // never after exit
      this.data.emit(typeof chunk === 'string' ? Buffer.from(chunk, 'binary') : (chunk as unknown as Buffer));
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
    // The group of the first process, and the terminal's foreground group when a program made its own
    // (the sandbox's bwrap mode does: see FOREGROUND_AND_EXEC).
    const groups = new Set([this.pid]);
    const tpgid = readStat(this.pid)?.tpgid ?? -1;
    if (tpgid > 1) groups.add(tpgid);
    for (const group of groups) {
      try {
        process.kill(-group, signal);
      } catch {
        // already gone
      }
    }
  }

  isWaitingForInput(): boolean {
    return this.exitInfo === null && this.probe !== null && this.probe.isWaiting();
  }
}

export class PtySpawner implements ProcessSpawner {
  private readonly perl: string | null;
  private readonly setpriv: string | null;

  constructor(options: PtySpawnerOptions = {}) {
    this.perl = options.perl === undefined ? findTool(['/usr/bin/perl', '/bin/perl']) : options.perl;
    this.setpriv = options.setpriv ?? findTool(['/usr/bin/setpriv', '/bin/setpriv']);
  }

  spawn(request: SpawnRequest): SpawnedProcess {
    let file = request.file;
    let args = request.args;
    const switchIdentity = request.uid !== undefined || request.gid !== undefined;
    if (switchIdentity) {
      if (request.uid === undefined || request.gid === undefined) throw new Error('PtySpawner: uid and gid go together');
      if (!this.setpriv) throw new Error('PtySpawner: util-linux setpriv is required to run as another user');
      if (!this.perl) throw new Error('PtySpawner: perl is required to run as another user');
      args = [...dropPrivilegeArgs(request.uid, request.gid), '--', file, ...args];
      file = this.setpriv;
    }
    if (this.perl) {
      args = ['-e', CLOSE_FDS_AND_EXEC, '--', file, ...args];
      file = this.perl;
    }
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
    if (switchIdentity && ptsName) {
      // The child is still in the prelude (a few ms of perl start-up) when this runs.
      try {
        fs.chownSync(ptsName, request.uid!, request.gid!);
        fs.chmodSync(ptsName, 0o600);
      } catch {
        // the program still has its terminal on 0/1/2; only re-opening it by name would fail
      }
    }
    return new PtyProcess(term, ptsName);
  }
}
