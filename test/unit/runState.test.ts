import { HEARTBEAT_STALE_MS, RUN_QUEUE_MAX_MS } from '../../core/limits';
import type { StatusDoc } from '../../core/protocol';
import { NEVER_STARTED, viewOf } from '../../core/runState';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const running = (heartbeatAgoMs: number): StatusDoc => ({
  id: 'x',
  state: 'running',
  executor: 'e',
  startedAt: new Date(t0).toISOString(),
  heartbeatAt: new Date(t0 + 60_000 - heartbeatAgoMs).toISOString(),
});

test.each<[string, StatusDoc | null, string, string | undefined]>([
  ['no status yet', null, 'queued', undefined],
  ['fresh heartbeat', running(1_000), 'running', undefined],
  ['heartbeat just inside the bound', running(HEARTBEAT_STALE_MS), 'running', undefined],
  ['heartbeat gone silent', running(HEARTBEAT_STALE_MS + 1), 'finished', 'internal_error'],
  [
    'finished',
    { ...running(0), state: 'finished', result: { status: 'ok', exitCode: 0, signal: null, wallMs: 5 } },
    'finished',
    'ok',
  ],
])('%s', (_name, status, state, result) => {
  const view = viewOf(status, t0 + 60_000);
  expect(view.state).toBe(state);
  expect(view.result?.status).toBe(result);
});

const now = t0 + 60_000;
test.each<[string, StatusDoc | null, number | undefined, string, string | undefined]>([
  ['queued, its age unknown', null, undefined, 'queued', undefined],
  ['queued a minute', null, now - 60_000, 'queued', undefined],
  ["queued just inside the bound (the event's age and a heartbeat's grace)", null, now - RUN_QUEUE_MAX_MS - HEARTBEAT_STALE_MS, 'queued', undefined],
  ['queued past it: its event expired, it will not start', null, now - RUN_QUEUE_MAX_MS - HEARTBEAT_STALE_MS - 1, 'finished', 'internal_error'],
  ['running, however old the run', running(1_000), now - 2 * RUN_QUEUE_MAX_MS, 'running', undefined],
])('%s', (_name, status, createdAt, state, result) => {
  const view = viewOf(status, now, createdAt);
  expect(view.state).toBe(state);
  expect(view.result?.status).toBe(result);
  if (result && !status) expect(view.result?.message).toBe(NEVER_STARTED);
});
