/**
 * Smoke test of any pocketrun deployment: the seed's four scenarios over the public HTTP API.
 *
 *   npm run smoke -- <url> [--token T]        (or POCKETRUN_API_TOKEN=T)
 *   node dist/smoke/index.js <url> [--token T]
 *
 * Exit status 0 when every scenario passes, 1 otherwise. Uses only global fetch (Node 20).
 *
 * The API: POST /api/runs {language, code} → 201 {id}; POST /api/runs/:id/input {data} → 202;
 * GET /api/runs/:id/output?offset=N&waitMs=M → {data, offset, state, result?} (long poll up to waitMs).
 */
import type { OutputChunk } from '../core/runService';

export interface SmokeResult {
  name: string;
  ok: boolean;
  /** Wall time of the scenario, ms. */
  ms: number;
  /** Why it failed. */
  error?: string;
  /** The run's id and terminal output, for diagnosis. */
  runId?: string;
  output?: string;
}

export interface SmokeOptions {
  /** Bearer token, when the deployment requires one. */
  token?: string;
  /** Progress lines; default: none. */
  log?: (line: string) => void;
  /** Per-scenario limit; default 90 s (a cold start of both functions included). */
  scenarioTimeoutMs?: number;
  /** Long-poll wait per output request; default 10 s. */
  pollWaitMs?: number;
}

class SmokeFailure extends Error {}

class Client {
  constructor(
    private readonly base: string,
    private readonly token: string | undefined,
    private readonly pollWaitMs: number,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new SmokeFailure(`${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, json, text };
  }

  private expectStatus(what: string, got: { status: number; text: string }, want: number): void {
    if (got.status === want) return;
    const hint = got.status === 401 || got.status === 403 ? ' (does the deployment need --token?)' : '';
    throw new SmokeFailure(`${what}: HTTP ${got.status}, expected ${want}${hint}: ${got.text.slice(0, 300)}`);
  }

  async create(code: string): Promise<string> {
    const res = await this.call('POST', '/api/runs', { language: 'python', code });
    this.expectStatus('create run', res, 201);
    if (typeof res.json?.id !== 'string') throw new SmokeFailure(`create run: no id in ${res.text.slice(0, 200)}`);
    return res.json.id;
  }

  async input(id: string, data: string): Promise<void> {
    this.expectStatus('send input', await this.call('POST', `/api/runs/${encodeURIComponent(id)}/input`, { data }), 202);
  }

  async output(id: string, offset: number): Promise<OutputChunk> {
    const res = await this.call('GET', `/api/runs/${encodeURIComponent(id)}/output?offset=${offset}&waitMs=${this.pollWaitMs}`);
    this.expectStatus('read output', res, 200);
    const chunk = res.json as OutputChunk | null;
    if (!chunk || typeof chunk.data !== 'string' || typeof chunk.offset !== 'number' || typeof chunk.state !== 'string') {
      throw new SmokeFailure(`read output: unexpected body ${res.text.slice(0, 200)}`);
    }
    return chunk;
  }
}

/** One run followed from its start: the text so far, where to read next, and what the API last said. */
class Follower {
  text = '';
  offset = 0;
  state: OutputChunk['state'] = 'queued';
  result?: OutputChunk['result'];

  constructor(
    private readonly client: Client,
    readonly id: string,
    private readonly deadline: number,
  ) {}

  private async step(): Promise<void> {
    if (Date.now() > this.deadline) {
      throw new SmokeFailure(`timed out in state ${this.state}; output so far: ${JSON.stringify(this.text.slice(-300))}`);
    }
    const chunk = await this.client.output(this.id, this.offset);
    this.text += chunk.data;
    this.offset = chunk.offset;
    this.state = chunk.state;
    this.result = chunk.result;
  }

  /** Reads until `predicate(text)` holds; returns the state at the moment it first held. */
  async until(predicate: (text: string) => boolean, what: string): Promise<OutputChunk['state']> {
    for (;;) {
      if (predicate(this.text)) return this.state;
      if (this.state === 'finished') throw new SmokeFailure(`finished without ${what}; output: ${JSON.stringify(this.text.slice(-300))}`);
      await this.step();
    }
  }

  async finish(): Promise<NonNullable<OutputChunk['result']>> {
    while (this.state !== 'finished') await this.step();
    // A finished state seen first guarantees the output read after it is complete: drain it.
    for (;;) {
      const before = this.offset;
      const chunk = await this.client.output(this.id, this.offset);
      this.text += chunk.data;
      this.offset = chunk.offset;
      this.result = chunk.result ?? this.result;
      if (this.offset === before) break;
    }
    if (!this.result) throw new SmokeFailure('finished without a result');
    return this.result;
  }
}

interface Scenario {
  name: string;
  code: string;
  drive(run: Follower, client: Client): Promise<void>;
}

function expectContains(text: string, needle: string): void {
  if (!text.includes(needle)) throw new SmokeFailure(`output lacks ${JSON.stringify(needle)}: ${JSON.stringify(text.slice(-300))}`);
}

function expectStatus(result: { status: string }, status: string): void {
  if (result.status !== status) throw new SmokeFailure(`status ${result.status}, expected ${status}`);
}

/** The seed's scenarios. */
export const SCENARIOS: Scenario[] = [
  {
    name: 'hello world',
    code: "print('HELLO WORLD')",
    async drive(run) {
      const result = await run.finish();
      expectContains(run.text, 'HELLO WORLD');
      expectStatus(result, 'ok');
    },
  },
  {
    name: 'syntax error',
    code: "print('HELLO WORLD)",
    async drive(run) {
      const result = await run.finish();
      expectContains(run.text, 'SyntaxError');
      expectStatus(result, 'runtime_error');
    },
  },
  {
    name: 'input echo',
    code: "tempInput = input('please input: ')\nprint('Output: ', tempInput)",
    async drive(run, client) {
      const state = await run.until((t) => t.includes('please input: '), 'the prompt "please input: "');
      if (state !== 'running') throw new SmokeFailure(`the prompt arrived in state ${state}, expected running`);
      await client.input(run.id, 'hi\n');
      const result = await run.finish();
      expectContains(run.text, 'Output:  hi');
      expectStatus(result, 'ok');
    },
  },
  {
    name: 'real-time output during a sleep',
    code: 'import time\nprint("hello world")\ntime.sleep(3)\ntempInput = input("please: ")\nprint("Input data: ", tempInput)',
    async drive(run, client) {
      const state = await run.until((t) => t.includes('hello world'), '"hello world"');
      if (state !== 'running') throw new SmokeFailure(`"hello world" arrived in state ${state}: output is not streamed while the program runs`);
      if (run.text.includes('please: ')) throw new SmokeFailure('"hello world" arrived together with the prompt: output was held back during the sleep');
      await run.until((t) => t.includes('please: '), 'the prompt "please: "');
      await client.input(run.id, 'hi\n');
      const result = await run.finish();
      expectContains(run.text, 'Input data:  hi');
      expectStatus(result, 'ok');
    },
  },
];

/** Runs every scenario against `baseUrl` (the API's base URL, e.g. the stack output `apiUrl`), one after another. */
export async function runSmoke(baseUrl: string, options: SmokeOptions = {}): Promise<SmokeResult[]> {
  let base: string;
  try {
    base = new URL(baseUrl).toString().replace(/\/+$/, '');
  } catch {
    throw new Error(`runSmoke: baseUrl: not a URL: ${JSON.stringify(baseUrl)}`);
  }
  const log = options.log ?? (() => undefined);
  const client = new Client(base, options.token, options.pollWaitMs ?? 10_000);
  const results: SmokeResult[] = [];
  for (const scenario of SCENARIOS) {
    const started = Date.now();
    let run: Follower | undefined;
    try {
      const id = await client.create(scenario.code);
      run = new Follower(client, id, started + (options.scenarioTimeoutMs ?? 90_000));
      await scenario.drive(run, client);
      results.push({ name: scenario.name, ok: true, ms: Date.now() - started, runId: id, output: run.text });
      log(`ok    ${scenario.name} (${Date.now() - started} ms)`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results.push({ name: scenario.name, ok: false, ms: Date.now() - started, error: message, runId: run?.id, output: run?.text });
      log(`FAIL  ${scenario.name} (${Date.now() - started} ms): ${message}${run ? ` [run ${run.id}]` : ''}`);
    }
  }
  return results;
}

/** `<url> [--token T]`; the token may also come from POCKETRUN_API_TOKEN. */
export function parseSmokeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): { url: string; token?: string } {
  let url: string | undefined;
  let token = env.POCKETRUN_API_TOKEN || undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--token') {
      token = argv[++i];
      if (!token) throw new Error('--token: needs a value');
    } else if (arg.startsWith('--token=')) {
      token = arg.slice('--token='.length);
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}`);
    } else if (url === undefined) {
      url = arg;
    } else {
      throw new Error(`unexpected argument ${arg}`);
    }
  }
  if (!url) throw new Error('usage: smoke <url> [--token T]   (the API base URL, e.g. pulumi stack output apiUrl)');
  return { url, token };
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  let args: { url: string; token?: string };
  try {
    args = parseSmokeArgs(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  process.stdout.write(`smoke test of ${args.url}\n`);
  const results = await runSmoke(args.url, { token: args.token, log: (line) => process.stdout.write(`${line}\n`) });
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(failed === 0 ? `all ${results.length} scenarios passed\n` : `${failed} of ${results.length} scenarios failed\n`);
  return failed === 0 ? 0 : 1;
}

if (typeof require !== 'undefined' && require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
