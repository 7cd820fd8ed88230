/**
 * A Piston WebSocket session under the API's request time limit (API_TIMEOUT_MS, FC's timeout of the API function,
 * which cuts every connection still open at it without a word): on the real local platform, with a small limit, the
 * session ends on its own just before it, its run killed, and the client is told why (an `error` message, then 4002),
 * where before FC would have cut the connection silently. A session that finishes in time is untouched.
 */
import * as net from 'net';
import WebSocket from 'ws';
import { API_TIMEOUT_DEFAULT_MS, PISTON_SESSION_END_MARGIN_MS } from '../../core/limits';
import { readLocalSettings } from '../../local/settings';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitForRuntimes } from '../support/waitForRuntimes';

/** Small enough for a test, large enough for a run to start under load: the session ends 3 s after it opens. */
const API_TIMEOUT_MS = PISTON_SESSION_END_MARGIN_MS + 3_000;
const SESSION_MS = API_TIMEOUT_MS - PISTON_SESSION_END_MARGIN_MS;

let t: TestPlatform;
const logs: Array<Record<string, unknown>> = [];
beforeAll(async () => {
  t = await startTestPlatform({ executors: 2, apiTimeoutMs: API_TIMEOUT_MS, log: (record) => logs.push(record) });
  await waitForRuntimes(t.client);
}, 60_000);
afterAll(() => t?.stop());

type Message = { type: string; [key: string]: any };

function session(): { ws: WebSocket; messages: Message[]; opened: Promise<void>; closed: Promise<{ code: number; reason: string; at: number }> } {
  const ws = new WebSocket(t.platform.url.replace(/^http/, 'ws') + '/api/v2/connect');
  const messages: Message[] = [];
  ws.on('message', (raw) => messages.push(JSON.parse(raw.toString())));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
  return { ws, messages, opened, closed };
}

const init = (code: string) => JSON.stringify({ type: 'init', language: 'python', version: '*', files: [{ content: code }] });

test('a session still running at its limit: the run is killed, an error says why, then 4002, before the platform cuts it', async () => {
  const s = session();
  await s.opened;
  const opened = Date.now();
  // Waiting for input: neither the busy limit nor the run's 60 s wall limit would end it before the session's.
  s.ws.send(init("print('waiting', flush=True)\ninput()"));
  const closed = await s.closed;

  expect(closed).toMatchObject({ code: 4002, reason: 'Notified Error' });
  const error = s.messages.find((m) => m.type === 'error');
  expect(error?.message).toMatch(new RegExp(`^the session reached its time limit of ${SESSION_MS / 1000} s .*; the run was killed$`));
  expect(s.messages.map((m) => m.type)).toEqual(['runtime', 'stage', 'data', 'error']);
  expect(s.messages[2]).toEqual({ type: 'data', stream: 'stdout', data: 'waiting\n' });
  // The socket's own end, not the platform's cut at API_TIMEOUT_MS (which would close with 1006 and no message).
  expect(closed.at - opened).toBeGreaterThanOrEqual(SESSION_MS - 100);
  expect(closed.at - opened).toBeLessThan(API_TIMEOUT_MS);

  // The run did not go on computing after its client was told: it finishes as killed.
  const record = logs.find((r) => r.event === 'piston_socket' && r.status === 'session_limit');
  expect(record).toMatchObject({ sessionMs: SESSION_MS, runId: expect.any(String) });
  const finished = await t.client.finish(record!.runId as string, 20_000);
  expect(finished.result).toMatchObject({ status: 'killed' });
}, 30_000);

test('a session that ends before its limit is not touched by it', async () => {
  const s = session();
  await s.opened;
  s.ws.send(init("print('quick')"));
  const closed = await s.closed;
  expect(closed).toMatchObject({ code: 4999, reason: 'Job Completed' });
  expect(s.messages.some((m) => m.type === 'error')).toBe(false);
  // The timer was cleared with the session: nothing arrives after the close, and the socket stays closed.
  await new Promise((r) => setTimeout(r, SESSION_MS + 500));
  expect(s.messages.filter((m) => m.type === 'error')).toEqual([]);
}, 30_000);

test('the platform cuts a connection still open at API_TIMEOUT_MS, as FC does: a client that never answers the close', async () => {
  // A raw client that upgrades, then reads but never answers anything: the socket closes it (4001, no init), waits
  // for the close handshake that never comes (ws gives it 30 s), and the platform's cut ends the connection first.
  const { port } = new URL(t.platform.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const opened = Date.now();
  socket.write(
    'GET /api/v2/connect HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const lasted = Date.now() - opened;
  expect(received).toMatch(/^HTTP\/1\.1 101 /);
  // The close frame of 4001 (0x88, then the code 0x0fa1) came, and the connection ended at the platform's cut.
  expect(received).toContain('\x88');
  expect(lasted).toBeGreaterThanOrEqual(API_TIMEOUT_MS - 100);
  expect(lasted).toBeLessThan(API_TIMEOUT_MS + 5_000);
}, 30_000);

test('API_TIMEOUT_MS below what a session needs is refused before anything starts, naming it', () => {
  expect(() => readLocalSettings({ API_TIMEOUT_MS: String(PISTON_SESSION_END_MARGIN_MS) })).toThrow(/API_TIMEOUT_MS/);
  expect(readLocalSettings({}).apiTimeoutMs).toBe(API_TIMEOUT_DEFAULT_MS);
});
