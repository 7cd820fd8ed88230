/**
 * Piston v2's interactive WebSocket, `GET /api/v2/connect` (Piston's api/src/api/v2.js), on top of an ordinary
 * interactive run: the `init` message is a Piston job (pistonExecuteRequest.ts) that becomes a `streams: 'split'` run
 * (pipes, stdout and stderr apart; core/outputFrames.ts), `data` on stdin is the run's input, `signal` a signal
 * record, and the run's output is long-polled from storage like any other, so the socket may be served by any API
 * instance and the program runs wherever the executors are.
 *
 * Client → server: `init` {language, version, files, args?, stdin?, run_timeout?, run_cpu_time?, run_memory_limit?,
 * compile_*?}, `data` {stream: "stdin", data}, `signal` {signal}. Server → client: `runtime` {language, version},
 * `stage` {stage}, `data` {stream: "stdout" | "stderr", data}, `exit` {stage, code, signal, status?, message?},
 * `error` {message}. Close codes as Piston's: 4000 already initialized, 4001 no `init` in time, 4002 an error was
 * notified, 4003 not yet initialized, 4004 a `data` message not on stdin, 4005 an unknown signal, 4999 done.
 *
 * Better than Piston: `run_timeout` counts busy time only (time blocked on stdin is not counted; the run's wall limit
 * still bounds the session), output is capped (`exit` then says status `OL`), a character is never split between
 * two `data` messages, a `signal` really reaches the program, `stdin` of `init` is written first, input sent while
 * the run starts is kept, and a client that goes away ends its run.
 *
 * A session lasts at most `sessionLimitMs` from the upgrade: the API's request time limit (FC's timeout of the API
 * function, API_TIMEOUT_MS) less PISTON_SESSION_END_MARGIN_MS. FC would cut the connection at its timeout without a
 * word; so just before, the socket kills the run, says why in an `error` message and closes with 4002, as Piston
 * closes after any error it notified.
 */
import type { WebSocket } from 'ws';
import { ApiError } from '../../core/apiError';
import { findLanguage } from '../../core/languages';
import * as L from '../../core/limits';
import { FrameReader, Utf8Stream, type OutputStream } from '../../core/outputFrames';
import type { RunResult } from '../../core/protocol';
import type { RunService } from '../../core/runService';
import { isSignalName } from '../../core/signals';
import { isolateSignal } from '../isolateSignal';
import { compileTimedOut } from '../../core/judge/compileVerdict';
import { hasCompileStep } from '../../core/judge/judgeCommands';
import { isObject, loneSurrogateOf, loneSurrogateProblem } from '../../core/validate';
import { utf8Problem } from '../../core/utf8';
import { pistonError } from './pistonErrors';
import { pistonSocketRun } from './pistonExecuteRequest';
import { pistonRuntime } from './pistonRuntimes';

/** Piston's close codes and reasons (its v2.js), and ours for a run that ended badly, which Piston has not. */
export const CLOSE = {
  alreadyInitialized: [4000, 'Already Initialized'],
  initTimeout: [4001, 'Initialization Timeout'],
  notifiedError: [4002, 'Notified Error'],
  notInitialized: [4003, 'Not yet initialized'],
  onlyStdin: [4004, 'Can only write to stdin'],
  invalidSignal: [4005, 'Invalid signal'],
  completed: [4999, 'Job Completed'],
} as const satisfies Record<string, readonly [number, string]>;

type Stage = 'compile' | 'run';

/** Piston's `status` of an ended stage, and a message, for what pocketrun reports beyond an exit. */
function exitStatus(result: RunResult, outputBytes: number): { status?: string; message?: string } {
  switch (result.status) {
    case 'timeout':
      return { status: 'TO', message: result.message ?? 'the run took longer than its wall time limit' };
    case 'output_limit':
      return { status: 'OL', message: `the output exceeded ${outputBytes} bytes` };
    case 'memory_limit':
      return { status: 'SG', message: 'the program ran out of memory' };
    case 'disk_limit':
    case 'internal_error':
      return { status: 'XX', ...(result.message ? { message: result.message } : {}) };
    case 'killed':
      return { status: 'SG', message: result.message ?? 'the run was killed' };
    case 'runtime_error':
      return { status: result.signal ? 'SG' : 'RE' };
    case 'compile_error':
      // A compiler stopped for time is a timed-out stage, as in Piston's job.js.
      if (compileTimedOut(result.message)) return { status: 'TO', message: result.message! };
      return result.message ? { message: result.message } : {};
    default:
      return result.message ? { message: result.message } : {};
  }
}

/** How long a session may last under the API's request time limit `apiTimeoutMs` (see PistonSocket). */
export function sessionLimitMs(apiTimeoutMs: number): number {
  return apiTimeoutMs - L.PISTON_SESSION_END_MARGIN_MS;
}

export class PistonSocket {
  private state: 'new' | 'starting' | 'running' | 'done' = 'new';
  private runId: string | null = null;
  /** Input and signals, in the order sent, after the run exists. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Actions in `chain` not yet done (see L.PISTON_MAX_QUEUED_MESSAGES). */
  private queued = 0;
  private readonly initTimer: NodeJS.Timeout;
  private readonly sessionTimer: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly service: RunService,
    private readonly log: (record: Record<string, unknown>) => void,
    /** How long the session may last from the upgrade: `sessionLimitMs(apiTimeoutMs)`. */
    sessionMs: number,
  ) {
    this.initTimer = setTimeout(() => {
      if (this.state === 'new') this.close(CLOSE.initTimeout);
    }, L.PISTON_INIT_TIMEOUT_MS);
    this.sessionTimer = setTimeout(() => this.endSession(sessionMs), sessionMs);
    ws.on('message', (raw, isBinary) => {
      // A throw out of an event listener ends the process, and every other socket and request of this instance with it.
      try {
        this.onMessage(raw as Buffer, isBinary);
      } catch (err) {
        this.fail(err);
      }
    });
    ws.on('close', () => this.onClientGone());
    ws.on('error', () => this.onClientGone());
  }

  private send(message: Record<string, unknown>): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private close([code, reason]: readonly [number, string]): void {
    clearTimeout(this.initTimer);
    clearTimeout(this.sessionTimer);
    if (this.state !== 'done' && this.runId) void this.service.kill(this.runId).catch(() => undefined);
    this.state = 'done';
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }

  /** As Piston: the error as a message (a close reason holds 123 bytes at most), then 4002. */
  private fail(err: unknown): void {
    const message = err instanceof ApiError ? err.message : 'internal error; see the logs';
    if (!(err instanceof ApiError)) this.log({ event: 'error', route: 'piston.connect', runId: this.runId, error: err instanceof Error ? err.message : String(err) });
    this.send({ type: 'error', message });
    this.close(CLOSE.notifiedError);
  }

  /** The session's time is up: the run is killed (by `close`) and the client told, before FC cuts the connection. */
  private endSession(sessionMs: number): void {
    if (this.state === 'done') return;
    this.log({ event: 'piston_socket', runId: this.runId, status: 'session_limit', sessionMs });
    this.send({
      type: 'error',
      message: `the session reached its time limit of ${sessionMs / 1000} s (the API's request time limit less ${L.PISTON_SESSION_END_MARGIN_MS / 1000} s); the run was killed`,
    });
    this.close(CLOSE.notifiedError);
  }

  private onClientGone(): void {
    clearTimeout(this.initTimer);
    clearTimeout(this.sessionTimer);
    // Nobody reads the run any more: end it rather than let it compute until its limits.
    if (this.state !== 'done' && this.runId) void this.service.kill(this.runId).catch(() => undefined);
    this.state = 'done';
  }

  private onMessage(raw: Buffer, isBinary: boolean): void {
    if (this.state === 'done') return;
    let msg: unknown;
    let text: string;
    // ws checks a text frame's UTF-8 itself (closing 1007); a binary frame's bytes are JSON text only if they are UTF-8,
    // else its strings (stdin above all) would reach the program with replacement characters.
    const problem = isBinary ? utf8Problem(raw) : null;
    if (problem) {
      this.fail(pistonError(`message is ${problem}`));
      return;
    }
    try {
      text = raw.toString('utf8');
      msg = JSON.parse(text);
    } catch {
      this.fail(pistonError(isBinary ? 'messages must be JSON text' : 'message is not valid JSON'));
      return;
    }
    if (!isObject(msg)) {
      this.fail(pistonError('message must be a JSON object'));
      return;
    }
    const lone = loneSurrogateOf(text, msg);
    if (lone) {
      this.fail(pistonError(`${lone.path} ${loneSurrogateProblem(lone.unit)}`));
      return;
    }
    switch (msg.type) {
      case 'init':
        if (this.state !== 'new') this.close(CLOSE.alreadyInitialized);
        else void this.start(msg).catch((err: unknown) => this.fail(err));
        return;
      case 'data':
        if (this.state === 'new') this.close(CLOSE.notInitialized);
        else if (msg.stream !== 'stdin') this.close(CLOSE.onlyStdin);
        else if (typeof msg.data !== 'string') this.fail(pistonError('data must be a string'));
        else if (Buffer.byteLength(msg.data) > L.MAX_INPUT_CHUNK_BYTES) this.fail(pistonError(`data is larger than ${L.MAX_INPUT_CHUNK_BYTES} bytes`, 413));
        else if (msg.data.length > 0) this.queue((id) => this.service.input(id, msg.data as string));
        return;
      case 'signal':
        if (this.state === 'new') this.close(CLOSE.notInitialized);
        else if (!isSignalName(msg.signal)) this.close(CLOSE.invalidSignal);
        else {
          const name = msg.signal;
          this.queue((id) => this.service.signal(id, name));
        }
        return;
      default:
        this.fail(pistonError('type must be one of init, data, signal'));
    }
  }

  /** After the run exists, in order; a run that has just finished takes no more (409): nothing to report. */
  private queue(action: (id: string) => Promise<void>): void {
    if (++this.queued >= L.PISTON_MAX_QUEUED_MESSAGES) this.ws.pause();
    this.chain = this.chain
      .then(() => {
        if (this.state === 'done' || !this.runId) return;
        return action(this.runId).catch((err: unknown) => {
          if (err instanceof ApiError && err.code === 'run_finished') return;
          throw err;
        });
      })
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        if (--this.queued < L.PISTON_MAX_QUEUED_MESSAGES && this.ws.isPaused) this.ws.resume();
      });
  }

  private async start(init: Record<string, unknown>): Promise<void> {
    this.state = 'starting';
    clearTimeout(this.initTimer);
    let resolveCreated!: () => void;
    // Input sent from now on waits for the run id.
    const created = new Promise<void>((resolve) => (resolveCreated = resolve));
    this.chain = this.chain.then(() => created);
    try {
      const doc = await this.service.runtimes();
      if (!doc) throw pistonError('no executor instance has reported what it can run yet', 503);
      const { job, request } = pistonSocketRun(init, doc.runtimes, this.service.policy);
      if (this.state !== 'starting') return;
      this.runId = await this.service.create(request, true, {
        streams: 'split',
        ...(job.files.length ? { files: job.files } : {}),
        ...(job.compile ? { compileLimits: job.compile } : {}),
        client: { api: 'piston-ws' },
      });
      if (this.state !== 'starting') {
        void this.service.kill(this.runId).catch(() => undefined);
        return;
      }
      this.state = 'running';
      const lang = findLanguage(job.runtime.language);
      const compiled = !!lang && (hasCompileStep(lang) || lang.transform !== undefined);
      const r = pistonRuntime(job.runtime);
      this.send({ type: 'runtime', language: r.language, version: r.version });
      resolveCreated();
      const result = await this.stream(this.runId, compiled);
      if (result) this.finish(result.result, result.ran, compiled, request.limits.outputBytes);
    } finally {
      resolveCreated();
    }
  }

  /** Sends the run's output as it comes; resolves with its result, or null when the socket went away first. */
  private async stream(id: string, compiled: boolean): Promise<{ result: RunResult; ran: boolean } | null> {
    const frames = new FrameReader();
    const text: Record<OutputStream, Utf8Stream> = { stdout: new Utf8Stream(), stderr: new Utf8Stream() };
    let ran = false;
    let offset = 0;
    if (compiled) this.send({ type: 'stage', stage: 'compile' });
    const sendText = (stream: OutputStream, data: string) => data && this.send({ type: 'data', stream, data });
    const flushText = () => (['stdout', 'stderr'] as const).forEach((s) => sendText(s, text[s].end()));
    while (this.state === 'running') {
      const chunk = await this.service.output(id, offset, L.PISTON_OUTPUT_WAIT_MS, 'base64');
      offset = chunk.offset;
      for (const frame of frames.push(Buffer.from(chunk.data, 'base64'))) {
        if (frame.kind === 'run') {
          // What the compiler left unfinished is its own; the program's text starts afresh.
          flushText();
          if (compiled) this.send({ type: 'exit', stage: 'compile', code: 0, signal: null });
          this.send({ type: 'stage', stage: 'run' });
          ran = true;
        } else {
          sendText(frame.kind, text[frame.kind].push(frame.data));
        }
      }
      if (chunk.eof && chunk.result) {
        flushText();
        return { result: chunk.result, ran };
      }
    }
    return null;
  }

  private finish(result: RunResult, ran: boolean, compiled: boolean, outputBytes: number): void {
    if (this.state !== 'running') return;
    const signal = isolateSignal(result);
    // A stage that died of a signal has no exit code, as isolate reports it.
    const exit = (stage: Stage, code: number | null) => this.send({ type: 'exit', stage, code: signal ? null : code, signal, ...exitStatus(result, outputBytes) });
    if (ran) exit('run', result.exitCode);
    else if (compiled && result.status !== 'internal_error') exit('compile', result.exitCode ?? 1);
    else {
      // Nothing ran (no runtime on the executor, the sandbox failed): Piston's way to say so.
      this.send({ type: 'error', message: result.message ?? `the run ended as ${result.status} before the program started` });
      this.log({ event: 'piston_socket', runId: this.runId, status: result.status });
      this.state = 'done';
      clearTimeout(this.sessionTimer);
      this.ws.close(...CLOSE.notifiedError);
      return;
    }
    this.log({ event: 'piston_socket', runId: this.runId, status: result.status });
    this.state = 'done';
    clearTimeout(this.sessionTimer);
    this.ws.close(...CLOSE.completed);
  }
}
