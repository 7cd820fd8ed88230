/** The bench's HTTP client of the run API: what a browser tab does, long polls included. */
import { now } from './stats';

export async function json(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json' } });
  const body = await res.json();
  if (res.status >= 400) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

export async function createRun(base: string, code: string): Promise<string> {
  return (await json(`${base}/api/runs`, { method: 'POST', body: JSON.stringify({ code }) })).id as string;
}

export function sendInput(base: string, id: string, data: string): Promise<unknown> {
  return json(`${base}/api/runs/${id}/input`, { method: 'POST', body: JSON.stringify({ data }) });
}

/** A long-polling reader of one run's output, as the page keeps one open. */
export class Watcher {
  text = '';
  offset = 0;
  state = 'queued';
  eof = false;

  constructor(
    private readonly base: string,
    readonly id: string,
  ) {}

  /** One long poll (held up to `waitMs`); returns the time the answer arrived. */
  async poll(waitMs = 10_000): Promise<number> {
    const chunk = await json(`${this.base}/api/runs/${this.id}/output?offset=${this.offset}&waitMs=${waitMs}`);
    this.text += chunk.data;
    this.offset = chunk.offset;
    this.state = chunk.state;
    this.eof = chunk.eof;
    return now();
  }

  /** Polls until `done(text)` holds; resolves the moment it was seen. */
  async until(done: (text: string, watcher: Watcher) => boolean, limitMs = 30_000): Promise<number> {
    const deadline = now() + limitMs;
    for (;;) {
      const at = await this.poll();
      if (done(this.text, this)) return at;
      if (this.eof || now() > deadline) throw new Error(`run ${this.id}: gave up waiting (state ${this.state}, output ${JSON.stringify(this.text.slice(-200))})`);
    }
  }

  /** Reads to the end of the run. */
  finish(limitMs = 60_000): Promise<number> {
    return this.until((_t, w) => w.eof, limitMs);
  }
}
