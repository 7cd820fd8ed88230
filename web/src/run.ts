/**
 * One run as the page follows it: the output streamed by long poll from a byte offset, input sent in order, kill and
 * resize. The offset only moves past bytes that were handed to the terminal, so after any failure the next request
 * asks for exactly what is missing: nothing shown is lost or shown twice. A running run is never given up on: network
 * failures are retried with backoff (and at once when the browser says it is online again) until the run ends.
 * The connection's state is one report, whether the output or the input failed or the browser said it is offline,
 * so that input typed meanwhile is visibly waiting rather than silently lost (and typed again, then sent twice).
 */
import { ApiRefusal, messageOf, type Api, type OutputChunk, type RunResult } from './api';
import { inputPiece } from './inputPiece';

export interface RunEvents {
  /** Bytes of the program's terminal, in order, each exactly once. */
  output(bytes: Uint8Array): void;
  state(state: OutputChunk['state']): void;
  /** null: connected; otherwise why not. */
  connection(problem: ConnectionProblem | null): void;
  /** The input could not be delivered (the API refused it). */
  inputError(message: string): void;
  /**
   * The input not yet delivered changed: kept by the page in the tab's storage, so that a reload (or a discarded
   * tab) while offline sends it after all, under the same keys; null once nothing is waiting.
   */
  queuedInput?(queued: QueuedInput | null): void;
}

/** Input typed and not yet delivered, and how its pieces are keyed: what a session resumes from after a reload. */
export interface QueuedInput {
  pending: string;
  /** The piece being sent (the start of `pending`) under its key, until an answer says where it stands. */
  inFlight: { piece: string; key: string } | null;
  /** Keys of this run's input pieces from this tab: a random prefix (no two tabs share one), then a count. */
  keyPrefix: string;
  pieces: number;
}

export function isQueuedInput(value: unknown): value is QueuedInput {
  const q = value as QueuedInput | null;
  return (
    typeof q?.pending === 'string' &&
    typeof q.keyPrefix === 'string' &&
    Number.isInteger(q.pieces) &&
    (q.inFlight === null || (typeof q.inFlight?.piece === 'string' && typeof q.inFlight.key === 'string' && q.pending.startsWith(q.inFlight.piece)))
  );
}

export interface ConnectionProblem {
  message: string;
  /** The browser says it has no network (navigator.onLine). */
  offline: boolean;
  /** Input is queued: it will be sent, in order and once, when the connection is back. */
  inputWaiting: boolean;
}

const LONG_POLL_MS = 20_000;
/** Input is sent in pieces the API accepts (64 KiB of UTF-8 at most; a character is at most 4 bytes). */
const INPUT_PIECE_CHARS = 16 * 1024;

export function backoffMs(failures: number): number {
  // 0.25 s, 0.5 s, 1 s, 2 s, then every 3 s: soon after a blip, never so rarely that a restored network waits long.
  const base = Math.min(3_000, 250 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** `bytes` random bytes as hex (crypto.randomUUID needs a secure context; a page on plain http has none). */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function decodeBase64(data: string): Uint8Array {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Waits `ms`, or less if `wake` is called meanwhile (or was, since the last wait). */
class Pause {
  private wakeUp: (() => void) | null = null;
  private woken = false;
  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }
}

export class RunSession {
  offset = 0;
  finished = false;
  result: RunResult | undefined;
  private readonly queue: QueuedInput;
  private sending = false;
  private readonly pause = new Pause();
  private readonly inputPause = new Pause();
  private lastSize = '';
  /** Why the last output request and the last input request failed, while they do. */
  private pollFailure: string | null = null;
  private inputFailure: string | null = null;
  private reported = 'null';
  private resizeTimer: ReturnType<typeof setTimeout> | undefined;

  /** `queued`: what an earlier page of this tab had queued for this run (see RunEvents.queuedInput); sent at once. */
  constructor(
    private readonly api: Api,
    readonly id: string,
    private readonly events: RunEvents,
    queued?: QueuedInput,
  ) {
    this.queue = queued ? { ...queued } : { pending: '', inFlight: null, keyPrefix: randomHex(8), pieces: 0 };
    if (this.queue.pending) void this.flushInput();
  }

  /** The queue changed: told to the page, which keeps it (nothing when nothing is or was waiting). */
  private queueChanged(): void {
    this.events.queuedInput?.(this.queue.pending ? { ...this.queue } : null);
  }

  /**
   * Follows the output until the run ends; resolves with its result. Rejects only if the API refuses (e.g. 404).
   * When the browser is back online, the request in flight is dropped and a new one made at once: after a network
   * change the old connection is often dead without saying so, and would only fail at its timeout.
   */
  async follow(): Promise<RunResult> {
    let poll: AbortController | undefined;
    const online = () => {
      poll?.abort();
      this.pause.wake();
      this.inputPause.wake();
      this.report();
    };
    // Said at once: the request in flight may take its whole timeout to fail.
    const offline = () => this.report();
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    this.report();
    try {
      return await this.poll((controller) => (poll = controller));
    } finally {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
    }
  }

  /** Tells the page the connection's state when it changed: a problem while anything fails or the browser is offline. */
  private report(): void {
    const offline = !navigator.onLine;
    const message = offline ? 'the browser is offline' : (this.pollFailure ?? this.inputFailure);
    const problem: ConnectionProblem | null = this.finished || message === null ? null : { message, offline, inputWaiting: this.queue.pending !== '' };
    const key = JSON.stringify(problem);
    if (key === this.reported) return;
    this.reported = key;
    this.events.connection(problem);
  }

  private async poll(current: (controller: AbortController) => void): Promise<RunResult> {
    let failures = 0;
    for (;;) {
      let chunk: OutputChunk;
      try {
        const controller = new AbortController();
        current(controller);
        chunk = await this.api.output(this.id, this.offset, LONG_POLL_MS, controller.signal);
      } catch (err) {
        if (err instanceof ApiRefusal) throw err;
        failures++;
        this.pollFailure = messageOf(err);
        this.report();
        await this.pause.wait(backoffMs(failures));
        continue;
      }
      this.pollFailure = null;
      this.report();
      failures = 0;
      this.take(chunk);
      this.events.state(chunk.state);
      if (chunk.eof) {
        this.finished = true;
        this.result = chunk.result ?? { status: 'internal_error', exitCode: null, signal: null, wallMs: 0, message: 'no result' };
        this.inputPause.wake();
        return this.result;
      }
    }
  }

  /** Hands over the bytes past `offset`: the answer starts where it was asked to, and anything before is known. */
  private take(chunk: OutputChunk): void {
    const bytes = decodeBase64(chunk.data);
    const start = chunk.offset - bytes.length;
    if (chunk.offset <= this.offset) return;
    // An answer from before `offset` (never seen with this API) would carry bytes already shown: skip those.
    const fresh = start < this.offset ? bytes.subarray(this.offset - start) : bytes;
    if (start > this.offset) {
      // A gap would mean lost output: ask again from `offset` instead of showing what follows it.
      return;
    }
    if (fresh.length > 0) this.events.output(fresh);
    this.offset = chunk.offset;
  }

  /** Queues input; sent in order, one request at a time, retried while the network is down. */
  send(data: string): void {
    if (this.finished || data === '') return;
    this.queue.pending += data;
    this.queueChanged();
    this.report();
    if (!this.sending) void this.flushInput();
  }

  private async flushInput(): Promise<void> {
    this.sending = true;
    let failures = 0;
    try {
      while (this.queue.pending && !this.finished) {
        // A retry sends the same piece under the same key, even if more was typed meanwhile: the API applies a key
        // once, so a piece that had arrived is not doubled, and one that had not is not lost.
        const q = this.queue;
        if (!q.inFlight) {
          q.inFlight = { piece: inputPiece(q.pending, INPUT_PIECE_CHARS), key: `${q.keyPrefix}-${++q.pieces}` };
          // Kept before it is sent: a reload from here on sends it again under this key, never under another.
          this.queueChanged();
        }
        const { piece, key } = q.inFlight;
        try {
          await this.api.input(this.id, piece, key);
          q.pending = q.pending.slice(piece.length);
          q.inFlight = null;
          this.queueChanged();
          this.inputFailure = null;
          this.report();
          failures = 0;
        } catch (err) {
          if (err instanceof ApiRefusal) {
            // 409: the run already finished; anything else: the API says why.
            if (err.status !== 409) this.events.inputError(err.message);
            this.queue.pending = '';
            this.queue.inFlight = null;
            this.queueChanged();
            this.inputFailure = null;
            this.report();
            return;
          }
          // No answer: offline, the request never left the browser; cut on its way, it may or may not have arrived.
          // Either way the next attempt carries the same key (above), and the line reaches the program once. Being
          // shown as waiting, it is not typed again meanwhile.
          failures++;
          this.inputFailure = messageOf(err);
          this.report();
          await this.inputPause.wait(backoffMs(failures));
        }
      }
    } finally {
      this.sending = false;
    }
  }

  async kill(): Promise<void> {
    for (let failures = 0; !this.finished; ) {
      try {
        await this.api.kill(this.id);
        return;
      } catch (err) {
        if (err instanceof ApiRefusal) return;
        failures++;
        await this.inputPause.wait(backoffMs(failures));
      }
    }
  }

  /** The terminal's size changed: tell the program (debounced; only the last size matters). */
  resize(cols: number, rows: number): void {
    const size = `${cols}x${rows}`;
    if (size === this.lastSize || this.finished) return;
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      this.lastSize = size;
      this.api.resize(this.id, cols, rows).catch(() => {
        // A missed resize only leaves the program with the previous size; the next change sends it again.
        this.lastSize = '';
      });
    }, 150);
  }

  /** Records the size the run was created with, so an unchanged size is not sent again. */
  startedWith(cols: number, rows: number): void {
    this.lastSize = `${cols}x${rows}`;
  }
}
