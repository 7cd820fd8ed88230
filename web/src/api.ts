/**
 * The page's HTTP client for pocketrun's API: JSON in and out, the bearer token, and the two kinds of failure the
 * page treats differently: a refusal (the API answered 4xx with `{error: {code, message}}`, shown as it is) and a
 * transient failure (no answer, a cut answer, a gateway or server error), which callers may retry.
 */
// The wire types are the API's own (type-only imports: nothing of core is bundled into the page).
import type { ExecuteResult, TestResult } from '../../core/judge/executeResult';
import type { RunResult, RuntimeInfo } from '../../core/protocol';
import type { OutputChunk } from '../../core/runService';

/** The API refused the request; `message` is the API's own, naming the field. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRefusal';
  }
}

/** No usable answer: the network, a timeout, or a 5xx. Worth retrying. */
export class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientError';
  }
}

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export type { ExecuteResult, OutputChunk, RunResult };
/** One test's figures and streams in an answer of `POST /api/execute` (README, *Blocking execution*). */
export type TestVerdict = TestResult;

export type ExecuteRequest = { language: string; code: string } & ({ stdin?: string; expectedOutput?: string } | { tests: { stdin: string; expectedOutput?: string }[] });

/** A runtime as the page uses it: `GET /api/runtimes` gives all of RuntimeInfo, the page's fallback list (languages.ts) only the language. */
export type Runtime = Pick<RuntimeInfo, 'language'> & Partial<Pick<RuntimeInfo, 'version' | 'aliases' | 'compiled'>>;

export interface ApiOptions {
  /** Prefix of every path ('' for the page's own origin). */
  base?: string;
  getToken(): string;
  /**
   * Called on a 401: asks the person for a token (once at a time, however many requests were refused) and
   * resolves true when there is a new one to retry with.
   */
  askToken(): Promise<boolean>;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  body?: unknown;
  timeoutMs?: number;
  /** false for requests made on the page's own behalf (loading), which should not interrupt anyone. */
  askToken?: boolean;
  /** Abandons the request (a TransientError): e.g. a connection that went dead while the network changed. */
  signal?: AbortSignal;
  /** Headers of this request besides the content type and the token. */
  headers?: Record<string, string>;
}

function timeoutSignal(ms: number, outer?: AbortSignal): { signal: AbortSignal; timedOut(): boolean; done(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ms);
  const abort = () => controller.abort();
  outer?.addEventListener('abort', abort);
  if (outer?.aborted) abort();
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', abort);
    },
  };
}

export class Api {
  private asking: Promise<boolean> | null = null;

  constructor(private readonly options: ApiOptions) {}

  async request<T>(method: 'GET' | 'POST', path: string, options: RequestOptions = {}): Promise<T> {
    const { body, timeoutMs = 30_000, askToken = true } = options;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...options.headers };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const token = this.options.getToken();
      if (token) headers.authorization = `Bearer ${token}`;
      const timer = timeoutSignal(timeoutMs, options.signal);
      let res: Response;
      let text: string;
      try {
        res = await (this.options.fetch ?? fetch)((this.options.base ?? '') + path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: timer.signal,
          cache: 'no-store',
        });
        // Read the whole body inside the try: a connection cut mid-answer is a transient failure too.
        text = await res.text();
      } catch (err) {
        throw new TransientError(timer.timedOut() ? 'no answer in time' : timer.signal.aborted ? 'connection dropped' : 'network error');
      } finally {
        timer.done();
      }
      if (res.status === 401 && attempt === 0 && askToken) {
        this.asking ??= this.options.askToken().finally(() => (this.asking = null));
        if (await this.asking) continue;
      }
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (res.ok) {
        if (json === undefined && text !== '') throw new TransientError('an incomplete answer');
        return json as T;
      }
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      if (res.status >= 500 || res.status === 429 || (res.status === 408 && !error)) {
        throw new TransientError(error?.message ?? `the server answered ${res.status}`);
      }
      throw new ApiRefusal(res.status, error?.code ?? `http_${res.status}`, error?.message ?? `the server answered ${res.status}`);
    }
  }

  /** `key`: the same for every attempt at this create, so that the API answers each with the same run. */
  createRun(body: { language: string; code: string; cols: number; rows: number }, key: string): Promise<{ id: string }> {
    return this.request('POST', '/api/runs', { body, headers: { 'idempotency-key': key } });
  }

  output(id: string, offset: number, waitMs: number, signal?: AbortSignal): Promise<OutputChunk> {
    // base64: the bytes as the program wrote them; the terminal decodes UTF-8 as a stream.
    const path = `/api/runs/${encodeURIComponent(id)}/output?offset=${offset}&waitMs=${waitMs}&encoding=base64`;
    return this.request('GET', path, { timeoutMs: waitMs + 15_000, signal });
  }

  /** `key`: the same for every attempt at sending this piece, so a retry of one that had arrived is applied once. */
  input(id: string, data: string, key: string): Promise<unknown> {
    return this.request('POST', `/api/runs/${encodeURIComponent(id)}/input`, { body: { data }, headers: { 'idempotency-key': key } });
  }

  kill(id: string): Promise<unknown> {
    return this.request('POST', `/api/runs/${encodeURIComponent(id)}/kill`, { body: {} });
  }

  resize(id: string, cols: number, rows: number): Promise<unknown> {
    return this.request('POST', `/api/runs/${encodeURIComponent(id)}/resize`, { body: { cols, rows } });
  }

  /**
   * Judge mode: one blocking request. The API holds it for the request's own budget (at most 40 s) plus 15 s before
   * answering 504, so the page waits a little longer than that.
   */
  execute(body: ExecuteRequest): Promise<ExecuteResult> {
    return this.request('POST', '/api/execute', { body, timeoutMs: 70_000 });
  }

  /** The languages the server runs, or null when it does not say (no `GET /api/runtimes` yet: 404). */
  async runtimes(): Promise<Runtime[] | null> {
    try {
      const list = await this.request<unknown>('GET', '/api/runtimes', { timeoutMs: 10_000, askToken: false });
      if (!Array.isArray(list)) return null;
      return list.filter((r): r is Runtime => typeof r === 'object' && r !== null && typeof (r as Runtime).language === 'string');
    } catch {
      return null;
    }
  }
}
