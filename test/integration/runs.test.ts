/** Limits, kill, input ordering and byte-exact output over HTTP on the local platform. */
import * as fs from 'fs';
import * as path from 'path';
import { keys } from '../../core/protocol';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ executors: 2, handlerEnv: { RUN_TIMEOUT_MAX_MS: '20000' } });
});
afterAll(() => t?.stop());

test('an infinite loop is stopped by its timeout', async () => {
  const started = Date.now();
  const { result } = await t.client.run('while True:\n    pass', { limits: { timeoutMs: 1500 } });
  expect(result.status).toBe('timeout');
  expect(result.signal).toBe('SIGKILL');
  expect(result.wallMs).toBeGreaterThanOrEqual(1500);
  expect(Date.now() - started).toBeLessThan(15_000);
});

test('a timeout above the configured maximum is clamped to it, not taken as 60 000 s', async () => {
  const id = await t.client.start('import time\ntime.sleep(1)', { limits: { timeoutMs: 60_000_000 } });
  const manifest = JSON.parse(fs.readFileSync(path.join(t.dataDir, 'code', keys.manifest(id)), 'utf8'));
  expect(manifest.limits.timeoutMs).toBe(20_000);
  expect((await t.client.finish(id)).result.status).toBe('ok');
});

test('kill stops a running program with status killed', async () => {
  const id = await t.client.start('import time\nprint("up", flush=True)\ntime.sleep(100)');
  await t.client.readUntil(id, (s) => s.includes('up'));
  expect(await t.client.kill(id)).toBe(202);
  const { result } = await t.client.finish(id);
  expect(result.status).toBe('killed');
  expect(result.wallMs).toBeLessThan(10_000);
});

test('an output flood stops at the cap with status output_limit', async () => {
  const { bytes, result } = await t.client.run("while True:\n    print('x' * 1000)", { limits: { outputBytes: 100_000 } });
  expect(result.status).toBe('output_limit');
  expect(bytes.length).toBe(100_000);
});

test('the default output cap is 1 MiB', async () => {
  const { bytes, result } = await t.client.run("import sys\nwhile True:\n    sys.stdout.write('y' * 65536)");
  expect(result.status).toBe('output_limit');
  expect(bytes.length).toBe(1024 * 1024);
});

test('two inputs sent back to back both arrive, in order', async () => {
  const id = await t.client.start("a = input('a? ')\nb = input('b? ')\nprint('got', a, b)");
  await t.client.readUntil(id, (s) => s.includes('a? '));
  const [first, second] = [t.client.input(id, 'one\n'), t.client.input(id, 'two\n')];
  expect(await first).toBe(202);
  expect(await second).toBe(202);
  const { output, result } = await t.client.finish(id);
  expect(output).toContain('got one two');
  expect(result.status).toBe('ok');
});

test('many inputs sent without waiting arrive complete and in order', async () => {
  const id = await t.client.start("import sys\nlines = [sys.stdin.readline().strip() for _ in range(20)]\nprint('|'.join(lines))");
  for (let i = 0; i < 20; i++) expect(await t.client.input(id, `line${i}\n`)).toBe(202);
  const { output } = await t.client.finish(id);
  expect(output).toContain(Array.from({ length: 20 }, (_, i) => `line${i}`).join('|'));
});

test('input sent again under its Idempotency-Key (a retry after a lost answer) reaches the program once', async () => {
  const id = await t.client.start("a = input('a? ')\nb = input('b? ')\nc = input('c? ')\nprint('got', repr(a), repr(b), repr(c))");
  await t.client.readUntil(id, (s) => s.includes('a? '));
  const send = (data: string, key: string) => t.client.request('POST', `/api/runs/${id}/input`, { data }, { 'idempotency-key': key });
  // A malformed key is refused before anything is written: the program never sees that line.
  const refused = await send('never\n', 'two words');
  expect(refused.status).toBe(400);
  expect(refused.json.error.message).toMatch(/^Idempotency-Key: /);
  expect((await send('one\n', 'cli-1')).status).toBe(202);
  expect((await send('one\n', 'cli-1')).status).toBe(202);
  // The same text under a key of its own is a line typed twice, and the draft's quoted form is the same key.
  expect((await send('one\n', '"cli-2"')).status).toBe(202);
  expect((await send('one\n', 'cli-2')).status).toBe(202);
  expect((await send('three\n', 'cli-3')).status).toBe(202);
  const { output, result } = await t.client.finish(id);
  expect(output).toContain("got 'one' 'one' 'three'");
  expect(result.status).toBe('ok');
});

test('a create sent again under its Idempotency-Key answers the same run, which runs once with its stdin once', async () => {
  const key = 'c0ffee00c0ffee00-create';
  const body = { code: "import sys\nprint(repr(sys.stdin.read()))", stdin: 'only once\n', tty: false };
  const first = await t.client.request('POST', '/api/runs', body, { 'idempotency-key': key });
  const again = await t.client.request('POST', '/api/runs', body, { 'idempotency-key': `"${key}"` });
  expect([first.status, again.status]).toEqual([201, 201]);
  expect(again.json.id).toBe(first.json.id);
  const { output, result } = await t.client.finish(first.json.id);
  expect(output).toBe("'only once\\n'\n");
  expect(result.status).toBe('ok');
  // After the end too: the same run, not a new one.
  expect((await t.client.request('POST', '/api/runs', body, { 'idempotency-key': key })).json.id).toBe(first.json.id);
  // Another request under the key is another run.
  const other = await t.client.request('POST', '/api/runs', { ...body, stdin: 'another\n' }, { 'idempotency-key': key });
  expect(other.json.id).not.toBe(first.json.id);
  expect((await t.client.finish(other.json.id)).output).toBe("'another\\n'\n");
  // A create's key names a run: one another client might pick too is refused, naming the header.
  const short = await t.client.request('POST', '/api/runs', body, { 'idempotency-key': 'run-1' });
  expect(short.status).toBe(400);
  expect(short.json.error.message).toMatch(/^Idempotency-Key: must be 16–100 characters/);
});

test("20 000 × '你好世界' arrives byte-exact, through utf8 reads that never split a character", async () => {
  const expected = '你好世界'.repeat(20_000) + '\r\n';
  const id = await t.client.start("print('你好世界' * 20000)");
  let text = '';
  let offset = 0;
  for (;;) {
    const chunk = await t.client.output(id, offset, 2_000);
    expect(chunk.data).not.toContain('\uFFFD');
    text += chunk.data;
    offset = chunk.offset;
    if (chunk.eof) break;
  }
  expect(text.length).toBe(expected.length);
  expect(text === expected).toBe(true);
  expect(offset).toBe(Buffer.byteLength(expected));
});

test('reads from an offset return only the new bytes and the next offset', async () => {
  const id = await t.client.start("print('abc')\nprint('défg')");
  const all = await t.client.finish(id);
  const from4 = await t.client.output(id, 5);
  expect(from4.data).toBe('défg\r\n');
  expect(from4.offset).toBe(all.bytes.length);
  const past = await t.client.output(id, all.bytes.length + 100);
  expect(past.data).toBe('');
  expect(past.eof).toBe(true);
});

test('a long poll is held until new output arrives, then returns at once', async () => {
  const id = await t.client.start('import time\ntime.sleep(1.5)\nprint("late")');
  const started = Date.now();
  let calls = 0;
  let heldMs = 0;
  let chunk;
  do {
    const t0 = Date.now();
    chunk = await t.client.output(id, 0, 20_000);
    heldMs = Date.now() - t0;
    calls++;
  } while (!chunk.data && !chunk.eof);
  expect(chunk.data).toContain('late');
  // queued → running ends one poll early; the next one is held through the sleep, not answered empty at once.
  expect(calls).toBeLessThanOrEqual(3);
  expect(heldMs).toBeGreaterThan(800);
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('GET /api/runs/:id reports language, state and result', async () => {
  const id = await t.client.start('print(1)');
  await t.client.finish(id);
  const { status, json } = await t.client.request('GET', `/api/runs/${id}`);
  expect(status).toBe(200);
  expect(json).toMatchObject({ id, language: 'python', state: 'finished', result: { status: 'ok', exitCode: 0 }, isolation: t.platform.isolation });
});

test('input to a finished run is refused with 409', async () => {
  const id = await t.client.start('print(1)');
  await t.client.finish(id);
  const { status, json } = await t.client.request('POST', `/api/runs/${id}/input`, { data: 'x' });
  expect(status).toBe(409);
  expect(json.error.code).toBe('run_finished');
});

test('javascript runs under the default limits, and a heap bomb ends as memory_limit', async () => {
  const hello = await t.client.run("console.log('hi from node')", { language: 'javascript' });
  expect(hello.output).toBe('hi from node\r\n');
  expect(hello.result.status).toBe('ok');
  const bomb = await t.client.run('const a = [];\nfor (;;) a.push(new Array(1e6).fill(1));', { language: 'javascript', limits: { memoryBytes: 64 * 1024 * 1024 } });
  expect(bomb.output).toMatch(/heap out of memory/);
  expect(bomb.result.status).toBe('memory_limit');
});

test('bash runs', async () => {
  const { output, result } = await t.client.run('read -p "name? " n\necho "hi $n"', { language: 'bash', stdin: 'sh\n' });
  expect(output).toContain('hi sh');
  expect(result.status).toBe('ok');
});

test('Ctrl-D sent as input at the start of a line ends the program’s stdin, as in a local terminal', async () => {
  const id = await t.client.start("import sys\nprint('ready', flush=True)\ndata = sys.stdin.read()\nprint('READ', len(data))");
  await t.client.readUntil(id, (s) => s.includes('ready'));
  await t.client.input(id, 'abc\n');
  await t.client.input(id, '\x04');
  const { output, result } = await t.client.finish(id);
  expect(output).toContain('READ 4');
  expect(result.status).toBe('ok');
});

test('a program killed by SIGFPE is reported as SIGFPE (perl, the run head, ignores FPE unless told)', async () => {
  const { result } = await t.client.run('import os, signal\nos.kill(os.getpid(), signal.SIGFPE)');
  expect(result).toMatchObject({ status: 'runtime_error', signal: 'SIGFPE', exitCode: null });
});

test('a multi-file Python program imports its own module from beside main.py', async () => {
  const { status, json } = await t.client.request('POST', '/api/execute', {
    language: 'python',
    code: 'import helper\nprint(helper.greet("files"))',
    files: [{ name: 'helper.py', content: 'def greet(who):\n    return "hello " + who\n' }],
  });
  expect(status).toBe(200);
  expect(json).toMatchObject({ status: 'ok', stdout: 'hello files\n' });
});
