/**
 * Every error the API answers, in the protocol of the caller who got it: the `/api` shape for `/api` routes, the
 * seed's `{Error: {Code, Message}, ResponseId}` at `POST /` (the token's 401 and internal errors included), with
 * and without a token. The API server runs in-process (createApi, as FC and the local platform build it) over
 * memory buckets: no executor is needed to be refused.
 */
import type { AddressInfo } from 'net';
import { MemoryStore } from '../../adapters/storage/memoryStore';
import type { ByteRange, GetResult } from '../../core/ports';
import { keys, type StatusDoc } from '../../core/protocol';
import { apiTokenSha256, createApi, type Api } from '../../handlers/api';
import WebSocket from 'ws';
import { ApiClient } from '../support/client';

/** A bucket whose reads fail as a storage outage would (a plain Error, not a StoreError). */
class FlakyStore extends MemoryStore {
  failing = false;
  override async get(key: string, range?: ByteRange): Promise<GetResult> {
    if (this.failing) throw new Error('storage is on fire');
    return super.get(key, range);
  }
}

const TOKEN = 'errors-token-0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = 'A'.repeat(24);

interface Server {
  api: Api;
  runs: FlakyStore;
  client: ApiClient;
  logged: Array<Record<string, unknown>>;
}

async function start(token?: string): Promise<Server> {
  const code = new MemoryStore({ bucket: 'code' });
  const runs = new FlakyStore({ bucket: 'runs' });
  const logged: Array<Record<string, unknown>> = [];
  const api = createApi({ code, runs, refreshCredentials: () => undefined }, token ? { API_TOKEN_SHA256: apiTokenSha256(token) } : {}, { log: (r) => logged.push(r) });
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  const { port } = api.server.address() as AddressInfo;
  return { api, runs, client: new ApiClient(`http://127.0.0.1:${port}`, token), logged };
}

let open: Server;
let guarded: Server;
beforeAll(async () => {
  [open, guarded] = await Promise.all([start(), start(TOKEN)]);
});
afterAll(async () => {
  for (const s of [open, guarded]) await new Promise((resolve) => s?.api.server.close(resolve));
});

/** A run the service knows and that has finished (no executor here: its status is written as one would). */
async function finishedRun(s: Server): Promise<string> {
  const id = (await s.client.request('POST', '/api/runs', { code: 'pass' })).json.id as string;
  const now = new Date().toISOString();
  const status: StatusDoc = { id, state: 'finished', executor: 'test', startedAt: now, heartbeatAt: now, finishedAt: now, result: { status: 'ok', exitCode: 0, signal: null, wallMs: 1 } };
  await s.runs.put(keys.status(id), JSON.stringify(status));
  return id;
}

function expectSeedError(res: { status: number; json: any }, status: number, code: string, message: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ Error: { Code: code, Message: expect.stringMatching(message) }, ResponseId: expect.stringMatching(UUID) });
}

function expectApiError(res: { status: number; json: any }, status: number, code: string, message: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ error: { code, message: expect.stringMatching(message) } });
}

describe("the seed's protocol: every error in the seed's shape", () => {
  test.each<[string, unknown, number, string, RegExp]>([
    ['an unknown type', { type: 'dance' }, 400, 'invalid_request', /^type: expected "run", "input" or "output"/],
    ['malformed JSON', '{"type": ', 400, 'invalid_request', /^body: malformed JSON/],
    ['not an object', [1], 400, 'invalid_request', /^body: expected a JSON object/],
    ['an unknown field (run)', { type: 'run', code: 'print(1)', lang: 'bash' }, 400, 'invalid_request', /^lang: unknown field/],
    ['an unknown field (blocking)', { code: 'print(1)', stdin: 'x' }, 400, 'invalid_request', /^stdin: unknown field/],
    ['input without input', { type: 'input', id: UNKNOWN_ID }, 400, 'invalid_request', /^input: is required/],
    ['input of the wrong type', { type: 'input', id: UNKNOWN_ID, input: 5 }, 400, 'invalid_request', /^input: expected a string/],
    ['blocking input of the wrong type', { code: '1', input: 5 }, 400, 'invalid_request', /^input: expected a string/],
    ['output without an id', { type: 'output' }, 400, 'invalid_request', /^id: expected a run id string/],
    ['code over 64 KiB', { type: 'run', code: 'x'.repeat(64 * 1024 + 1) }, 413, 'payload_too_large', /^code: larger than/],
    ['a body over the request cap', 'x'.repeat(300 * 1024), 413, 'payload_too_large', /^body: larger than/],
    ['output of an unknown run', { type: 'output', id: UNKNOWN_ID }, 404, 'not_found', /^run not found/],
    ['input to an unknown run', { type: 'input', id: UNKNOWN_ID, input: 'x' }, 404, 'not_found', /^run not found/],
  ])('%s', async (_name, body, status, code, message) => {
    expectSeedError(await open.client.request('POST', '/', body), status, code, message);
  });

  test('input to a finished run: 409', async () => {
    const id = await finishedRun(open);
    expectSeedError(await open.client.request('POST', '/', { type: 'input', id, input: 'x' }), 409, 'run_finished', /^id: the run has already finished/);
  });

  test('an internal error: 500, the cause only in the log, the request id in the message', async () => {
    const id = (await open.client.request('POST', '/', { type: 'run', code: 'pass' })).json.Response.result as string;
    open.runs.failing = true;
    try {
      const res = await open.client.request('POST', '/', { type: 'output', id }, { 'x-fc-request-id': 'req-seed-500' });
      expectSeedError(res, 500, 'internal_error', /^internal error; see the request id in the logs \(req-seed-500\)$/);
      expect(JSON.stringify(res.json)).not.toContain('fire');
    } finally {
      open.runs.failing = false;
    }
    expect(open.logged).toContainEqual(expect.objectContaining({ event: 'error', requestId: 'req-seed-500', route: 'seed', error: 'storage is on fire' }));
  });

  test.each<[string, Record<string, string>]>([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer wrong' }],
  ])('with a token configured, %s: 401 in the seed shape', async (_name, headers) => {
    const res = await new ApiClient(guarded.client.baseUrl).request('POST', '/', { type: 'run', code: 'print(1)' }, headers);
    expectSeedError(res, 401, 'unauthorized', /^authorization: a valid bearer token is required/);
  });

  test('with the token, the seed protocol answers', async () => {
    const res = await guarded.client.request('POST', '/', { type: 'run', code: 'print(1)' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ Response: { result: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/) }, ResponseId: expect.stringMatching(UUID) });
  });
});

describe('the /api routes: every error in the /api shape', () => {
  test.each(['input', 'kill', 'resize'])('%s on a finished run: 409', async (action) => {
    const id = await finishedRun(open);
    const body = action === 'input' ? { data: 'x' } : action === 'resize' ? { cols: 80, rows: 24 } : undefined;
    expectApiError(await open.client.request('POST', `/api/runs/${id}/${action}`, body), 409, 'run_finished', /^id: the run has already finished/);
  });

  test('an internal error: 500 with the request id, the cause only in the log', async () => {
    open.runs.failing = true;
    try {
      const res = await open.client.request('GET', `/api/runs/${UNKNOWN_ID}/output`, undefined, { 'x-fc-request-id': 'req-api-500' });
      expect(res.status).toBe(500);
      expect(res.json).toEqual({ error: { code: 'internal_error', message: 'internal error; see the request id in the logs', requestId: 'req-api-500' } });
    } finally {
      open.runs.failing = false;
    }
  });

  test('with a token configured, /api without it: 401 in the /api shape; health and the page need none', async () => {
    const anonymous = new ApiClient(guarded.client.baseUrl);
    expectApiError(await anonymous.request('POST', '/api/runs', { code: '1' }), 401, 'unauthorized', /^authorization:/);
    expect((await anonymous.request('GET', '/api/health')).status).toBe(200);
    expect((await fetch(`${guarded.client.baseUrl}/`)).status).toBe(200);
  });

  test('a path with no route, or a method the path does not take, is /api-shaped even at /', async () => {
    expectApiError(await open.client.request('PUT', '/', { type: 'run', code: '1' }), 405, 'method_not_allowed', /^method: PUT/);
    expectApiError(await open.client.request('POST', '/seed', { type: 'run', code: '1' }), 404, 'not_found', /^route \/seed not found/);
  });
});

describe("Piston's WebSocket upgrade (handlers/piston/pistonSocket.ts) is guarded like the Piston routes", () => {
  const upgrade = (s: Server, headers: Record<string, string> = {}) => {
    const { port } = s.api.server.address() as AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v2/connect`, { headers });
    return new Promise<{ status: number; body: string } | { opened: true; close: number }>((resolve) => {
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => ws.on('close', (code) => resolve({ opened: true, close: code })));
    });
  };

  test('without the token: 401 in Piston\'s shape, before any socket exists', async () => {
    const r = await upgrade(guarded);
    expect(r).toEqual({ status: 401, body: expect.any(String) });
    expect(JSON.parse((r as { body: string }).body)).toEqual({ message: expect.stringMatching(/^authorization: /) });
  });

  test('with it: the socket opens (and, sent no init, is closed 4001 as Piston does)', async () => {
    expect(await upgrade(guarded, { authorization: `Bearer ${TOKEN}` })).toEqual({ opened: true, close: 4001 });
  });
});
