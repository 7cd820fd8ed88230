/**
 * The command-line client's view of the HTTP API (README, *HTTP API*): plain `fetch`, a bearer token when given,
 * and errors that carry the API's own message.
 */

import type { RuntimeInfo } from '../core/protocol';
import type { OutputChunk } from '../core/runService';

export type { OutputChunk };
/** One language of `GET /api/runtimes`. */
export type Runtime = RuntimeInfo;

/** An answer the API gave with an error status: `status` and the API's `{error: {code, message}}`. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The request got no answer. `mayHaveArrived`: false when it surely never left (nothing listens, no such host). */
export class Unreachable extends Error {
  constructor(
    message: string,
    readonly mayHaveArrived: boolean,
  ) {
    super(message);
  }
}

/** Connection errors after which the server cannot have seen the request. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, extraHeaders: Record<string, string> = {}): Promise<T> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      if ((err as Error).name === 'TimeoutError') throw new Unreachable(`no answer from ${this.baseUrl} in time`, true);
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new Unreachable(`cannot reach ${this.baseUrl}${cause ? ` (${cause})` : ''}: is the platform running (npm start), or is --url right?`, !NEVER_SENT.has(cause ?? ''));
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: reported below
    }
    if (!res.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiRefusal(res.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${res.status} from ${path}`);
    }
    return json as T;
  }

  /** `key`: the same for every attempt at this create, so that the API answers each with the same run. */
  createRun(body: Record<string, unknown>, key?: string, signal?: AbortSignal): Promise<{ id: string }> {
    return this.request('POST', '/api/runs', body, signal, key === undefined ? {} : { 'idempotency-key': key });
  }

  output(id: string, offset: number, waitMs: number, signal?: AbortSignal): Promise<OutputChunk> {
    return this.request('GET', `/api/runs/${encodeURIComponent(id)}/output?offset=${offset}&waitMs=${waitMs}&encoding=base64`, undefined, signal);
  }

  /** `key`: the same for every attempt at sending this input, so that a retry of one that had arrived is applied once. */
  input(id: string, data: string, key?: string, signal?: AbortSignal): Promise<unknown> {
    return this.request('POST', `/api/runs/${encodeURIComponent(id)}/input`, { data }, signal, key === undefined ? {} : { 'idempotency-key': key });
  }

  resize(id: string, cols: number, rows: number): Promise<unknown> {
    return this.request('POST', `/api/runs/${encodeURIComponent(id)}/resize`, { cols, rows });
  }

  kill(id: string, signal?: AbortSignal): Promise<unknown> {
    return this.request('POST', `/api/runs/${encodeURIComponent(id)}/kill`, undefined, signal);
  }

  runtimes(): Promise<Runtime[]> {
    return this.request('GET', '/api/runtimes');
  }

  execute(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.request('POST', '/api/execute', body);
  }
}
