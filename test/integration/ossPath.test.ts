/**
 * The cloud path without the cloud: the very bundles FC runs, with STORE=oss, talking to OSS-speaking servers
 * (local/ossEmulator/fakeOssServer.ts, which checks every request's shape and signature) for the code and runs
 * buckets. The test plays FC: it starts both functions with STS credentials in their environment, and acts as the
 * OSS trigger by posting the object-created event to the executor's `POST /invoke` with fresh `x-fc-*` credential
 * headers, which the executor must use.
 */
import { stopChild } from '../support/stopChild';
import { spawn, type ChildProcess } from 'child_process';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import * as readline from 'readline';
import { keys, ossPutEvent } from '../../core/protocol';
import { claimUidBlock, type UidBlock } from '../../local/uidBlock';
import { ApiClient } from '../support/client';
import { FakeOssServer } from '../../local/ossEmulator/fakeOssServer';
import { ROOT } from '../support/platform';

const REGION = 'oss-cn-hangzhou';
const ENV_CREDENTIALS = { accessKeyId: 'STS.env-key', accessKeySecret: 'env-secret', stsToken: 'env-token' };
const HEADER_CREDENTIALS = { accessKeyId: 'STS.header-key', accessKeySecret: 'header-secret', stsToken: 'header-token' };

let code: FakeOssServer;
let runs: FakeOssServer;
let router: http.Server;
let endpoint: string;
let uids: UidBlock;
const children: ChildProcess[] = [];

/** One endpoint for both buckets, as OSS has: requests go to the fake named by the virtual-hosted Host header. */
function startRouter(): Promise<string> {
  router = http.createServer((req, res) => {
    const target = new URL((req.headers.host ?? '').startsWith('runs.') ? runs.url : code.url);
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => router.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(router.address() as AddressInfo).port}`)));
}

async function startFunction(name: 'api' | 'executor', extra: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', name, 'index.js')], {
    env: {
      PATH: '/usr/bin:/bin',
      PORT: '0',
      STORE: 'oss',
      OSS_REGION: REGION,
      OSS_ENDPOINT: endpoint,
      CODE_BUCKET: 'code',
      RUNS_BUCKET: 'runs',
      // FC 3.0 puts the role's STS credentials here.
      ALIBABA_CLOUD_ACCESS_KEY_ID: ENV_CREDENTIALS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: ENV_CREDENTIALS.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: ENV_CREDENTIALS.stsToken,
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`${name} exited with ${c}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const record = JSON.parse(line);
      if (record.event === 'listening') resolve(`http://127.0.0.1:${record.port}`);
    });
  });
}

let api: ApiClient;
let executorUrl: string;

beforeAll(async () => {
  code = await FakeOssServer.start({ bucket: 'code', credentials: [ENV_CREDENTIALS, HEADER_CREDENTIALS] });
  runs = await FakeOssServer.start({ bucket: 'runs', credentials: [ENV_CREDENTIALS, HEADER_CREDENTIALS] });
  endpoint = await startRouter();
  uids = claimUidBlock(1);
  api = new ApiClient(await startFunction('api', {}));
  executorUrl = await startFunction('executor', { SANDBOX_UID_BASE: String(uids.base), SANDBOX_UID_COUNT: '1' });
}, 30_000);

afterAll(async () => {
  await Promise.all(children.map((c) => stopChild(c)));
  uids?.release();
  router?.close();
  await code?.close();
  await runs?.close();
});

/** What OSS does when the manifest lands: an async invocation of the executor, here with fresh credentials. */
function trigger(id: string): Promise<{ status: number; fcStatus: string | null; body: any }> {
  return fetch(`${executorUrl}/invoke`, {
    method: 'POST',
    headers: {
      'x-fc-request-id': `req-${id}`,
      'x-fc-access-key-id': HEADER_CREDENTIALS.accessKeyId,
      'x-fc-access-key-secret': HEADER_CREDENTIALS.accessKeySecret,
      'x-fc-security-token': HEADER_CREDENTIALS.stsToken,
    },
    body: JSON.stringify(ossPutEvent('code', keys.manifest(id), 1, '"etag"', 'cn-hangzhou')),
  }).then(async (res) => ({ status: res.status, fcStatus: res.headers.get('x-fc-status'), body: await res.json() }));
}

test('an interactive run end to end over OSS: prompt, input, output, status; no request refused', async () => {
  const id = await api.start("name = input('please input: ')\nprint('Output: ', name)");
  expect(code.objects.has(keys.manifest(id))).toBe(true);
  const invocation = trigger(id);
  await api.readUntil(id, (s) => s.includes('please input: '));
  expect(await api.input(id, 'over oss\n')).toBe(202);
  const { output, result } = await api.finish(id);
  expect(output).toBe('please input: over oss\r\nOutput:  over oss\r\n');
  expect(result.status).toBe('ok');
  expect(await invocation).toEqual({ status: 200, fcStatus: '200', body: { outcomes: [{ runId: id, outcome: 'executed' }] } });

  // The executor switched to the credentials of the invocation's headers.
  const executorWrites = runs.requests.filter((r) => r.key === keys.output(id) && r.method === 'POST');
  expect(executorWrites.length).toBeGreaterThan(0);
  for (const r of executorWrites) {
    expect(r.headers.authorization).toMatch(new RegExp(`^OSS ${HEADER_CREDENTIALS.accessKeyId}:`));
    expect(r.headers['x-oss-security-token']).toBe(HEADER_CREDENTIALS.stsToken);
  }
  // Output was appended (POST ?append&position=N), never re-uploaded; control reads used standard ranges.
  expect(runs.requests.some((r) => r.key === keys.output(id) && r.method === 'PUT')).toBe(false);
  const controlReads = runs.requests.filter((r) => r.key === keys.control(id) && r.method === 'GET' && r.headers.range);
  expect(controlReads.length).toBeGreaterThan(0);
  for (const r of controlReads) expect(r.headers['x-oss-range-behavior']).toBe('standard');
  // The input was appended without a HEAD first (the API knew the run's control stream was empty).
  expect(runs.requests.filter((r) => r.key === keys.control(id) && r.method === 'HEAD')).toEqual([]);
  expect(runs.requests.filter((r) => r.key === keys.control(id) && r.method === 'POST').map((r) => [r.query.position, r.status])).toEqual([['0', 200]]);
  code.assertClean();
  runs.assertClean();
});

test('a redelivered event over OSS is a duplicate: the forbid-overwrite claim holds', async () => {
  const id = await api.start("print('once')");
  expect((await trigger(id)).body.outcomes[0].outcome).toBe('executed');
  expect((await trigger(id)).body.outcomes[0].outcome).toBe('duplicate');
  expect((await api.finish(id)).output).toBe('once\r\n');
  const claimPuts = runs.requests.filter((r) => r.key === keys.claim(id) && r.method === 'PUT');
  expect(claimPuts.map((r) => [r.headers['x-oss-forbid-overwrite'], r.status])).toEqual([
    ['true', 200],
    ['true', 409],
  ]);
  runs.assertClean();
});
