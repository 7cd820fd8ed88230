/**
 * `npm run smoke`'s runner against a tiny in-test fake of the HTTP API (the real local platform is exercised by
 * the lead's integration test): every scenario passes against a correct API, and each property the scenarios check
 * fails when the API lacks it (streaming during a sleep, the token, the statuses).
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { parseSmokeArgs, runSmoke, SCENARIOS } from '../../cli/smoke';

interface FakeRun {
  id: string;
  out: string;
  state: 'queued' | 'running' | 'finished';
  result?: { status: string; exitCode: number | null; signal: string | null; wallMs: number };
  waiters: Set<() => void>;
  inputs: string[];
  inputWaiter?: (data: string) => void;
}

interface FakeOptions {
  token?: string;
  /** Hold "hello world" back until the sleep is over (an API that does not stream). */
  buffered?: boolean;
  /** Report this status for every run. */
  forceStatus?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startFake(options: FakeOptions = {}): Promise<{ url: string; runs: Map<string, FakeRun>; close(): Promise<void> }> {
  const runs = new Map<string, FakeRun>();
  let counter = 0;
  const changed = (run: FakeRun) => {
    for (const w of run.waiters) w();
    run.waiters.clear();
  };
  const emit = (run: FakeRun, text: string) => {
    run.out += text;
    changed(run);
  };
  const finish = (run: FakeRun, status: string, exitCode: number) => {
    run.state = 'finished';
    run.result = { status: options.forceStatus ?? status, exitCode, signal: null, wallMs: 42 };
    changed(run);
  };
  const nextInput = (run: FakeRun) =>
    new Promise<string>((resolve) => {
      if (run.inputs.length) resolve(run.inputs.shift() as string);
      else run.inputWaiter = resolve;
    });

  async function execute(run: FakeRun, code: string): Promise<void> {
    await sleep(20);
    run.state = 'running';
    changed(run);
    if (code.includes('time.sleep')) {
      if (!options.buffered) emit(run, 'hello world\r\n');
      await sleep(300);
      emit(run, `${options.buffered ? 'hello world\r\n' : ''}please: `);
      const data = await nextInput(run);
      emit(run, `${data.replace(/\n$/, '')}\r\nInput data:  ${data.trim()}\r\n`);
      finish(run, 'ok', 0);
    } else if (code.includes("input('please input: ')")) {
      emit(run, 'please input: ');
      const data = await nextInput(run);
      emit(run, `${data.replace(/\n$/, '')}\r\nOutput:  ${data.trim()}\r\n`);
      finish(run, 'ok', 0);
    } else if (code.includes("HELLO WORLD)")) {
      emit(run, `  File "/tmp/main.py", line 1\r\n    print('HELLO WORLD)\r\n          ^\r\nSyntaxError: unterminated string literal (detected at line 1)\r\n`);
      finish(run, 'runtime_error', 1);
    } else {
      emit(run, 'HELLO WORLD\r\n');
      finish(run, 'ok', 0);
    }
  }

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      send(401, { error: { code: 'unauthorized', message: 'bearer token required' } });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      let match: RegExpExecArray | null;
      if (req.method === 'POST' && url.pathname === '/api/runs') {
        if (body?.language !== 'python' || typeof body.code !== 'string') return send(400, { error: { code: 'bad_request' } });
        const id = `run${String(++counter).padStart(21, '0')}`;
        const run: FakeRun = { id, out: '', state: 'queued', waiters: new Set(), inputs: [] };
        runs.set(id, run);
        void execute(run, body.code);
        return send(201, { id });
      }
      if (req.method === 'POST' && (match = /^\/api\/runs\/([^/]+)\/input$/.exec(url.pathname))) {
        const run = runs.get(match[1]);
        if (!run) return send(404, { error: { code: 'not_found' } });
        if (run.inputWaiter) {
          const waiter = run.inputWaiter;
          run.inputWaiter = undefined;
          waiter(body.data);
        } else run.inputs.push(body.data);
        return send(202, {});
      }
      if (req.method === 'GET' && (match = /^\/api\/runs\/([^/]+)\/output$/.exec(url.pathname))) {
        const run = runs.get(match[1]);
        if (!run) return send(404, { error: { code: 'not_found' } });
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const waitMs = Math.min(Number(url.searchParams.get('waitMs') ?? 0), 25_000);
        const reply = () => {
          const data = run.out.slice(offset);
          send(200, { data, offset: offset + data.length, state: run.state, ...(run.result ? { result: run.result } : {}), eof: run.state === 'finished' });
        };
        if (run.out.length > offset || run.state === 'finished' || waitMs === 0) return reply();
        const timer = setTimeout(() => {
          run.waiters.delete(wake);
          reply();
        }, waitMs);
        const wake = () => {
          clearTimeout(timer);
          reply();
        };
        run.waiters.add(wake);
        return;
      }
      send(404, { error: { code: 'not_found' } });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        runs,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

test('the four seed scenarios pass against an API that behaves', async () => {
  const fake = await startFake();
  try {
    const lines: string[] = [];
    const results = await runSmoke(`${fake.url}/`, { log: (l) => lines.push(l), scenarioTimeoutMs: 10_000 });
    expect(results.map((r) => [r.name, r.ok, r.error])).toEqual(SCENARIOS.map((s) => [s.name, true, undefined]));
    expect(lines).toHaveLength(4);
    expect(results[2].output).toContain('Output:  hi');
    // The answers were sent after the prompts.
    expect([...fake.runs.values()].map((r) => r.out)).toEqual(expect.arrayContaining([expect.stringContaining('please input: hi\r\nOutput:  hi')]));
  } finally {
    await fake.close();
  }
});

test('output held back during the sleep fails the real-time scenario only', async () => {
  const fake = await startFake({ buffered: true });
  try {
    const results = await runSmoke(fake.url, { scenarioTimeoutMs: 10_000 });
    expect(results.filter((r) => !r.ok).map((r) => r.name)).toEqual(['real-time output during a sleep']);
    expect(results[3].error).toMatch(/held back/);
  } finally {
    await fake.close();
  }
});

test('wrong statuses fail the scenarios that check them', async () => {
  const fake = await startFake({ forceStatus: 'internal_error' });
  try {
    const results = await runSmoke(fake.url, { scenarioTimeoutMs: 10_000 });
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(results[0].error).toMatch(/status internal_error, expected ok/);
    expect(results[1].error).toMatch(/expected runtime_error/);
  } finally {
    await fake.close();
  }
});

test('a deployment that needs a token: refused without, passes with', async () => {
  const fake = await startFake({ token: 'the-token' });
  try {
    const without = await runSmoke(fake.url, { scenarioTimeoutMs: 5_000 });
    expect(without.every((r) => !r.ok && /HTTP 401.*--token/.test(r.error ?? ''))).toBe(true);
    const withToken = await runSmoke(fake.url, { token: 'the-token', scenarioTimeoutMs: 10_000 });
    expect(withToken.every((r) => r.ok)).toBe(true);
  } finally {
    await fake.close();
  }
});

test('an unreachable deployment fails every scenario instead of throwing', async () => {
  const results = await runSmoke('http://127.0.0.1:9', { scenarioTimeoutMs: 2_000 });
  expect(results).toHaveLength(4);
  expect(results.every((r) => !r.ok)).toBe(true);
});

test('command line: url, --token, POCKETRUN_API_TOKEN', async () => {
  expect(parseSmokeArgs(['https://x.fcapp.run'], {})).toEqual({ url: 'https://x.fcapp.run', token: undefined });
  expect(parseSmokeArgs(['https://x', '--token', 't'], {})).toEqual({ url: 'https://x', token: 't' });
  expect(parseSmokeArgs(['--token=t', 'https://x'], {})).toEqual({ url: 'https://x', token: 't' });
  expect(parseSmokeArgs(['https://x'], { POCKETRUN_API_TOKEN: 'env' })).toEqual({ url: 'https://x', token: 'env' });
  expect(() => parseSmokeArgs([], {})).toThrow(/usage/);
  expect(() => parseSmokeArgs(['https://x', '--verbose'], {})).toThrow(/unknown option/);
  await expect(runSmoke('not a url')).rejects.toThrow(/baseUrl/);
});
