/** A small HTTP client for the pocketrun API, as an integrator would write it (global fetch, real HTTP). */
import type { RunResult } from '../../core/protocol';
import type { OutputChunk } from '../../core/runService';

export type { OutputChunk };

export interface Finished {
  output: string;
  bytes: Buffer;
  result: RunResult;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { raw: text };
    }
    return { status: res.status, json, headers: res.headers };
  }

  async start(code: string, extra: Record<string, unknown> = {}): Promise<string> {
    const { status, json } = await this.request('POST', '/api/runs', { code, ...extra });
    if (status !== 201) throw new Error(`create run: HTTP ${status} ${JSON.stringify(json)}`);
    return json.id as string;
  }

  async output(id: string, offset: number, waitMs = 0, encoding: 'utf8' | 'base64' = 'utf8'): Promise<OutputChunk> {
    const { status, json } = await this.request('GET', `/api/runs/${id}/output?offset=${offset}&waitMs=${waitMs}&encoding=${encoding}`);
    if (status !== 200) throw new Error(`output: HTTP ${status} ${JSON.stringify(json)}`);
    return json as OutputChunk;
  }

  async input(id: string, data: string): Promise<number> {
    return (await this.request('POST', `/api/runs/${id}/input`, { data })).status;
  }

  async kill(id: string): Promise<number> {
    return (await this.request('POST', `/api/runs/${id}/kill`)).status;
  }

  /** Reads (long polling) until `predicate(text so far)` holds; returns the text and the last state seen. */
  async readUntil(id: string, predicate: (text: string) => boolean, timeoutMs = 20_000): Promise<{ text: string; state: string; offset: number }> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    let offset = 0;
    let state = 'queued';
    while (!predicate(text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting; output so far: ${JSON.stringify(text)} (state ${state})`);
      const chunk = await this.output(id, offset, 2_000);
      text += chunk.data;
      offset = chunk.offset;
      state = chunk.state;
      if (chunk.eof && !predicate(text)) throw new Error(`run finished without the expected output: ${JSON.stringify(text)} ${JSON.stringify(chunk.result)}`);
    }
    return { text, state, offset };
  }

  /** Reads everything (as raw bytes) until the run finishes. */
  async finish(id: string, timeoutMs = 60_000): Promise<Finished> {
    const deadline = Date.now() + timeoutMs;
    const parts: Buffer[] = [];
    let offset = 0;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`run ${id} did not finish in ${timeoutMs} ms`);
      const chunk = await this.output(id, offset, 5_000, 'base64');
      parts.push(Buffer.from(chunk.data, 'base64'));
      offset = chunk.offset;
      if (chunk.eof) {
        const bytes = Buffer.concat(parts);
        return { bytes, output: bytes.toString('utf8'), result: chunk.result! };
      }
    }
  }

  async run(code: string, extra: Record<string, unknown> = {}): Promise<Finished> {
    return this.finish(await this.start(code, extra));
  }
}
