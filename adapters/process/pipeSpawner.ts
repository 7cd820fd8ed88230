/**
 * `ProcessSpawner` over plain pipes, for non-interactive runs (the blocking form; judge mode next): stdin is
 * a pipe the executor fills and then closes, stdout and stderr share one pipe (as the seed's
 * `stderr=subprocess.STDOUT`), nothing is echoed and `\n` stays `\n`. Same prelude and identity switch as
 * PtySpawner (descriptors closed, setpriv), same raw-bytes contract.
 */
import { spawn, type ChildProcess } from 'child_process';
import type { Disposable, ExitInfo, ProcessSpawner, SpawnedProcess, SpawnRequest } from '../../core/ports';
import { Emitter } from './emitter';
import { requestedIdentity, withSpawnPrelude } from './spawnPrelude';
import { canonicalSignalName } from './signalNames';
import { systemTool } from './systemTools';

/** After the first process exits, how long output of processes still holding the pipe is awaited. */
const EXIT_DRAIN_MS = 100;

class PipeProcess implements SpawnedProcess {
  readonly pid: number;
  private readonly data = new Emitter<Buffer>();
  private readonly exit = new Emitter<ExitInfo>();
  private exitInfo: ExitInfo | null = null;

  constructor(private readonly child: ChildProcess) {
    this.pid = child.pid ?? -1;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (!this.exitInfo) this.data.emit(chunk);
    });
    // A program that exits before reading all its input must not crash the executor with EPIPE.
    child.stdin!.on('error', () => undefined);
    let streamClosed = false;
    child.stdout!.once('close', () => (streamClosed = true));
    child.once('exit', (code, signal) => {
      const finish = () => {
        if (this.exitInfo) return;
        this.exitInfo = { exitCode: signal ? null : code, signal: canonicalSignalName(signal) };
        this.exit.emit(this.exitInfo);
      };
      // Output still in the pipe is delivered first; a background process holding the pipe open cannot hold
      // the exit back for long.
      if (streamClosed) setImmediate(finish);
      else {
        child.stdout!.once('close', () => setImmediate(finish));
        setTimeout(finish, EXIT_DRAIN_MS).unref();
      }
    });
  }

  onData(listener: (data: Buffer) => void): Disposable {
    return this.data.on(listener);
  }

  onExit(listener: (exit: ExitInfo) => void): Disposable {
    return this.exit.on(listener);
  }

  write(data: Buffer | string): void {
    if (!this.exitInfo && this.child.stdin!.writable) this.child.stdin!.write(data);
  }

  endInput(): void {
    this.child.stdin!.end();
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

  isWaitingForInput(): boolean {
    // All input of a non-interactive run is delivered up front: there is nothing to wait for.
    return false;
  }
}

export class PipeSpawner implements ProcessSpawner {
  private readonly perl: string;
  private readonly setpriv: string | null;

  constructor() {
    const perl = systemTool('perl');
    if (!perl) throw new Error('PipeSpawner: perl (perl-base) is needed for the spawn prelude');
    this.perl = perl;
    this.setpriv = systemTool('setpriv');
  }

  spawn(request: SpawnRequest): SpawnedProcess {
    const identity = requestedIdentity(request, 'PipeSpawner');
    if (identity && !this.setpriv) throw new Error('PipeSpawner: util-linux setpriv is required to run as another user');
    const [file, ...args] = withSpawnPrelude({ perl: this.perl, setpriv: this.setpriv }, [request.file, ...request.args], {
      identity,
      privateProc: request.privateProc,
      mergeStderr: true,
    });
    const child = spawn(file, args, {
      cwd: request.cwd,
      env: { ...request.env },
      stdio: ['pipe', 'pipe', 'ignore'],
      // A session and process group of its own, so the whole group can be signalled.
      detached: true,
    });
    return new PipeProcess(child);
  }
}
