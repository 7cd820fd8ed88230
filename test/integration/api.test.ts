/** Bad input gets a clear 4xx naming the field, never a crash; and the seed's protocol at POST /. */
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ executors: 2 });
});
afterAll(() => t?.stop());

const UNKNOWN_ID = 'A'.repeat(24);

describe.each<[string, string, string, unknown, number, RegExp]>([
  ['malformed JSON', 'POST', '/api/runs', '{"code": ', 400, /body: malformed JSON/],
  ['empty body', 'POST', '/api/runs', '', 400, /body/],
  ['a JSON array', 'POST', '/api/runs', [], 400, /body: expected a JSON object/],
  ['missing code', 'POST', '/api/runs', {}, 400, /code: is required/],
  ['code of the wrong type', 'POST', '/api/runs', { code: 42 }, 400, /code: expected a string/],
  ['code over 64 KiB', 'POST', '/api/runs', { code: 'x'.repeat(64 * 1024 + 1) }, 413, /code: larger than/],
  ['unknown language', 'POST', '/api/runs', { code: '1', language: 'cobol' }, 400, /language: unknown language "cobol"/],
  ['language of the wrong type', 'POST', '/api/runs', { code: '1', language: 3 }, 400, /language: expected a string/],
  ['args not an array', 'POST', '/api/runs', { code: '1', args: 'a' }, 400, /args: expected an array/],
  ['an arg not a string', 'POST', '/api/runs', { code: '1', args: ['a', 2] }, 400, /args\[1\]: expected a string/],
  ['limits not an object', 'POST', '/api/runs', { code: '1', limits: 5 }, 400, /limits: expected an object/],
  ['a limit of the wrong type', 'POST', '/api/runs', { code: '1', limits: { timeoutMs: 'soon' } }, 400, /limits.timeoutMs: expected an integer/],
  ['a negative limit', 'POST', '/api/runs', { code: '1', limits: { outputBytes: -1 } }, 400, /limits.outputBytes: must be at least/],
  ['an unknown limit', 'POST', '/api/runs', { code: '1', limits: { gpus: 1 } }, 400, /limits.gpus: unknown limit/],
  ['a body over the request cap', 'POST', '/api/runs', 'x'.repeat(300 * 1024), 413, /body: larger than/],
  ['input without data', 'POST', `/api/runs/${UNKNOWN_ID}/input`, {}, 400, /data: is required/],
  ['an unknown field', 'POST', '/api/runs', { lang: 'bash', code: 'echo hi' }, 400, /^lang: unknown field/],
  ['an unknown input field', 'POST', `/api/runs/${UNKNOWN_ID}/input`, { data: 'x', eof: true }, 400, /^eof: unknown field/],
  ['an unknown resize field', 'POST', `/api/runs/${UNKNOWN_ID}/resize`, { cols: 80, rows: 24, width: 1 }, 400, /^width: unknown field/],
  ['resize with cols of the wrong type', 'POST', `/api/runs/${UNKNOWN_ID}/resize`, { cols: 'a' }, 400, /^cols: expected an integer/],
  ['unknown run: output', 'GET', `/api/runs/${UNKNOWN_ID}/output`, undefined, 404, /run not found/],
  ['unknown run: info', 'GET', `/api/runs/${UNKNOWN_ID}`, undefined, 404, /run not found/],
  ['unknown run: kill', 'POST', `/api/runs/${UNKNOWN_ID}/kill`, undefined, 404, /run not found/],
  ['malformed id', 'GET', '/api/runs/..%2F..%2Fetc%2Fpasswd/output', undefined, 404, /run not found/],
  ['short id', 'GET', '/api/runs/abc', undefined, 404, /run not found/],
  ['bad offset', 'GET', `/api/runs/${UNKNOWN_ID}/output?offset=-3`, undefined, 400, /offset: expected a non-negative integer/],
  ['bad encoding', 'GET', `/api/runs/${UNKNOWN_ID}/output?encoding=latin1`, undefined, 400, /encoding: expected utf8 or base64/],
  ['unknown route', 'GET', '/api/nothing', undefined, 404, /route \/api\/nothing not found/],
  ['wrong method', 'DELETE', '/api/runs', undefined, 405, /method: DELETE/],
])('%s', (_name, method, path, body, status, message) => {
  test(`answers ${status} with a JSON error naming the field`, async () => {
    const res = await t.client.request(method, path, body);
    expect(res.status).toBe(status);
    expect(res.json.error.message).toMatch(message);
    expect(typeof res.json.error.code).toBe('string');
  });
});

test.each<[string, string, string]>([
  ['DELETE', '/api/runs', 'POST, OPTIONS'],
  ['GET', '/api/runs', 'POST, OPTIONS'],
  ['POST', '/api/health', 'GET, OPTIONS'],
  ['PUT', '/', 'GET, HEAD, POST, OPTIONS'],
  ['POST', '/index.html', 'GET, HEAD, OPTIONS'],
  ['POST', `/api/runs/${UNKNOWN_ID}`, 'GET, OPTIONS'],
  ['GET', `/api/runs/${UNKNOWN_ID}/kill`, 'POST, OPTIONS'],
  ['PATCH', `/api/runs/${UNKNOWN_ID}/resize`, 'POST, OPTIONS'],
])('%s %s: 405 with allow: %s', async (method, path, allow) => {
  const res = await t.client.request(method, path);
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe(allow);
  expect(res.json.error).toEqual({ code: 'method_not_allowed', message: expect.stringContaining(`method: ${method} is not allowed on ${path}`) });
});

test('malformed ids are answered without touching storage', async () => {
  const res = await t.client.request('GET', '/api/runs/' + encodeURIComponent('../code/manifests') + '/output');
  expect(res.status).toBe(404);
});

test('run ids are 24 URL-safe characters (144 random bits) and distinct', async () => {
  const ids = await Promise.all(Array.from({ length: 5 }, () => t.client.start('pass')));
  for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
  expect(new Set(ids).size).toBe(5);
  await Promise.all(ids.map((id) => t.client.finish(id)));
});

test('the platform still works after all that bad input', async () => {
  expect((await t.client.run("print('still fine')")).output).toBe('still fine\r\n');
});

describe("the seed's protocol at POST /", () => {
  test('run, output and input, with its response shape', async () => {
    const run = await t.client.request('POST', '/', { type: 'run', code: "x = input('name: ')\nprint('hi', x)" });
    expect(run.status).toBe(200);
    expect(run.json.ResponseId).toMatch(/^[0-9a-f-]{36}$/);
    const id = run.json.Response.result as string;
    await t.client.readUntil(id, (s) => s.includes('name: '));
    const input = await t.client.request('POST', '/', { type: 'input', id, input: 'seed' });
    expect(input.json.Response.result).toBe('ok');
    await t.client.finish(id);
    const output = await t.client.request('POST', '/', { type: 'output', id });
    expect(output.json.Response.result).toBe('name: seed\r\nhi seed\r\n');
  });

  test('the first, blocking form {code, input} returns the whole output, through pipes as the seed had it', async () => {
    const res = await t.client.request('POST', '/', { code: "tempInput = input('please input: ')\nprint('Output: ', tempInput)", input: 'blocking\n' });
    expect(res.status).toBe(200);
    // No terminal: no echo of the input, no \r\n, stderr merged into stdout.
    expect(res.json.Response.result).toBe('please input: Output:  blocking\n');
  });

  test('the blocking form closes stdin after the input, so reading to end of file ends', async () => {
    const res = await t.client.request('POST', '/', { code: 'import sys\nprint(sum(int(x) for x in sys.stdin.read().split()), flush=True)\nprint("err", file=sys.stderr)', input: '1 2 3\n4\n' });
    expect(res.json.Response.result).toBe('10\nerr\n');
  });

  test('bad requests get the seed error shape', async () => {
    const res = await t.client.request('POST', '/', { type: 'dance' });
    expect(res.status).toBe(400);
    expect(res.json.Error).toMatchObject({ Code: 'invalid_request' });
    expect(res.json.Error.Message).toMatch(/type/);
  });
});

describe('the page', () => {
  test.each(['/', '/index.html'])('GET %s serves a page that can run a program', async (route) => {
    const res = await fetch(t.client.baseUrl + route);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('id="run"');
    // The page's code is a hashed asset beside it; that is what talks to the API.
    const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/assets\//);
    // It is split into chunks (the judge panel loads later): the main script and the chunks it imports.
    const code = await (await fetch(t.client.baseUrl + script)).text();
    const chunks = [...code.matchAll(/from"\.\/(chunk-[\w-]+\.js)"/g)].map((m) => m[1]);
    const all = [code, ...(await Promise.all(chunks.map(async (c) => (await fetch(`${t.client.baseUrl}/assets/${c}`)).text())))].join('\n');
    expect(all).toContain('/api/runs');
  });
});
