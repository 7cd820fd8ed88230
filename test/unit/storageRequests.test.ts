/**
 * The run protocol's storage budget, on fakes: every request of the executor and of the API counted by type
 * (adapters/storage/countRequests.ts over memory stores), each taking a round trip of ROUND_TRIP_MS on the fake clock
 * where a test asks for one. What it holds: a running program costs at most 2 requests a second, a wait for input a
 * bounded rate that falls as the wait goes on, an input is one round trip without a HEAD, the program starts two round
 * trips after its invocation, and a long poll says `finished` only once all output has been returned.
 */
import { countRequests, type StoreRequest } from '../../adapters/storage/countRequests';
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { controlPollPeriod } from '../../core/controlPollPeriod';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import { CONTROL_POLL_BUSY_MS, CONTROL_POLL_WAITING_STEPS, HEARTBEAT_INTERVAL_MS, LONG_POLL_FAST_STEP, LONG_POLL_FAST_WINDOW_MS, LONG_POLL_IDLE_STEPS, LONG_POLL_INTERVAL_MS, MAX_INPUT_TOTAL_BYTES } from '../../core/limits';
import type { ObjectStore } from '../../core/ports';
import { keys } from '../../core/protocol';
import { handleRunEvent } from '../../core/run';
import { RunService } from '../../core/runService';
import { parseCreateRun } from '../../core/validate';
import { ApiError } from '../../core/apiError';
import { FakeClock } from '../support/fakeClock';
import { fakeExecutorDeps } from '../support/fakeExecutorDeps';
import { FakeSpawner, type Program } from '../support/fakeSpawner';

const policy = limitPolicyFromEnv({});
const ROUND_TRIP_MS = 5;

interface Counted extends StoreRequest {
  at: number;
  who: 'api' | 'executor';
}

/** Each request answers after `latencyMs` of fake time (the store acts at the end of it, as a server would). */
function delayed(inner: ObjectStore, clock: FakeClock, latencyMs: number): ObjectStore {
  if (latencyMs === 0) return inner;
  const later = <T>(act: () => Promise<T>) => clock.sleep(latencyMs).then(act);
  return {
    bucket: inner.bucket,
    put: (key, body, options) => later(() => inner.put(key, body, options)),
    get: (key, range) => later(() => inner.get(key, range)),
    append: (key, body, position) => later(() => inner.append(key, body, position)),
    head: (key) => later(() => inner.head(key)),
    list: (prefix) => later(() => inner.list(prefix)),
    delete: (key) => later(() => inner.delete(key)),
  };
}

function harness(program: Program, latencyMs = 0) {
  const clock = new FakeClock();
  const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
  const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  const requests: Counted[] = [];
  const view = (who: Counted['who']) => (store: ObjectStore) =>
    countRequests(delayed(store, clock, latencyMs), (r) => requests.push({ ...r, at: clock.now(), who }));
  const api = view('api');
  const executor = view('executor');
  let seed = 0;
  const service = (randomBytes = (n: number) => Buffer.alloc(n, ++seed)) => new RunService({ code: api(code), runs: api(runs), clock, policy, randomBytes });
  const pty = new FakeSpawner(clock, program);
  const deps = fakeExecutorDeps({
    code: executor(code),
    runs: executor(runs),
    spawners: { pty, pipes: new FakeSpawner(clock, program) },
    clock,
    policy,
  });
  const first = service();
  return {
    clock,
    runs,
    pty,
    requests,
    api: first,
    service,
    create: (s: RunService = first) => s.create(parseCreateRun({ code: 'scripted', limits: { timeoutMs: 120_000 } }, policy)),
    invoke: (id: string) => handleRunEvent(deps, id, 'req'),
    /** Requests of `who` in [from, to) of fake time, per second. */
    rate: (who: Counted['who'], from: number, to: number, key?: string) =>
      (requests.filter((r) => r.who === who && r.at >= from && r.at < to && (key === undefined || r.key === key)).length * 1000) / (to - from),
  };
}

// ------------------------------------------------------------------------------------------ idle request rates

const busyPrograms: Array<[string, Program]> = [
  ['sleeps', (io) => io.sleep(60_000)],
  ['computes without reading input', (io) => io.compute(60_000)],
];

test.each(busyPrograms)('a program that %s costs at most 2 storage requests a second (heartbeat and control polls)', async (_name, program) => {
  const h = harness(program);
  const id = await h.create();
  const start = h.clock.now();
  await h.clock.run(h.invoke(id));
  const rate = h.rate('executor', start + 5_000, start + 55_000);
  expect(rate).toBeLessThanOrEqual(2);
  // Which is what the constants promise: a control read every CONTROL_POLL_BUSY_MS and a heartbeat.
  expect(rate).toBeCloseTo(1000 / CONTROL_POLL_BUSY_MS + 1000 / HEARTBEAT_INTERVAL_MS, 0);
});

test('a wait for input reads the control stream fast at first, then at a bounded and falling rate', async () => {
  const h = harness(async (io) => {
    io.print('? ');
    await io.readLine();
  });
  const id = await h.create();
  const start = h.clock.now();
  const run = h.invoke(id);
  await h.clock.advance(60_000);
  let from = 0;
  for (const step of CONTROL_POLL_WAITING_STEPS) {
    const to = Math.min(step.untilMs, 60_000);
    // Whole windows inside the step, clear of its edges.
    const rate = h.rate('executor', start + from + 100, start + to - 100, keys.control(id));
    expect(rate).toBeLessThanOrEqual(1000 / step.everyMs + 1);
    expect(rate).toBeGreaterThanOrEqual(1000 / step.everyMs / 2);
    from = to;
  }
  expect(controlPollPeriod(60_000)).toBe(CONTROL_POLL_WAITING_STEPS[CONTROL_POLL_WAITING_STEPS.length - 1].everyMs);
  await h.api.kill(id);
  await h.clock.run(run);
});

test('input during a long wait brings the fast polling back, and reaches the program within a fast period', async () => {
  const lines: string[] = [];
  const h = harness(async (io) => {
    for (;;) {
      const line = await io.readLine();
      if (line === null || line === 'bye') return;
      lines.push(line);
    }
  });
  const id = await h.create();
  const run = h.invoke(id);
  await h.clock.advance(30_000);
  await h.api.input(id, 'one\n');
  await h.clock.advance(1_000);
  // After input the period is the fastest one again: a second line 1 s later is read within that period.
  const second = h.clock.now();
  await h.api.input(id, 'bye\n');
  await h.clock.run(run);
  expect(lines).toEqual(['one']);
  const reads = h.requests.filter((r) => r.who === 'executor' && r.key === keys.control(id) && r.at > second);
  expect(reads[0].at - second).toBeLessThanOrEqual(CONTROL_POLL_WAITING_STEPS[0].everyMs);
});

test('an idle watcher reads output and status at a falling rate the longer its poll waits without news', async () => {
  const h = harness((io) => io.sleep(30_000));
  const id = await h.create();
  const run = h.invoke(id);
  // Past the fast burst after the create: the held poll's own steps only.
  await h.clock.advance(1_000);
  const start = h.clock.now();
  const held = h.api.output(id, 0, 25_000);
  await h.clock.run(held);
  let from = 0;
  for (const step of LONG_POLL_IDLE_STEPS) {
    const to = Math.min(step.untilMs, 25_000);
    const output = h.rate('api', start + from + 100, start + to - 100, keys.output(id));
    const status = h.rate('api', start + from + 100, start + to - 100, keys.status(id));
    expect(output).toBeLessThanOrEqual(1000 / step.outputEveryMs + 1);
    expect(output).toBeGreaterThanOrEqual(1000 / step.outputEveryMs / 2);
    expect(status).toBeLessThanOrEqual(1000 / step.statusEveryMs + 1);
    expect(status).toBeGreaterThanOrEqual(1000 / step.statusEveryMs / 2);
    from = to;
  }
  await h.api.kill(id);
  await h.clock.run(run);
});

test('right after a create (or an input), a held poll reads the output at the fast step and the status at half of it', async () => {
  const h = harness((io) => io.sleep(30_000));
  const id = await h.clock.run(h.create());
  const start = h.clock.now();
  const run = h.invoke(id);
  // A client: each answer (the state's change from queued to running) is followed by the next poll at once.
  const held = (async () => {
    while (h.clock.now() < start + LONG_POLL_FAST_WINDOW_MS) await h.api.output(id, 0, 1_000);
  })();
  await h.clock.advance(LONG_POLL_FAST_WINDOW_MS);
  const output = h.rate('api', start, start + LONG_POLL_FAST_WINDOW_MS, keys.output(id));
  const status = h.rate('api', start, start + LONG_POLL_FAST_WINDOW_MS, keys.status(id));
  expect(output).toBeCloseTo(1000 / LONG_POLL_FAST_STEP.outputEveryMs, -1);
  expect(status).toBeCloseTo(1000 / LONG_POLL_FAST_STEP.statusEveryMs, -1);
  await h.clock.run(h.api.kill(id));
  await h.clock.run(Promise.all([held, run]));
});

// ------------------------------------------------------------------------------------------ round trips

test('the program starts one round trip after its invocation (claim beside manifest and control reads), its status beside the sandbox and the program, whose output waits for that status', async () => {
  let spawnedAt = 0;
  const h: ReturnType<typeof harness> = harness(async (io) => {
    spawnedAt = h.clock.now();
    io.print('hi\n');
  }, ROUND_TRIP_MS);
  const id = await h.clock.run(h.create());
  const invokedAt = h.clock.now();
  await h.clock.run(h.invoke(id));
  expect(spawnedAt - invokedAt).toBe(ROUND_TRIP_MS);
  // Requests are recorded as they complete.
  const before = h.requests.filter((r) => r.who === 'executor' && r.at <= spawnedAt).map((r) => `${r.kind} ${r.key.split('/').pop()}`);
  expect(before.sort()).toEqual([`GET ${id}.json`, 'GET control', 'PUT claim'].sort());
  const running = h.requests.find((r) => r.who === 'executor' && r.kind === 'PUT' && r.key === keys.status(id))!;
  expect(running.at).toBe(invokedAt + 2 * ROUND_TRIP_MS);
  // Readers never see output of a run whose status does not say running yet: the first append goes once it is stored.
  const append = h.requests.find((r) => r.who === 'executor' && r.kind === 'APPEND')!;
  expect(append.at).toBeGreaterThanOrEqual(running.at + ROUND_TRIP_MS);
});

test("after input, the echo and the program's reply share one append (output quiet for a moment, never held longer than an append takes)", async () => {
  const h = harness(async (io) => {
    io.print('? ');
    const line = await io.readLine();
    io.print(`${line}\r\n`);
    await io.sleep(1);
    io.print(`Input data: ${line}\r\n`);
    io.print('? ');
    await io.readLine();
  }, ROUND_TRIP_MS);
  const id = await h.clock.run(h.create());
  const run = h.invoke(id);
  await h.clock.advance(500);
  const mark = h.requests.length;
  await h.clock.run(h.api.input(id, 'x\n'));
  await h.clock.advance(300);
  const appends = h.requests.slice(mark).filter((r) => r.who === 'executor' && r.kind === 'APPEND');
  expect(appends).toHaveLength(1);
  expect((await h.runs.get(keys.output(id))).data.toString()).toBe('? x\r\nInput data: x\r\n? ');
  await h.clock.run(h.api.kill(id));
  await h.clock.run(run);
});

test('an input is one round trip for a run this API instance knows: the append (no HEAD) beside the status read', async () => {
  const h = harness(async (io) => {
    io.print('? ');
    io.print(`${await io.readLine()}\n`);
  }, ROUND_TRIP_MS);
  const id = await h.clock.run(h.create());
  const run = h.invoke(id);
  await h.clock.advance(200);
  const mark = h.requests.length;
  const sentAt = h.clock.now();
  await h.clock.run(h.api.input(id, 'x\n'));
  expect(h.clock.now() - sentAt).toBe(ROUND_TRIP_MS);
  expect(h.requests.slice(mark).filter((r) => r.who === 'api').map((r) => `${r.kind} ${r.key.split('/').pop()}`).sort()).toEqual(['APPEND control', 'GET status.json']);
  await h.clock.run(run);
});

test('another API instance appends without a HEAD too: a stale position costs one refused append, and records stay in order', async () => {
  const h = harness(async (io) => {
    io.print(`${await io.readLine()} ${await io.readLine()} ${await io.readLine()}\n`);
  });
  const id = await h.create();
  const run = h.invoke(id);
  const other = h.service();
  await h.clock.advance(100);
  await h.api.input(id, 'a\n');
  await other.input(id, 'b\n');
  await h.api.input(id, 'c\n');
  await h.clock.run(run);
  expect((await h.runs.get(keys.output(id))).data.toString()).toBe('a b c\n');
  expect(h.requests.filter((r) => r.who === 'api' && r.kind === 'HEAD' && r.key === keys.control(id))).toEqual([]);
  // `other` tried 0 and `h.api` its own stale end once each: one refused append apiece.
  expect(h.requests.filter((r) => r.who === 'api' && r.kind === 'APPEND' && !r.ok)).toHaveLength(2);
});

test("the total input bound holds against the control stream's real end, whatever position an instance remembered", async () => {
  const h = harness((io) => io.sleep(60_000));
  const id = await h.create();
  const run = h.invoke(id);
  await h.clock.advance(100);
  const big = 'x'.repeat(60 * 1024) + '\n';
  const fits = Math.floor(MAX_INPUT_TOTAL_BYTES / Buffer.byteLength(JSON.stringify({ t: 'in', d: big }) + '\n'));
  for (let i = 0; i < fits; i++) await h.api.input(id, big);
  // A fresh instance starts from position 0: the refused append tells it the real end, and the bound applies there.
  await expect(h.service().input(id, big)).rejects.toMatchObject({ status: 413 } satisfies Partial<ApiError>);
  await expect(h.api.input(id, big)).rejects.toMatchObject({ status: 413 });
  await h.api.kill(id);
  await h.clock.run(run);
});

// ------------------------------------------------------------------------------------------ long poll semantics

/**
 * The output read beside a status read may be served before the executor's last append while the status read sees
 * the final status: the poll must not report the end then. Status reads of the API are slowed by `statusLagMs`, so
 * that they see a later moment than the output read of the same look.
 */
const lags: Array<[string, number]> = [
  ['status read as fast as output', 0],
  ['status read a little later than output', 3],
  ['status read much later than output', 40],
];

test.each(lags)('a long poll reports finished only once all output is returned (%s)', async (_name, statusLagMs) => {
  const clock = new FakeClock();
  const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
  const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  const apiRuns: ObjectStore = {
    bucket: 'runs',
    get: (key, range) => (key.endsWith('status.json') ? clock.sleep(statusLagMs).then(() => runs.get(key, range)) : runs.get(key, range)),
    put: (key, body, options) => runs.put(key, body, options),
    append: (key, body, position) => runs.append(key, body, position),
    head: (key) => runs.head(key),
    list: (prefix) => runs.list(prefix),
    delete: (key) => runs.delete(key),
  };
  let seed = 0;
  const service = new RunService({ code, runs: apiRuns, clock, policy, randomBytes: (n) => Buffer.alloc(n, ++seed) });
  const program: Program = async (io) => {
    for (let i = 0; i < 20; i++) {
      io.print(`line ${i}\n`);
      await io.sleep(7);
    }
  };
  const deps = fakeExecutorDeps({
    code,
    runs,
    spawners: { pty: new FakeSpawner(clock, program), pipes: new FakeSpawner(clock, program) },
    clock,
    policy,
  });
  const id = await service.create(parseCreateRun({ code: 'scripted' }, policy));
  let seen = '';
  const watch = (async () => {
    for (let offset = 0; ; ) {
      const chunk = await service.output(id, offset, 10_000);
      seen += chunk.data;
      offset = chunk.offset;
      if (chunk.eof) return chunk;
    }
  })();
  const [, last] = await clock.run(Promise.all([handleRunEvent(deps, id, 'req'), watch]));
  expect(last.state).toBe('finished');
  expect(seen).toBe((await runs.get(keys.output(id))).data.toString());
  expect(seen.split('\n')).toHaveLength(21);
});

test("a held long poll looks again the moment this API instance takes the run's input, not after its pause", async () => {
  const h = harness(async (io) => {
    io.print('? ');
    io.print(`${await io.readLine()}\n`);
  });
  const id = await h.create();
  const run = h.invoke(id);
  await h.clock.advance(2_000);
  const offset = (await h.runs.get(keys.output(id))).data.length;
  const held = h.api.output(id, offset, 10_000);
  // Mid-pause: the poll's last look was just now, its next one is due LONG_POLL_INTERVAL_MS later.
  await h.clock.advance(LONG_POLL_INTERVAL_MS / 2);
  const sentAt = h.clock.now();
  await h.api.input(id, 'x\n');
  await h.clock.advance(0);
  expect(h.requests.some((r) => r.who === 'api' && r.key === keys.output(id) && r.at === sentAt)).toBe(true);
  await h.clock.run(Promise.all([held, run]));
});

test('an input that landed is not reported failed because the status read beside it failed (a retry would double it)', async () => {
  const clock = new FakeClock();
  const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
  const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  const flaky: ObjectStore = Object.create(runs);
  let failStatus = false;
  flaky.get = (key, range) => (failStatus && key.endsWith('status.json') ? Promise.reject(new Error('ECONNRESET')) : runs.get(key, range));
  const service = new RunService({ code, runs: flaky, clock, policy, randomBytes: (n) => Buffer.alloc(n, 7) });
  const id = await service.create(parseCreateRun({ code: 'scripted' }, policy));
  failStatus = true;
  await service.input(id, 'once\n');
  expect((await runs.get(keys.control(id))).data.toString()).toBe('{"t":"in","d":"once\\n"}\n');
});
