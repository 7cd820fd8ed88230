/**
 * The executor's run lifecycle (core/run.ts) on fakes only: storage in memory, a scripted program instead of a
 * process, a clock that moves when the test moves it. The API side is the real RunService over the same buckets.
 */
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import { COMPILE_MEMORY_BYTES, COMPILE_OUTPUT_BYTES, COMPILE_PROCESSES, COMPILE_TIMEOUT_MS, CONTROL_OUTAGE_MS, CONTROL_POLL_WAITING_MS, HEARTBEAT_INTERVAL_MS, HEARTBEAT_STALE_MS } from '../../core/limits';
import type { ObjectStore } from '../../core/ports';
import { keys, type ClaimDoc, type Manifest, type RunLimits, type RunResult, type StatusDoc } from '../../core/protocol';
import { handleRunEvent, type ExecutorDeps, type InvokeOutcome } from '../../core/run';
import { EXECUTOR_LOST } from '../../core/runState';
import { controlPollPeriod } from '../../core/controlPollPeriod';
import { RunService } from '../../core/runService';
import { readJson } from '../../core/storeJson';
import { FrameReader } from '../../core/outputFrames';
import { transpileTypeScript } from '../../core/transpileTypeScript';
import { parseCreateRun } from '../../core/validate';
import { FAKE_EPOCH, FakeClock } from '../support/fakeClock';
import { FakeSandbox, type FakeSandboxOptions } from '../support/fakeSandbox';
import { FakeSpawner, type Program } from '../support/fakeSpawner';

const policy = limitPolicyFromEnv({});
const FOREVER = 10 * 60_000;

/** The executor's calls to storage pass these first (they may delay a call on the fake clock, or fail it). */
interface StoreHooks {
  beforeGet?(key: string): Promise<void> | void;
  beforePut?(key: string, body: string): Promise<void> | void;
  afterPut?(key: string, body: string): void;
}

function hooked(inner: ObjectStore, hooks: StoreHooks): ObjectStore {
  return {
    bucket: inner.bucket,
    async get(key, range) {
      await hooks.beforeGet?.(key);
      return inner.get(key, range);
    },
    async put(key, body, options) {
      await hooks.beforePut?.(key, body.toString());
      await inner.put(key, body, options);
      hooks.afterPut?.(key, body.toString());
    },
    append: (key, body, position) => inner.append(key, body, position),
    head: (key) => inner.head(key),
    list: (prefix) => inner.list(prefix),
    delete: (key) => inner.delete(key),
  };
}

interface HarnessOptions {
  sandbox?: FakeSandboxOptions;
  hooks?: StoreHooks;
  resolveRuntime?: ExecutorDeps['resolveRuntime'];
}

interface CreateOptions {
  language?: string;
  code?: string;
  limits?: Partial<RunLimits>;
  stdin?: string;
  interactive?: boolean;
}

function harness(program: Program, options: HarnessOptions = {}) {
  const clock = new FakeClock();
  const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
  const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  const sandbox = new FakeSandbox(options.sandbox);
  const pty = new FakeSpawner(clock, program);
  const pipes = new FakeSpawner(clock, program);
  const logs: Array<Record<string, unknown>> = [];
  let seed = 0;
  const service = new RunService({ code, runs, clock, policy, randomBytes: (n) => Buffer.alloc(n, ++seed) });
  const executor = (executorId: string): ExecutorDeps => ({
    code,
    runs: options.hooks ? hooked(runs, options.hooks) : runs,
    spawners: { pty, pipes },
    sandbox,
    clock,
    policy,
    allowNetwork: false,
    // Every tool of the language as if found in /usr/bin (`/usr/bin/python`, `/usr/bin/gcc`, ...).
    resolveRuntime: options.resolveRuntime ?? ((language) => ({ language, tools: Object.fromEntries(Object.keys(language.tools).map((t) => [t, `/usr/bin/${t}`])), version: '1.0' })),
    transforms: { typescript: transpileTypeScript },
    executorId,
    log: (record) => logs.push(record),
  });
  const deps = executor('exec-a');
  return {
    clock,
    code,
    runs,
    sandbox,
    pty,
    pipes,
    logs,
    service,
    deps,
    executor,
    spawned: () => [...pty.spawned, ...pipes.spawned],
    create: (o: CreateOptions = {}) =>
      service.create(parseCreateRun({ language: o.language, code: o.code ?? 'scripted', limits: o.limits, stdin: o.stdin }, policy), o.interactive ?? true),
    /** Delivers the run's event to `deps` and lets virtual time run until the invocation answers. */
    invoke: (id: string, d: ExecutorDeps = deps, shutdown?: AbortSignal) => clock.run(handleRunEvent(d, id, 'req', shutdown)),
    status: (id: string) => readJson<StatusDoc>(runs, keys.status(id)),
    output: async (id: string) => ((await runs.head(keys.output(id))) ? (await runs.get(keys.output(id))).data.toString() : ''),
    /** Every object with its etag: equal snapshots mean nothing was written in between. */
    snapshot: async () => [...(await runs.list('')), ...(await code.list(''))].map((m) => `${m.key} ${m.etag} ${m.size}`),
  };
}
type Harness = ReturnType<typeof harness>;

/** What every run that started a program leaves behind, whatever its status. */
async function expectCleanFinish(h: Harness, id: string): Promise<RunResult> {
  const status = await h.status(id);
  expect(status?.state).toBe('finished');
  expect(h.sandbox.disposals).toBe(1);
  // Every timer of the run (heartbeat, timeout, output flush, control polls, the program's own) was cancelled.
  expect(h.clock.pending).toBe(0);
  expect(h.logs.filter((l) => l.event === 'run')).toEqual([expect.objectContaining({ runId: id, status: status!.result!.status })]);
  return status!.result!;
}

const sleepForever: Program = async (io) => {
  await io.sleep(FOREVER);
};

// ------------------------------------------------------------------------------------------------ outcomes

interface OutcomeCase {
  program: Program;
  create?: CreateOptions;
  /** Runs beside the executor, on the same clock: the user typing, killing, resizing. */
  meanwhile?: (h: Harness, id: string) => Promise<void>;
  result: Partial<RunResult>;
  output?: string;
  check?: (h: Harness) => void;
  /** The result's wallMs within [low, high] (virtual time, where sampling makes an exact figure arbitrary). */
  wallMs?: [number, number];
}

const outcomes: Array<[string, OutcomeCase]> = [
  ['the sandbox reporting too much written to disk stops the program as disk_limit, with its message', {
    program: sleepForever,
    meanwhile: async (h) => {
      await h.clock.sleep(700);
      h.sandbox.exceedDisk('the run wrote more than 67108864 bytes in files');
    },
    result: { status: 'disk_limit', signal: 'SIGKILL', wallMs: 700, message: 'the run wrote more than 67108864 bytes in files' },
  }],
  ['exit 0 is ok, with the wall time of the program', {
    program: async (io) => {
      io.print('hello\n');
      await io.sleep(1_200);
    },
    result: { status: 'ok', exitCode: 0, signal: null, wallMs: 1_200 },
    output: 'hello\n',
  }],
  ['a non-zero exit is a runtime_error', {
    program: async () => 3,
    result: { status: 'runtime_error', exitCode: 3, signal: null },
  }],
  ['death by a signal is a runtime_error naming it', {
    program: async () => ({ signal: 'SIGSEGV' }),
    result: { status: 'runtime_error', exitCode: null, signal: 'SIGSEGV' },
  }],
  ['SIGXCPU from the CPU limit is a timeout', {
    program: async () => ({ signal: 'SIGXCPU' }),
    result: { status: 'timeout', signal: 'SIGXCPU' },
  }],
  ["the language's out-of-memory trace is memory_limit", {
    program: async (io) => {
      io.print('Traceback (most recent call last):\nMemoryError\n');
      return 1;
    },
    result: { status: 'memory_limit', exitCode: 1 },
  }],
  ['the wall timeout kills the program at exactly timeoutMs', {
    program: sleepForever,
    create: { limits: { timeoutMs: 2_000 } },
    result: { status: 'timeout', exitCode: null, signal: 'SIGKILL', wallMs: 2_000 },
  }],
  ['past the output cap the program is killed and exactly the cap is kept', {
    program: async (io) => {
      for (;;) {
        io.print('0123456789'.repeat(10));
        await io.sleep(1);
      }
    },
    create: { limits: { outputBytes: 1_050 } },
    result: { status: 'output_limit', signal: 'SIGKILL' },
    output: '0123456789'.repeat(105),
  }],
  ['a kill sent while it runs ends it as killed', {
    program: sleepForever,
    meanwhile: async (h, id) => {
      await h.clock.sleep(700);
      await h.service.kill(id);
    },
    result: { status: 'killed', signal: 'SIGKILL' },
  }],
  ['input typed while it waits reaches stdin exactly', {
    program: async (io) => {
      io.print('name? ');
      io.print(`hi ${await io.readLine()}\n`);
    },
    meanwhile: async (h, id) => {
      await h.clock.sleep(3_000);
      await h.service.input(id, 'Ada Lovelace\n');
    },
    result: { status: 'ok', exitCode: 0 },
    output: 'name? hi Ada Lovelace\n',
  }],
  ['a resize reaches the terminal, in order', {
    program: (io) => io.sleep(1_000),
    meanwhile: async (h, id) => {
      await h.clock.sleep(100);
      await h.service.resize(id, 100, 30);
      await h.service.resize(id, 40, 12);
    },
    result: { status: 'ok' },
    check: (h) => expect(h.spawned()[0].resizes).toEqual([[100, 30], [40, 12]]),
  }],
  ['with a busy limit, time waiting for input is not counted: an answer typed after 5 s is read', {
    program: async (io) => {
      io.print('name? ');
      const name = await io.readLine();
      await io.compute(1_000);
      io.print(`hi ${name}\n`);
    },
    create: { limits: { busyTimeoutMs: 3_000, timeoutMs: 60_000 } },
    meanwhile: async (h, id) => {
      await h.clock.sleep(5_000);
      await h.service.input(id, 'Ada\n');
    },
    result: { status: 'ok', exitCode: 0 },
    output: 'name? hi Ada\n',
  }],
  ['with a busy limit, computing past it after the answer is a timeout, well before the wall limit', {
    program: async (io) => {
      await io.readLine();
      await io.compute(FOREVER);
    },
    create: { limits: { busyTimeoutMs: 3_000, timeoutMs: 60_000 } },
    meanwhile: async (h, id) => {
      await h.clock.sleep(5_000);
      await h.service.input(id, 'go\n');
    },
    result: { status: 'timeout', signal: 'SIGKILL', message: 'the program computed for more than 3 s (time waiting for input not counted)' },
    // The 3 s start once the answer came (5 s in), give or take a sample: far from the 60 s of wall time.
    check: (h) => expect(h.spawned()[0].exit).toMatchObject({ signal: 'SIGKILL' }),
    wallMs: [8_000 - 100, 8_000 + 100],
  }],
  ['a signal record reaches the program (here it dies of it)', {
    program: sleepForever,
    meanwhile: async (h, id) => {
      await h.clock.sleep(700);
      await h.service.signal(id, 'SIGTERM');
    },
    result: { status: 'runtime_error', exitCode: null, signal: 'SIGTERM' },
  }],
  ['a blocking run reads its stdin to end of file', {
    program: async (io) => {
      const lines: string[] = [];
      for (let line = await io.readLine(); line !== null; line = await io.readLine()) lines.push(line);
      io.print(lines.reverse().join(','));
    },
    create: { stdin: 'a\nb\nc\n', interactive: false },
    result: { status: 'ok' },
    output: 'c,b,a',
  }],
];

test.each(outcomes)('%s', async (_name, c) => {
  const h = harness(c.program);
  const id = await h.create(c.create);
  const [outcome] = await Promise.all([h.invoke(id), c.meanwhile?.(h, id)]);
  expect(outcome).toBe('executed');
  expect(h.spawned()).toHaveLength(1);
  expect(await expectCleanFinish(h, id)).toMatchObject(c.result);
  if (c.output !== undefined) expect(await h.output(id)).toBe(c.output);
  const { wallMs } = (await h.status(id))!.result!;
  if (c.wallMs) expect([wallMs >= c.wallMs[0], wallMs <= c.wallMs[1], wallMs]).toEqual([true, true, wallMs]);
  c.check?.(h);
});

test('an interactive run gets the terminal, a blocking one the pipes with stdin closed', async () => {
  const h = harness(async () => 0);
  await h.invoke(await h.create());
  await h.invoke(await h.create({ interactive: false }));
  expect(h.pty.spawned.map((p) => p.inputEnded)).toEqual([false]);
  expect(h.pipes.spawned.map((p) => p.inputEnded)).toEqual([true]);
});

test('a split run (Piston\'s socket): pipes with stdin open, stdout and stderr framed apart after the run mark, the cap on what the program printed', async () => {
  const program: Program = async (io) => {
    io.print('out 1\n');
    io.printErr('err 1\n');
    io.print(`got ${await io.readLine()}\n`);
    io.printErr('x'.repeat(100));
  };
  const h = harness(program);
  const split = new FakeSpawner(h.clock, program, { separate: true });
  const deps: ExecutorDeps = { ...h.deps, spawners: { ...h.deps.spawners, split } };
  const request = parseCreateRun({ code: 'scripted', limits: { outputBytes: 30 } }, policy);
  const id = await h.service.create(request, true, { streams: 'split' });
  await Promise.all([
    h.invoke(id, deps),
    (async () => {
      await h.clock.sleep(1_000);
      await h.service.input(id, 'line\n');
    })(),
  ]);
  const result = await expectCleanFinish(h, id);
  expect(split.spawned.map((p) => p.inputEnded)).toEqual([false]);
  expect(h.pty.spawned).toHaveLength(0);
  expect(result).toMatchObject({ status: 'output_limit' });
  const frames = new FrameReader().push((await h.runs.get(keys.output(id))).data);
  expect(frames.map((f) => (f.kind === 'run' ? 'run' : `${f.kind}:${f.data.toString()}`))).toEqual(['run', 'stdout:out 1\n', 'stderr:err 1\n', 'stdout:got line\n', `stderr:${'x'.repeat(30 - 21)}`]);
});

test('the executor shutting down ends the run as killed, and says so', async () => {
  const h = harness(sleepForever);
  const id = await h.create();
  const shutdown = new AbortController();
  const [outcome] = await Promise.all([h.invoke(id, h.deps, shutdown.signal), h.clock.sleep(1_000).then(() => shutdown.abort())]);
  expect(outcome).toBe('executed');
  expect(await expectCleanFinish(h, id)).toMatchObject({ status: 'killed', message: 'the executor was shut down' });
});

// ------------------------------------------------------------------------------------------------ never starts

const neverStarts: Array<[string, {
  before: (h: Harness, id: string) => Promise<void>;
  options?: HarnessOptions;
  result: Partial<RunResult>;
  /** Whether a sandbox was prepared (and so must be disposed). */
  prepared: boolean;
}]> = [
  ['a kill sent while queued: killed, no sandbox, no process', {
    before: (h, id) => h.service.kill(id),
    result: { status: 'killed', exitCode: null, signal: null, wallMs: 0 },
    prepared: false,
  }],
  ['input, then a kill, while queued: still killed before it starts', {
    before: async (h, id) => {
      await h.service.input(id, 'early\n');
      await h.service.kill(id);
    },
    result: { status: 'killed', wallMs: 0 },
    prepared: false,
  }],
  ['the manifest expired before the run: internal_error', {
    before: (h, id) => h.code.delete(keys.manifest(id)),
    result: { status: 'internal_error', message: 'manifest missing (expired before the run started?)' },
    prepared: false,
  }],
  ['a manifest naming an unknown language: internal_error', {
    before: async (h, id) => {
      const manifest = (await readJson<Manifest>(h.code, keys.manifest(id)))!;
      await h.code.put(keys.manifest(id), JSON.stringify({ ...manifest, language: 'cobol' }));
    },
    result: { status: 'internal_error', message: 'unknown language cobol' },
    prepared: false,
  }],
  ['no interpreter on this host: internal_error', {
    before: async () => undefined,
    options: { resolveRuntime: () => null },
    result: { status: 'internal_error', message: 'no Python 3 runtime on this host' },
    prepared: false,
  }],
  ['the sandbox cannot be prepared: internal_error', {
    before: async () => undefined,
    options: { sandbox: { failPrepare: new Error('no uid free') } },
    result: { status: 'internal_error', message: 'no uid free' },
    prepared: true,
  }],
]; // prettier-ignore

test.each(neverStarts)('%s', async (_name, c) => {
  const h = harness(sleepForever, c.options);
  const id = await h.create();
  await c.before(h, id);
  expect(await h.invoke(id)).toBe('executed');
  expect(h.spawned()).toEqual([]);
  expect(h.sandbox.requests).toHaveLength(c.prepared ? 1 : 0);
  // A failed prepare has no cell to dispose.
  expect(h.sandbox.disposals).toBe(0);
  const status = await h.status(id);
  expect(status).toMatchObject({ state: 'finished', result: c.result });
  expect(h.clock.pending).toBe(0);
});

// ------------------------------------------------------------------------------------------------ claims

test('two executors racing for one run: one runs it, the other stops at the claim', async () => {
  const h = harness(async (io) => {
    await io.sleep(500);
    io.print('once\n');
  });
  const id = await h.create();
  const outcomes = await h.clock.run(Promise.all([handleRunEvent(h.executor('exec-a'), id, 'r1'), handleRunEvent(h.executor('exec-b'), id, 'r2')]));
  expect([...outcomes].sort()).toEqual(['duplicate', 'executed']);
  const winner = outcomes[0] === 'executed' ? 'exec-a' : 'exec-b';
  expect(h.spawned()).toHaveLength(1);
  expect((await readJson<ClaimDoc>(h.runs, keys.claim(id)))?.executor).toBe(winner);
  expect(await h.status(id)).toMatchObject({ executor: winner, state: 'finished', result: { status: 'ok' } });
  expect(await h.output(id)).toBe('once\n');
});

test('a redelivery after the run finished is a no-op: nothing runs, nothing is rewritten', async () => {
  const h = harness(async (io) => io.print('done\n'));
  const id = await h.create();
  expect(await h.invoke(id)).toBe('executed');
  const before = await h.snapshot();
  await h.clock.advance(HEARTBEAT_STALE_MS * 10);
  expect(await h.invoke(id, h.executor('exec-b'))).toBe('duplicate');
  expect(await h.invoke(id)).toBe('duplicate');
  expect(await h.snapshot()).toEqual(before);
  expect(h.spawned()).toHaveLength(1);
  expect(h.sandbox.requests).toHaveLength(1);
});

/** A run some other executor claimed `claimAgoMs` ago; with a running status whose heartbeat is `heartbeatAgoMs` old. */
async function claimedElsewhere(h: Harness, claimAgoMs: number, heartbeatAgoMs?: number): Promise<string> {
  const id = await h.create();
  const at = (ago: number) => new Date(h.clock.now() - ago).toISOString();
  const claim: ClaimDoc = { id, executor: 'elsewhere', requestId: 'r0', claimedAt: at(claimAgoMs) };
  await h.runs.put(keys.claim(id), JSON.stringify(claim), { ifNotExists: true });
  if (heartbeatAgoMs !== undefined) {
    const status: StatusDoc = { id, state: 'running', executor: 'elsewhere', startedAt: at(claimAgoMs), heartbeatAt: at(heartbeatAgoMs) };
    await h.runs.put(keys.status(id), JSON.stringify(status));
  }
  return id;
}

const redeliveries: Array<[string, number, number | undefined, InvokeOutcome, number | null]> = [
  // name, claim age, heartbeat age (none: no status yet), outcome, wallMs of the closed run
  ['a fresh heartbeat: the owner is alive', 60_000, 1_000, 'duplicate', null],
  ['a heartbeat exactly at the bound: still alive', 60_000, HEARTBEAT_STALE_MS, 'duplicate', null],
  ['a heartbeat past the bound: closed as internal_error', 60_000, HEARTBEAT_STALE_MS + 1, 'abandoned', 60_000 - HEARTBEAT_STALE_MS - 1],
  ['claimed, no status yet, claim fresh: the owner is starting', 2_000, undefined, 'duplicate', null],
  ['claimed, no status yet, claim exactly at the bound', HEARTBEAT_STALE_MS, undefined, 'duplicate', null],
  ['claimed, never a status, claim past the bound: closed', HEARTBEAT_STALE_MS + 1, undefined, 'abandoned', 0],
];

test.each(redeliveries)('redelivery, %s', async (_name, claimAgo, heartbeatAgo, outcome, wallMs) => {
  const h = harness(sleepForever);
  const id = await claimedElsewhere(h, claimAgo, heartbeatAgo);
  const before = await h.snapshot();
  expect(await h.invoke(id)).toBe(outcome);
  // Never a second copy: the first may still be alive.
  expect(h.spawned()).toEqual([]);
  expect(h.sandbox.requests).toEqual([]);
  if (wallMs === null) {
    expect(await h.snapshot()).toEqual(before);
  } else {
    expect(await h.status(id)).toMatchObject({
      state: 'finished',
      result: { status: 'internal_error', exitCode: null, signal: null, wallMs, message: EXECUTOR_LOST },
    });
    expect(h.logs).toContainEqual({ event: 'run_abandoned', runId: id });
  }
});

// ------------------------------------------------------------------------------------------------ storage trouble

const outages: Array<[string, number, Partial<RunResult>]> = [
  ['an outage within the bound: the run goes on and input sent during it arrives', CONTROL_OUTAGE_MS - 1_000, { status: 'ok', exitCode: 0 }],
  ['an outage beyond the bound ends the run as internal_error', FOREVER, { status: 'internal_error', message: 'ECONNRESET' }],
];

/** Fails every executor read of the control stream until `until()`. */
const controlOutage = (h: () => Harness, until: () => number): StoreHooks => ({
  beforeGet: (key) => (key.endsWith('/control') && h().clock.now() < until() ? Promise.reject(new Error('ECONNRESET')) : undefined),
});

test.each(outages)('control stream: %s', async (_name, outageMs, result) => {
  const h: Harness = harness(async (io) => io.print(`got ${await io.readLine()}\n`), { hooks: controlOutage(() => h, () => outageEnd) });
  const outageEnd = h.clock.now() + outageMs;
  const id = await h.create({ limits: { timeoutMs: 5 * CONTROL_OUTAGE_MS } });
  await Promise.all([h.invoke(id), h.clock.sleep(1_000).then(() => h.service.input(id, 'through\n'))]);
  const final = await expectCleanFinish(h, id);
  expect(final).toMatchObject(result);
  expect(h.logs.filter((l) => l.event === 'control_poll_failed').length).toBeGreaterThan(1);
  if (result.status === 'ok') {
    expect(await h.output(id)).toBe('got through\n');
  } else {
    expect(final.wallMs).toBeGreaterThanOrEqual(CONTROL_OUTAGE_MS);
    // Noticed at the first read past the bound: within one poll period of a wait that long.
    expect(final.wallMs).toBeLessThan(CONTROL_OUTAGE_MS + controlPollPeriod(CONTROL_OUTAGE_MS) + CONTROL_POLL_WAITING_MS);
    expect(h.spawned()[0].signals).toContain('SIGKILL');
  }
});

test('a run ended by a control outage while it prints stores all its output before the final status', async () => {
  let printed = 0;
  const h: Harness = harness(
    async (io) => {
      // Off the grid of the control polls, so output is pending when the outage ends the run.
      await io.sleep(33);
      for (;;) {
        io.print('.');
        printed += 1;
        await io.sleep(7);
      }
    },
    { hooks: controlOutage(() => h, () => Infinity) },
  );
  const id = await h.create({ limits: { timeoutMs: 5 * CONTROL_OUTAGE_MS } });
  await h.invoke(id);
  expect((await expectCleanFinish(h, id)).status).toBe('internal_error');
  const final = await h.snapshot();
  await h.clock.advance(HEARTBEAT_STALE_MS);
  expect(await h.snapshot()).toEqual(final);
  expect((await h.output(id)).length).toBe(printed);
});

// ------------------------------------------------------------------------------------------------ status writes

const statusWrites: Array<[string, (h: Harness) => StoreHooks, RegExp | null]> = [
  // A heartbeat whose write is still in flight when the program exits lands after the exit: the final status must
  // still be the last write.
  ['a slow heartbeat write lands after the program ended', (h) => ({
    beforePut: (key, body) => (key.endsWith('/status.json') && isHeartbeat(h, body) ? h.clock.sleep(3_000) : undefined),
  }), null],
  ['a failing heartbeat write is logged, the run goes on', (h) => ({
    beforePut: (key, body) => (key.endsWith('/status.json') && isHeartbeat(h, body) ? Promise.reject(new Error('ETIMEDOUT')) : undefined),
  }), /ETIMEDOUT/],
]; // prettier-ignore

/** Every running-state write after the first (made at the start, before any virtual time passed) is a heartbeat. */
function isHeartbeat(h: Harness, body: string): boolean {
  return (JSON.parse(body) as StatusDoc).state === 'running' && h.clock.now() > FAKE_EPOCH;
}

test.each(statusWrites)('status: %s; the final status is never overwritten', async (_name, hooks, heartbeatError) => {
  const landed: Array<{ state: string; at: number }> = [];
  const h: Harness = harness(
    async (io) => {
      await io.sleep(HEARTBEAT_INTERVAL_MS);
    },
    {
      hooks: {
        beforePut: (key, body) => hooks(h).beforePut?.(key, body),
        afterPut: (key, body) => {
          if (key.endsWith('/status.json')) landed.push({ state: (JSON.parse(body) as StatusDoc).state, at: h.clock.now() });
        },
      },
    },
  );
  const id = await h.create();
  expect(await h.invoke(id)).toBe('executed');
  await h.clock.advance(HEARTBEAT_STALE_MS);
  expect((await expectCleanFinish(h, id)).status).toBe('ok');
  expect(landed.at(-1)?.state).toBe('finished');
  expect(landed.filter((l) => l.state === 'finished')).toHaveLength(1);
  if (heartbeatError) {
    expect(landed.map((l) => [l.state, l.at - FAKE_EPOCH])).toEqual([['running', 0], ['finished', HEARTBEAT_INTERVAL_MS]]);
    expect(h.logs).toContainEqual(expect.objectContaining({ event: 'heartbeat_failed', error: expect.stringMatching(heartbeatError) }));
  } else {
    expect(landed.map((l) => [l.state, l.at - FAKE_EPOCH])).toEqual([
      ['running', 0],
      ['running', HEARTBEAT_INTERVAL_MS + 3_000],
      ['finished', HEARTBEAT_INTERVAL_MS + 3_000],
    ]);
  }
});

test('a running program rewrites its status every HEARTBEAT_INTERVAL_MS', async () => {
  const beats: number[] = [];
  const h = harness(async (io) => io.sleep(2.5 * HEARTBEAT_INTERVAL_MS), {
    hooks: { afterPut: (key, body) => void (key.endsWith('/status.json') && beats.push(Date.parse((JSON.parse(body) as StatusDoc).heartbeatAt))) },
  });
  await h.invoke(await h.create());
  expect(beats.map((at) => at - FAKE_EPOCH)).toEqual([0, HEARTBEAT_INTERVAL_MS, 2 * HEARTBEAT_INTERVAL_MS, 2.5 * HEARTBEAT_INTERVAL_MS]);
});

test('the final status is written before the clean-up, and the invocation is answered only after it', async () => {
  const seen: Array<string | undefined> = [];
  let disposed = false;
  const h = harness(async () => 0, {
    sandbox: {
      onDispose: async () => {
        seen.push((await h.status(id))?.state);
        // A clean-up that takes a while: the invocation must still be waiting for it.
        await h.clock.sleep(50);
        disposed = true;
      },
    },
  });
  const id = await h.create();
  await h.invoke(id);
  expect(seen).toEqual(['finished']);
  expect(disposed).toBe(true);
});

test('a run whose running status cannot be written is stopped: internal_error, and nothing of its output is stored', async () => {
  const h = harness(
    async (io) => {
      io.print('secret\n');
      await io.sleep(10_000);
      return 0;
    },
    { hooks: { beforePut: (key, body) => { if (key.endsWith('/status.json') && (JSON.parse(body) as StatusDoc).state === 'running') throw new Error('storage down'); } } },
  );
  const id = await h.create();
  await h.invoke(id);
  expect(await h.status(id)).toMatchObject({ state: 'finished', result: { status: 'internal_error', message: expect.stringContaining('storage down') } });
  expect(await h.output(id)).toBe('');
});

test('a final status that cannot be written still leaves the cell disposed before the invocation fails', async () => {
  let disposals = 0;
  const h = harness(async () => 0, {
    sandbox: { onDispose: () => void disposals++ },
    hooks: { beforePut: (key, body) => { if (key.endsWith('/status.json') && (JSON.parse(body) as StatusDoc).state === 'finished') throw new Error('storage down'); } },
  });
  const id = await h.create();
  await expect(h.invoke(id)).rejects.toThrow('storage down');
  expect(disposals).toBe(1);
});

// ------------------------------------------------------------------------------------------------ compile steps

/** A C run: `gcc` is the compile step (pipes), `./main` the program (the terminal, for an interactive run). */
function compiled(compiler: Program, program: Program): Program {
  return (io) => (io.request.file === '/usr/bin/gcc' ? compiler(io) : program(io));
}

interface CompileCase {
  compiler: Program;
  program?: Program;
  create?: CreateOptions;
  meanwhile?: (h: Harness, id: string) => Promise<void>;
  result: Partial<RunResult>;
  output?: string;
  /** Whether the program was started after the compile step. */
  ran: boolean;
}

const compileCases: Array<[string, CompileCase]> = [
  ["the compiler's output comes first, as the terminal shows it, then the program runs", {
    compiler: async (io) => {
      io.print("main.c:3:5: warning: unused variable 'x'\n");
      await io.sleep(400);
    },
    program: async (io) => {
      io.print('hi\n');
      await io.sleep(100);
    },
    result: { status: 'ok', exitCode: 0, wallMs: 100, compileMs: 400 },
    output: "main.c:3:5: warning: unused variable 'x'\r\nhi\n",
    ran: true,
  }],
  ['a blocking run gets the compiler output as it was printed', {
    compiler: async (io) => io.print('warning\n'),
    program: async (io) => io.print('out\n'),
    create: { interactive: false },
    result: { status: 'ok' },
    output: 'warning\nout\n',
    ran: true,
  }],
  ['a failed compile ends the run as compile_error with the compiler message, and no program starts', {
    compiler: async (io) => {
      io.print("main.c:1:1: error: unknown type name 'foo'\n");
      await io.sleep(250);
      return 1;
    },
    result: { status: 'compile_error', exitCode: 1, signal: null, wallMs: 250, compileMs: 250 },
    output: "main.c:1:1: error: unknown type name 'foo'\r\n",
    ran: false,
  }],
  ['a compiler that runs past its budget is killed: compile_error saying so', {
    compiler: sleepForever,
    result: { status: 'compile_error', signal: 'SIGTERM', wallMs: COMPILE_TIMEOUT_MS, message: `the compiler ran out of time: it took longer than ${COMPILE_TIMEOUT_MS / 1000} s` },
    ran: false,
  }],
  ['a compiler printing more than its cap is stopped there', {
    compiler: async (io) => {
      for (;;) {
        io.print('x'.repeat(1000));
        await io.sleep(1);
      }
    },
    create: { interactive: false },
    result: { status: 'compile_error', signal: 'SIGTERM', message: `the compiler printed more than ${COMPILE_OUTPUT_BYTES} bytes` },
    output: 'x'.repeat(COMPILE_OUTPUT_BYTES),
    ran: false,
  }],
  ['a compiler dying for lack of memory says so', {
    compiler: async (io) => {
      io.print('cc1plus: out of memory allocating 65536 bytes\n');
      return 1;
    },
    result: { status: 'compile_error', exitCode: 1, message: `the compiler ran out of memory (${COMPILE_MEMORY_BYTES / 1024 / 1024} MiB of address space)` },
    ran: false,
  }],
  ['a kill during the compile step ends the run as killed', {
    compiler: sleepForever,
    meanwhile: async (h, id) => {
      await h.clock.sleep(2_000);
      await h.service.kill(id);
    },
    result: { status: 'killed', signal: 'SIGTERM' },
    ran: false,
  }],
  ['too much written to disk while compiling is disk_limit', {
    compiler: sleepForever,
    meanwhile: async (h) => {
      await h.clock.sleep(1_000);
      h.sandbox.exceedDisk('the run wrote more than 67108864 bytes in files');
    },
    result: { status: 'disk_limit', message: 'the run wrote more than 67108864 bytes in files' },
    ran: false,
  }],
  ['input typed while the code compiles waits for the program, in order', {
    compiler: (io) => io.sleep(3_000),
    program: async (io) => {
      io.print(`got ${await io.readLine()} ${await io.readLine()}\n`);
    },
    meanwhile: async (h, id) => {
      await h.clock.sleep(500);
      await h.service.input(id, 'one\n');
      await h.clock.sleep(1_500);
      await h.service.input(id, 'two\n');
    },
    result: { status: 'ok' },
    output: 'got one two\n',
    ran: true,
  }],
  ['a runtime error after a good compile is a runtime_error', {
    compiler: async () => 0,
    program: async () => ({ signal: 'SIGSEGV' }),
    result: { status: 'runtime_error', signal: 'SIGSEGV' },
    ran: true,
  }],
]; // prettier-ignore

test.each(compileCases)('compile step: %s', async (_name, c) => {
  const h = harness(compiled(c.compiler, c.program ?? (async () => 0)));
  const id = await h.create({ language: 'c', ...c.create });
  const [outcome] = await Promise.all([h.invoke(id), c.meanwhile?.(h, id)]);
  expect(outcome).toBe('executed');
  expect(await expectCleanFinish(h, id)).toMatchObject(c.result);
  if (c.output !== undefined) expect(await h.output(id)).toBe(c.output);
  // The compiler ran in the program's cell, on pipes with its stdin closed, with the compile budget.
  expect(h.pipes.spawned[0].request.file).toBe('/usr/bin/gcc');
  expect(h.pipes.spawned[0].inputEnded).toBe(true);
  expect(h.sandbox.requests).toHaveLength(1);
  expect(h.sandbox.spawnsFor).toEqual([
    { command: ['/usr/bin/gcc', '-pipe', '-O2', '-o', 'main', 'main.c', '-lm'], limits: expect.objectContaining({ memoryBytes: COMPILE_MEMORY_BYTES, processes: COMPILE_PROCESSES, timeoutMs: COMPILE_TIMEOUT_MS }) },
  ]);
  const programs = h.spawned().filter((p) => p.request.file === './main');
  expect(programs).toHaveLength(c.ran ? 1 : 0);
});

// On pipes the run head kills and reaps the tree itself on SIGTERM (core/stopThroughRunHead.ts); killed outright it
// left the tree to the host's init, and the instance's next run waited for init's late reaping.
test.each<[string, CreateOptions, ((h: Harness, id: string) => Promise<void>) | undefined, string]>([
  ['the wall timeout', { limits: { timeoutMs: 2_000 } }, undefined, 'timeout'],
  ['a kill', {}, async (h, id) => {
    await h.clock.sleep(700);
    await h.service.kill(id);
  }, 'killed'],
])('a run on pipes (tty: false) stopped by %s is ended through its run head: SIGTERM, which the program dies of', async (_name, create, meanwhile, status) => {
  const h = harness(sleepForever);
  const id = await h.create({ interactive: false, ...create });
  await Promise.all([h.invoke(id), meanwhile?.(h, id)]);
  expect(await expectCleanFinish(h, id)).toMatchObject({ status, signal: 'SIGTERM' });
  expect(h.pty.spawned).toHaveLength(0);
  // (The run's clean-up then kills whatever may be left: a no-op on the exited process.)
  expect(h.pipes.spawned.map((p) => p.signals[0])).toEqual(['SIGTERM']);
});

test('a long compile keeps the heartbeat going', async () => {
  const beats: number[] = [];
  const h = harness(compiled((io) => io.sleep(2.5 * HEARTBEAT_INTERVAL_MS), async () => 0), {
    hooks: { afterPut: (key, body) => void (key.endsWith('/status.json') && beats.push(Date.parse((JSON.parse(body) as StatusDoc).heartbeatAt))) },
  });
  await h.invoke(await h.create({ language: 'c' }));
  expect(beats.map((at) => at - FAKE_EPOCH)).toEqual([0, HEARTBEAT_INTERVAL_MS, 2 * HEARTBEAT_INTERVAL_MS, 2.5 * HEARTBEAT_INTERVAL_MS]);
});

test('TypeScript is transpiled before the file is written: types gone, lines kept, no type check', async () => {
  const h = harness(async () => 0);
  const code = "const n: number = 'not a number';\ninterface P { x: number }\nconsole.log(n);\n";
  const id = await h.create({ language: 'TS', code });
  await h.invoke(id);
  expect((await expectCleanFinish(h, id)).status).toBe('ok');
  const [request] = h.sandbox.requests;
  expect(request.files).toHaveLength(1);
  expect(request.files[0].path).toBe('main.ts');
  expect(String(request.files[0].content).split('\n')).toHaveLength(code.split('\n').length);
  expect(String(request.files[0].content)).toMatch(/^"use strict";const n = 'not a number';\n\n?console\.log\(n\);\n/);
  expect(request.command).toEqual(['/usr/bin/node', '--max-old-space-size=256', 'main.ts']);
});

test('TypeScript that does not parse is a compile_error, reported like a compiler would', async () => {
  const h = harness(async () => 0);
  const id = await h.create({ language: 'typescript', code: 'const a = 1;\nlet b = (;\n' });
  await h.invoke(id);
  const status = await h.status(id);
  expect(status?.result).toMatchObject({ status: 'compile_error', exitCode: null });
  expect(await h.output(id)).toBe('main.ts:2:10: error: Unexpected token\r\nlet b = (;\r\n         ^\r\n');
  expect(h.sandbox.requests).toHaveLength(0);
  expect(h.spawned()).toHaveLength(0);
});

test("Java code is written to its public class's file and started by its main class", async () => {
  const h = harness(async () => 0);
  const code = 'import java.util.*;\n\npublic class HelloWorld {\n  public static void main(String[] args) { System.out.println("hi"); }\n}\n';
  const id = await h.create({ language: 'Java', code });
  await h.invoke(id);
  const [request] = h.sandbox.requests;
  expect(request.files.map((f) => f.path)).toEqual(['HelloWorld.java']);
  expect(h.sandbox.spawnsFor[0].command.slice(-1)).toEqual(['HelloWorld.java']);
  expect(request.command.slice(-3)).toEqual(['-cp', '.', 'HelloWorld']);
  expect(request.limits.memoryBytes).toBeGreaterThan(policy.memoryBytes.default);
});
