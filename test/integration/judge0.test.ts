/**
 * The Judge0 CE compatibility API (handlers/judge0) over HTTP on the real local platform: the Judge0 IDE's request
 * pattern (POST `base64_encoded=true&wait=false`, then polling every 100 ms while the status is 1 or 2), `wait=true`,
 * field types and status ids, batch, languages and statuses, and the bad requests Judge0 answers with 422 / 400.
 */
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitForRuntimes } from '../support/waitForRuntimes';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | null) => (s === null ? null : Buffer.from(s, 'base64').toString('utf8'));
/** As Ruby's Base64.encode64: a newline every 60 characters. */
const wrapped = (s: string) => b64(s).replace(/(.{60})/g, '$1\n') + '\n';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ executors: 2 });
  await waitForRuntimes(t.client);
});
afterAll(() => t?.stop());

/** The Judge0 IDE's way: submit without waiting, poll every 100 ms while In Queue or Processing. */
async function ideRun(submission: Record<string, unknown>): Promise<{ result: any; seen: number[] }> {
  const created = await t.client.request('POST', '/submissions?base64_encoded=true&wait=false', submission);
  expect(created.status).toBe(201);
  expect(Object.keys(created.json)).toEqual(['token']);
  const token = created.json.token as string;
  const seen: number[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await t.client.request('GET', `/submissions/${token}?base64_encoded=true&fields=*`);
    expect(got.status).toBe(200);
    seen.push(got.json.status.id);
    if (got.json.status.id > 2) return { result: got.json, seen };
    if (Date.now() > deadline) throw new Error('never finished');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the IDE pattern: base64 in and out, states 1/2 then Accepted with Judge0 field types', async () => {
  const { result, seen } = await ideRun({ source_code: wrapped('name = input()\nprint(f"héllo {name}")\n'), language_id: 71, stdin: b64('wörld\n') });
  expect(seen.slice(0, -1).every((id) => id === 1 || id === 2)).toBe(true);
  expect(result.status).toEqual({ id: 3, description: 'Accepted' });
  expect(result.status_id).toBe(3);
  expect(unb64(result.stdout)).toBe('héllo wörld\n');
  expect(result.stderr).toBeNull();
  expect(result.compile_output).toBeNull();
  expect(typeof result.time).toBe('string');
  expect(Number(result.time)).toBeGreaterThanOrEqual(0);
  expect(typeof result.wall_time).toBe('string');
  expect(Number.isInteger(result.memory)).toBe(true);
  expect(result.memory).toBeGreaterThan(0);
  expect(result.exit_code).toBe(0);
  expect(result.exit_signal).toBeNull();
  expect(result.language_id).toBe(71);
  expect(result.language.name).toMatch(/^Python \(\d+\.\d+/);
  expect(unb64(result.source_code)).toContain('input()');
  expect(unb64(result.stdin)).toBe('wörld\n');
});

test('wait=true: the default fields, and each status id', async () => {
  const run = async (s: Record<string, unknown>) => {
    const r = await t.client.request('POST', '/submissions?wait=true', s);
    expect(r.status).toBe(201);
    return r.json;
  };
  const ok = await run({ source_code: 'print(6*7)', language_id: 92, expected_output: '42' });
  expect(Object.keys(ok).sort()).toEqual(['compile_output', 'memory', 'message', 'status', 'stderr', 'stdout', 'time', 'token']);
  expect(ok.status.id).toBe(3);
  expect(ok.stdout).toBe('42\n');
  expect((await run({ source_code: 'print(41)', language_id: 71, expected_output: '42' })).status.id).toBe(4);
  expect((await run({ source_code: 'while True: pass', language_id: 71, cpu_time_limit: 0.5 })).status.id).toBe(5);
  const ce = await run({ source_code: 'int main( { return 0; }', language_id: 50 });
  expect(ce.status).toEqual({ id: 6, description: 'Compilation Error' });
  expect(ce.compile_output).toMatch(/error/);
  // Nothing ran: Judge0's isolate_job.rb leaves time, memory and message null on a compile error.
  expect(ce).toMatchObject({ time: null, memory: null, message: null, stdout: null, stderr: null });
  const ceAll = await t.client.request('GET', `/submissions/${ce.token}?fields=wall_time,exit_code,exit_signal`);
  expect(ceAll.json).toEqual({ wall_time: null, exit_code: null, exit_signal: null });
  const nzec = await run({ source_code: 'exit 3', language_id: 46, fields: undefined });
  expect(nzec.status.id).toBe(11);
  const all = await t.client.request('GET', `/submissions/${nzec.token}?fields=exit_code,exit_signal,status_id`);
  expect(all.json).toEqual({ exit_code: 3, exit_signal: null, status_id: 11 });
});

// Isolate's meta as Judge0's isolate_job.rb reads it (handlers/judge0/judge0Exit.ts): a signal's death is exit code 0
// (no `exitcode` line) beside its number; a time limit neither (isolate kills the box and says TO).
const exitCases: Array<[string, Record<string, unknown>, { status_id: number; exit_code: number; exit_signal: number | null }]> = [
  ['SIGSEGV, a C null dereference', { source_code: 'int main(void) { volatile int *p = 0; return *p; }', language_id: 50 }, { status_id: 7, exit_code: 0, exit_signal: 11 }],
  ['SIGSEGV sent to itself', { source_code: 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)', language_id: 71 }, { status_id: 7, exit_code: 0, exit_signal: 11 }],
  ['abort()', { source_code: 'import os\nos.abort()', language_id: 71 }, { status_id: 10, exit_code: 0, exit_signal: 6 }],
  ['SIGKILL sent to itself', { source_code: 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)', language_id: 71 }, { status_id: 12, exit_code: 0, exit_signal: 9 }],
  ['past its memory limit', { source_code: 'x = b"x" * (200 * 1024 * 1024)', language_id: 71, memory_limit: 65536 }, { status_id: 12, exit_code: 0, exit_signal: 9 }],
  ['stopped at its wall time', { source_code: 'import time\ntime.sleep(5)', language_id: 71, wall_time_limit: 0.5 }, { status_id: 5, exit_code: 0, exit_signal: null }],
  ['stopped at its CPU time', { source_code: 'while True: pass', language_id: 71, cpu_time_limit: 0.5 }, { status_id: 5, exit_code: 0, exit_signal: null }],
  ['a plain non-zero exit', { source_code: 'exit 3', language_id: 46 }, { status_id: 11, exit_code: 3, exit_signal: null }],
];

test.each(exitCases)('exit_code and exit_signal: %s', async (_name, submission, want) => {
  const r = await t.client.request('POST', '/submissions?wait=true&fields=status_id,exit_code,exit_signal', submission);
  expect(r.status).toBe(201);
  expect(r.json).toEqual(want);
});

const NOT_UTF8_ONE = 'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter';
const NOT_UTF8_BATCH = 'some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter';
const bytesOf = (s: string) => [...Buffer.from(s, 'base64')];

test('output that is not UTF-8: base64_encoded=true gives its exact bytes, without it the error Judge0 gives', async () => {
  const source = 'import sys\nsys.stdout.buffer.write(b"\\xff\\xfe\\n")\nsys.stderr.buffer.write(b"\\x80")';
  const coded = await t.client.request('POST', '/submissions?wait=true&base64_encoded=true&fields=stdout,stderr,status_id,token', { source_code: b64(source), language_id: 71 });
  expect(coded.status).toBe(201);
  expect(coded.json.status_id).toBe(3);
  expect(bytesOf(coded.json.stdout)).toEqual([0xff, 0xfe, 0x0a]);
  expect(bytesOf(coded.json.stderr)).toEqual([0x80]);
  // Judge0's `create` with wait: still 201, the error and the token.
  const plain = await t.client.request('POST', '/submissions?wait=true', { source_code: source, language_id: 71 });
  expect(plain.status).toBe(201);
  expect(plain.json).toEqual({ error: NOT_UTF8_ONE, token: expect.any(String) });
  const token = plain.json.token as string;
  expect(await t.client.request('GET', `/submissions/${token}`)).toMatchObject({ status: 400, json: { error: NOT_UTF8_ONE } });
  // Only the fields asked for count.
  expect(await t.client.request('GET', `/submissions/${token}?fields=status_id,time`)).toMatchObject({ status: 200, json: { status_id: 3 } });
  expect(bytesOf((await t.client.request('GET', `/submissions/${token}?base64_encoded=true&fields=stdout`)).json.stdout)).toEqual([0xff, 0xfe, 0x0a]);
  const batch = await t.client.request('GET', `/submissions/batch?tokens=${coded.json.token},${token}&fields=stdout`);
  expect(batch).toMatchObject({ status: 400, json: { error: NOT_UTF8_BATCH } });
  const batch64 = await t.client.request('GET', `/submissions/batch?tokens=${token}&base64_encoded=true&fields=stdout`);
  expect(batch64.status).toBe(200);
  expect(bytesOf(batch64.json.submissions[0].stdout)).toEqual([0xff, 0xfe, 0x0a]);
  // Text stays text: a UTF-8 answer has no trace of any of this.
  const utf8 = await t.client.request('POST', '/submissions?wait=true&fields=stdout', { source_code: 'print("héllo")', language_id: 71 });
  expect(utf8.json).toEqual({ stdout: 'héllo\n' });
});

test('stdin that is not UTF-8: with base64_encoded=true the program reads its exact bytes', async () => {
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]);
  const r = await t.client.request('POST', '/submissions?wait=true&base64_encoded=true&fields=stdout,status_id,stdin,token', {
    source_code: b64('import sys\nprint(sys.stdin.buffer.read().hex())'),
    language_id: 71,
    stdin: bytes.toString('base64'),
    expected_output: b64(bytes.toString('hex')),
  });
  expect(r.status).toBe(201);
  // The answer gives stdin back as sent; without base64 it cannot, as Judge0 says.
  expect(r.json).toEqual({ stdout: b64(`${bytes.toString('hex')}\n`), status_id: 3, stdin: bytes.toString('base64'), token: expect.any(String) });
  expect(await t.client.request('GET', `/submissions/${r.json.token}?fields=stdin`)).toMatchObject({ status: 400, json: { error: NOT_UTF8_ONE } });
});

test("the compiler's output that is not UTF-8: its bytes with base64, Judge0's error without", async () => {
  // gcc writes a #pragma message's bytes as they are.
  const source = '#pragma message "\\xff\\xfe"\nint main( {';
  const coded = await t.client.request('POST', '/submissions?wait=true&base64_encoded=true&fields=compile_output,status_id,token', { source_code: b64(source), language_id: 50 });
  expect(coded.json.status_id).toBe(6);
  expect(Buffer.from(coded.json.compile_output, 'base64').includes(Buffer.from([0xff, 0xfe]))).toBe(true);
  expect(await t.client.request('GET', `/submissions/${coded.json.token}?fields=compile_output`)).toMatchObject({ status: 400, json: { error: NOT_UTF8_ONE } });
});

test('arguments, stderr into stdout, JavaScript by its newer id, fields chosen', async () => {
  const r = await t.client.request('POST', '/submissions?wait=true&fields=stdout,stderr,exit_code', {
    source_code: 'console.log(process.argv.slice(2).join("|")); console.error("err")',
    language_id: 102,
    command_line_arguments: `a "b c" 'd'`,
    redirect_stderr_to_stdout: true,
  });
  expect(r.json).toEqual({ stdout: 'a|b c|d\nerr\n', stderr: null, exit_code: 0 });
});

test('limits sent as strings are taken, as Rails casts them; one below the minimum is raised to it', async () => {
  const r = await t.client.request('POST', '/submissions?wait=true&fields=status,cpu_time_limit,wall_time_limit,memory_limit,stdout', {
    source_code: 'print("ok")',
    language_id: '71',
    cpu_time_limit: '1.5',
    wall_time_limit: '4',
    memory_limit: '65536',
  });
  expect(r).toMatchObject({ status: 201, json: { status: { id: 3 }, stdout: 'ok\n', cpu_time_limit: '1.5', wall_time_limit: '4', memory_limit: 65536 } });
  const small = await t.client.request('POST', '/submissions?wait=true&fields=status,memory_limit', { source_code: 'print(1)', language_id: 71, memory_limit: '2048' });
  expect(small).toMatchObject({ status: 201, json: { status: { id: 3 }, memory_limit: 16384 } });
});

test('batch: create and read, an invalid item answered in place', async () => {
  const created = await t.client.request('POST', '/submissions/batch?base64_encoded=true', {
    submissions: [
      { source_code: b64('print(1)'), language_id: 71 },
      { source_code: b64('puts 2'), language_id: 72 },
      { source_code: b64('x'), language_id: 9999 },
    ],
  });
  expect(created.status).toBe(201);
  expect(created.json[0].token).toEqual(expect.any(String));
  expect(created.json[1].token).toEqual(expect.any(String));
  expect(created.json[2]).toEqual({ language_id: [expect.stringContaining("doesn't exist")] });
  const tokens = `${created.json[0].token},${created.json[1].token},${'A'.repeat(24)}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const got = await t.client.request('GET', `/submissions/batch?tokens=${tokens}&fields=token,stdout,status`);
    expect(got.status).toBe(200);
    const [a, b, missing] = got.json.submissions;
    expect(missing).toBeNull();
    if (a.status.id > 2 && b.status.id > 2) {
      expect(a).toMatchObject({ stdout: '1\n', status: { id: 3 } });
      expect(b).toMatchObject({ stdout: '2\n', status: { id: 3 } });
      break;
    }
    if (Date.now() > deadline) throw new Error('batch never finished');
    await new Promise((r) => setTimeout(r, 100));
  }
});

// As Judge0's submissions_controller.rb batch_create / batch_show answer them.
const NONE = 'there should be at least one submission in a batch';
const TOO_MANY = 'number of submissions in a batch should be less than or equal to 20';
const batchRefusals: Array<[string, 'POST' | 'GET', string, unknown, number, unknown]> = [
  ['POST without submissions', 'POST', '', {}, 400, { error: NONE }],
  ['POST an empty batch', 'POST', '', { submissions: [] }, 400, { error: NONE }],
  ['POST more than 20', 'POST', '', { submissions: Array(21).fill({ source_code: 'x', language_id: 71 }) }, 400, { error: TOO_MANY }],
  ['POST submissions that are no list', 'POST', '', { submissions: 'x' }, 400, { error: expect.stringMatching(/^submissions: /) }],
  [
    'POST no valid submission: 422, each item answered in place',
    'POST',
    '',
    { submissions: [{ source_code: 'x', language_id: 9999 }, 5, { language_id: 71 }] },
    422,
    [{ language_id: [expect.stringContaining("doesn't exist")] }, { 'submissions[1]': ['must be a JSON object'] }, { source_code: ["can't be blank"] }],
  ],
  ['GET without tokens', 'GET', '', undefined, 400, { error: NONE }],
  ['GET with blank tokens', 'GET', '?tokens=,', undefined, 400, { error: NONE }],
  ['GET more than 20 tokens', 'GET', `?tokens=${Array(21).fill('C'.repeat(24)).join(',')}`, undefined, 400, { error: TOO_MANY }],
];

test.each(batchRefusals)('batch: %s', async (_name, method, query, body, status, json) => {
  const r = await t.client.request(method, `/submissions/batch${query}`, body);
  expect(r.status).toBe(status);
  expect(r.json).toEqual(json);
});

test('languages, one language, statuses, about', async () => {
  const langs = await t.client.request('GET', '/languages');
  expect(langs.status).toBe(200);
  const ids = langs.json.map((l: any) => l.id);
  for (const id of [71, 63, 74, 50, 54, 62, 46, 60, 73, 72, 68, 64, 85, 92, 100, 93, 102, 94, 101, 103, 105, 91, 95]) expect(ids).toContain(id);
  const { json: runtimes } = await t.client.request('GET', '/api/runtimes');
  const python = runtimes.find((r: any) => r.language === 'python');
  expect(langs.json.find((l: any) => l.id === 71).name).toBe(`Python (${python.version})`);
  const one = await t.client.request('GET', '/languages/62');
  expect(one.json).toMatchObject({ id: 62, is_archived: false, source_file: 'Main.java' });
  expect((await t.client.request('GET', '/languages/9999')).status).toBe(404);
  const statuses = await t.client.request('GET', '/statuses');
  expect(statuses.json).toHaveLength(14);
  expect(statuses.json[13]).toEqual({ id: 14, description: 'Exec Format Error' });
  expect((await t.client.request('GET', '/about')).json.version).toEqual(expect.any(String));
});

test('config_info, languages/all and version: what the judge0-python SDK reads when a Client is made', async () => {
  const config = await t.client.request('GET', '/config_info');
  expect(config.status).toBe(200);
  expect(config.json).toMatchObject({ enable_wait_result: true, enable_batched_submissions: true, max_submission_batch_size: 20, enable_callbacks: false });
  // The maxima it states are the ones submissions are held to: at them is taken, past them refused.
  const post = (extra: Record<string, unknown>) => t.client.request('POST', '/submissions', { source_code: 'print(1)', language_id: 71, ...extra });
  const { max_cpu_time_limit: cpu, max_wall_time_limit: wall, max_memory_limit: memory } = config.json;
  expect((await post({ cpu_time_limit: cpu, wall_time_limit: wall, memory_limit: memory })).status).toBe(201);
  for (const [field, past] of [['cpu_time_limit', cpu + 0.5], ['wall_time_limit', wall + 0.5], ['memory_limit', memory + 1]] as const) {
    expect(await post({ [field]: past })).toMatchObject({ status: 422, json: { [field]: [expect.stringContaining('less than or equal')] } });
  }
  const all = await t.client.request('GET', '/languages/all');
  const langs = await t.client.request('GET', '/languages');
  expect(all.status).toBe(200);
  expect(all.json.map((l: any) => l.id).sort()).toEqual(langs.json.map((l: any) => l.id).sort());
  expect(all.json.every((l: any) => l.is_archived === false)).toBe(true);
  const names = all.json.map((l: any) => l.name);
  expect(names).toEqual([...names].sort());
  const version = await t.client.request('GET', '/version');
  expect(version.status).toBe(200);
  expect(version.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(version.json).toEqual({ raw: (await t.client.request('GET', '/about')).json.version });
});

test('bad requests as Judge0 answers them', async () => {
  const post = (body: unknown, q = '') => t.client.request('POST', `/submissions${q}`, body);
  expect(await post({ language_id: 71 })).toMatchObject({ status: 422, json: { source_code: ["can't be blank"] } });
  expect(await post({ source_code: 'x' })).toMatchObject({ status: 422, json: { language_id: ["can't be blank"] } });
  expect(await post({ source_code: 'x', language_id: 1 })).toMatchObject({ status: 422, json: { language_id: [expect.any(String)] } });
  expect(await post({ source_code: 'x', language_id: 71, cpu_time_limit: 999 })).toMatchObject({ status: 422, json: { cpu_time_limit: [expect.stringMatching(/less than or equal/)] } });
  expect(await post({ source_code: 'x', language_id: 71, memory_limit: -5 })).toMatchObject({ status: 422, json: { memory_limit: [expect.any(String)] } });
  expect(await post({ source_code: 'x', language_id: 71, callback_url: 'http://x' })).toMatchObject({ status: 422, json: { callback_url: [expect.any(String)] } });
  expect(await post({ source_code: '%%%', language_id: 71 }, '?base64_encoded=true')).toMatchObject({ status: 400, json: { error: expect.any(String) } });
  expect(await post({ source_code: 'x', language_id: 71 }, '?fields=nope')).toMatchObject({ status: 400, json: { error: expect.stringContaining('nope') } });
  expect(await post('not json')).toMatchObject({ status: 400, json: { error: expect.any(String) } });
  expect(await t.client.request('GET', `/submissions/${'B'.repeat(24)}`)).toMatchObject({ status: 404, json: { error: expect.any(String) } });
  // Unknown fields are dropped, as Rails' strong parameters do.
  expect((await post({ source_code: 'print(1)', language_id: 71, stack_limit: 64000, whatever: 1 })).status).toBe(201);
});
