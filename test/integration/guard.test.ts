/**
 * The API's guard (bearer token, CORS) and `npm run smoke` against a real local platform that requires a token,
 * as a contest stack does.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { runSmoke } from '../../cli/smoke';
import { ApiClient } from '../support/client';
import { ROOT, startTestPlatform, type TestPlatform } from '../support/platform';

const TOKEN = 'contest-token-0123456789abcdef0123456789';
const ORIGIN = 'https://contest.example.org';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ executors: 2, apiToken: TOKEN, corsOrigin: ORIGIN });
});
afterAll(() => t?.stop());

describe('bearer token', () => {
  test.each<[string, Record<string, string>]>([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer wrong' }],
    ['the token without the scheme', { authorization: TOKEN }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
  ])('%s: every /api call is 401', async (_name, headers) => {
    const anonymous = new ApiClient(t.platform.url);
    for (const [method, route, body] of [
      ['POST', '/api/runs', { code: 'print(1)' }],
      ['GET', `/api/runs/${'A'.repeat(24)}/output`, undefined],
      ['POST', `/api/runs/${'A'.repeat(24)}/input`, { data: 'x' }],
      ['POST', `/api/runs/${'A'.repeat(24)}/kill`, undefined],
      ['GET', `/api/runs/${'A'.repeat(24)}`, undefined],
    ] as const) {
      const res = await anonymous.request(method, route, body, headers);
      expect(res.status).toBe(401);
      expect(res.json.error.message).toMatch(/^authorization:/);
    }
  });

  test("the seed's protocol at POST / is guarded too", async () => {
    const res = await new ApiClient(t.platform.url).request('POST', '/', { type: 'run', code: 'print(1)' });
    expect(res.status).toBe(401);
    // In the seed's own error shape: its clients read `Error`, not `error`.
    expect(res.json).toEqual({ Error: { Code: 'unauthorized', Message: expect.stringMatching(/^authorization:/) }, ResponseId: expect.any(String) });
  });

  test('with the token, runs work', async () => {
    expect((await t.client.run("print('authorized')")).output).toBe('authorized\r\n');
  });
});

describe('CORS', () => {
  test('the configured page origin is allowed, preflight included', async () => {
    const pre = await fetch(`${t.platform.url}/api/runs`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    // A browser client of another origin may key its requests (core/idempotencyKey.ts).
    expect(pre.headers.get('access-control-allow-headers')).toContain('idempotency-key');
  });

  test('any other origin gets no CORS headers', async () => {
    const res = await fetch(`${t.platform.url}/api/health`, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('npm run smoke', () => {
  test("runSmoke passes the seed's scenarios against the local platform", async () => {
    const results = await runSmoke(t.platform.url, { token: TOKEN });
    expect(results.map((r) => [r.name, r.ok, r.error])).toEqual(results.map((r) => [r.name, true, undefined]));
    expect(results).toHaveLength(4);
  }, 60_000);

  test('the CLI bundle exits 0 with the token and 1 without it', async () => {
    const cli = path.join(ROOT, 'dist/smoke/index.js');
    const ok = await promisify(execFile)(process.execPath, [cli, t.platform.url, '--token', TOKEN]);
    expect(ok.stdout).toContain('all 4 scenarios passed');
    await expect(promisify(execFile)(process.execPath, [cli, t.platform.url])).rejects.toMatchObject({ code: 1 });
  }, 90_000);
});
