/**
 * One emulated FC instance of the executor function: the very bundle FC runs, in a child process of its own,
 * answering `POST /invoke`. Like FC, the platform sends one event per instance at a time
 * (`instanceConcurrency: 1`) and replaces an instance that died.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as http from 'http';
import * as readline from 'readline';
import { ENV } from '../core/config';
import { HANDLER_NODE_FLAGS } from '../core/handlerNodeFlags';
import type { OssEvent } from '../core/protocol';
import { INVOKE_SECRET_HEADER } from '../handlers/invokeGate';

const START_TIMEOUT_MS = 15_000;

export interface ExecutorInstanceOptions {
  entry: string;
  env: Record<string, string>;
  onLog?: (line: string) => void;
}

export class ExecutorInstance {
  private child: ChildProcess | null = null;
  private listenPort = 0;
  /** Proves to the instance that an invocation comes from this trigger; a new one for every start. */
  private secret = '';
  private exited: Promise<void> = Promise.resolve();
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private delivering: OssEvent | null = null;
  busy = false;
  /**
   * The last start's cold-start figures: process start → listening for `/invoke` (ready for a run), and → its full
   * runtime probe done, on the instance that probes for the runtimes list (runs do not wait for it), in ms;
   * undefined until reached.
   */
  readonly coldStart: { listeningMs?: number; probedMs?: number } = {};

  constructor(private readonly options: ExecutorInstanceOptions) {}

  /** Where the instance listens (on 127.0.0.1); 0 before it started. */
  get port(): number {
    return this.listenPort;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * The last process ended on its own terms: code 0 is what the executor exits with once every run it had was
   * killed, disposed and recorded. Anything else (killed, crashed, gave up waiting) may have left a run behind.
   */
  get exitedCleanly(): boolean {
    return this.exit !== null && this.exit.code === 0 && this.exit.signal === null;
  }

  /** Resolves when the current process has exited (at once when none runs). */
  get whenExited(): Promise<void> {
    return this.exited;
  }

  /** The event of an invocation that has not succeeded (yet): what a dead instance may have left unrecorded. */
  get unfinishedEvent(): OssEvent | null {
    return this.delivering;
  }

  /** Starts the process and resolves once it listens (its first log line says where). */
  async start(): Promise<void> {
    this.listenPort = 0;
    this.secret = randomBytes(32).toString('base64url');
    const spawnedAt = performance.now();
    delete this.coldStart.listeningMs;
    delete this.coldStart.probedMs;
    const child = spawn(process.execPath, [...HANDLER_NODE_FLAGS, this.options.entry], {
      // Loopback only: nothing but this process needs to reach it (FC's instances listen on 0.0.0.0 for its proxy).
      env: { ...this.options.env, [ENV.port]: '0', [ENV.listenHost]: '127.0.0.1', [ENV.invokeSecret]: this.secret, [ENV.lifeline]: '1' },
      // stdin: the lifeline (EXECUTOR_LIFELINE), held open and never written: when this process dies, however it
      // dies, the kernel closes it and the instance stops by itself.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exit = null;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
    const lines = readline.createInterface({ input: child.stdout! });
    child.stderr!.on('data', (d: Buffer) => this.options.onLog?.(d.toString().trimEnd()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('executor instance did not start in time')), START_TIMEOUT_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`executor instance exited during start (code ${code}, signal ${signal})`));
      });
      lines.on('line', (line) => {
        if (!this.listenPort) {
          try {
            const record = JSON.parse(line) as { event?: string; port?: number };
            if (record.event === 'listening' && record.port) {
              this.listenPort = record.port;
              this.coldStart.listeningMs = performance.now() - spawnedAt;
              clearTimeout(timer);
              resolve();
              return;
            }
          } catch {
            // not a log record
          }
        }
        // The executor's own record of its full runtime probe (core/runtimeProbe.ts; only when the list was stale).
        if (this.coldStart.probedMs === undefined && line.includes('"event":"runtimes"')) this.coldStart.probedMs = performance.now() - spawnedAt;
        this.options.onLog?.(line);
      });
    });
  }

  /**
   * Delivers one event as FC does: `POST /invoke`, the event as body, request id and (placeholder) credential
   * headers. Resolves true when the function succeeded, false on a function error or a dead instance.
   */
  invoke(event: OssEvent): Promise<boolean> {
    const body = Buffer.from(JSON.stringify(event));
    this.delivering = event;
    return new Promise<boolean>((resolve) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.listenPort,
          method: 'POST',
          path: '/invoke',
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': body.length,
            'x-fc-request-id': randomUUID(),
            'x-fc-control-path': '/invoke',
            [INVOKE_SECRET_HEADER]: this.secret,
            // FC hands the role's STS credentials to every invocation; the local ones are placeholders, present
            // so that tests can prove a program never sees them.
            'x-fc-access-key-id': 'LOCAL-PLACEHOLDER-KEY-ID',
            'x-fc-access-key-secret': 'LOCAL-PLACEHOLDER-KEY-SECRET',
            'x-fc-security-token': 'LOCAL-PLACEHOLDER-TOKEN',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200 && res.headers['x-fc-status'] !== '404'));
          res.on('error', () => resolve(false));
        },
      );
      req.on('error', () => resolve(false));
      req.end(body);
    }).then((ok) => {
      if (ok && this.delivering === event) this.delivering = null;
      return ok;
    });
  }

  /** SIGTERM: the instance kills its run, records it and exits; SIGKILL after `graceMs`. */
  async stop(graceMs = 6_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Simulates FC reclaiming the instance mid-run: no goodbye. */
  async crash(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** A forced stop: no goodbye either; whoever forces it cleans up after the instance. */
  kill(): Promise<void> {
    return this.crash();
  }
}
