/**
 * The cost model (bench/cost/): its request counts follow the protocol's constants, prices multiply out, the seed's
 * rate comes from its loop period, and the sizes are the Pulumi program's.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as L from '../../core/limits';
import { parseStackConfig } from '../../infra/config';
import { costOf } from '../../bench/cost/costOf';
import { costReport, summaryTable } from '../../bench/cost/costReport';
import { interactiveRequestRates, interactiveUsage, sessionOutputBytes, sessionPhases } from '../../bench/cost/interactiveUsage';
import { judgeUsage } from '../../bench/cost/judgeUsage';
import { PRICES, type Prices } from '../../bench/cost/prices';
import { controlPollsOverWait, PROTOCOL_TIMINGS, type ProtocolTimings } from '../../bench/cost/protocolTimings';
import { requestTotals, type RunUsage } from '../../bench/cost/runUsage';
import { JUDGE_HELLO, TYPICAL_SESSION, type InteractiveSession } from '../../bench/cost/scenarios';
import { SEED_LOOP, seedIdleRequestsPerSecond, seedLoopPeriodMs, seedUsage } from '../../bench/cost/seedUsage';
import { parseStackFile, stackSizing } from '../../bench/cost/stackSizing';

const ROOT = path.resolve(__dirname, '../..');
const LIFECYCLE = { runsLifecycleDays: 1, codeLifecycleDays: 7 };

const sent = (usage: RunUsage, what: string) => {
  const line = usage.requests.find((r) => r.what === what);
  if (!line) throw new Error(`no request line "${what}" in ${usage.requests.map((r) => r.what).join(', ')}`);
  return line.sent;
};

describe('protocol timings', () => {
  test('are core/limits.ts constants, not copies', () => {
    expect(PROTOCOL_TIMINGS).toMatchObject({
      longPollIntervalMs: L.LONG_POLL_INTERVAL_MS,
      longPollFastIntervalMs: L.LONG_POLL_FAST_INTERVAL_MS,
      longPollFastWindowMs: L.LONG_POLL_FAST_WINDOW_MS,
      longPollFastStep: L.LONG_POLL_FAST_STEP,
      maxLongPollMs: L.MAX_LONG_POLL_MS,
      controlPollBusyMs: L.CONTROL_POLL_BUSY_MS,
      heartbeatIntervalMs: L.HEARTBEAT_INTERVAL_MS,
      outputFlushIntervalMs: L.OUTPUT_FLUSH_INTERVAL_MS,
    });
    // (apiHeadsKnownRuns is the code's shape, held to the code by costAgainstCode.test.ts.)
    // A wait starts at the fastest control poll, and its last step lasts to the end of any wait.
    expect(PROTOCOL_TIMINGS.controlPollWaitingSteps[0].everyMs).toBe(L.CONTROL_POLL_WAITING_MS);
    expect(PROTOCOL_TIMINGS.controlPollWaitingSteps.at(-1)!.untilMs).toBe(Infinity);
    // The long poll's idle steps are the code's own table, its first at the judge wait's period, its last endless.
    expect(PROTOCOL_TIMINGS.longPollIdleSteps).toBe(L.LONG_POLL_IDLE_STEPS);
    expect(PROTOCOL_TIMINGS.longPollIdleSteps[0].outputEveryMs).toBe(L.LONG_POLL_INTERVAL_MS);
    expect(PROTOCOL_TIMINGS.longPollIdleSteps.at(-1)!.untilMs).toBe(Infinity);
  });

  test.each([
    [2_000, 100],
    [3_000, 150],
    [15_000, 150 + 140 + 25],
    [0, 0],
  ])('stepped control polls: a %d ms wait makes %d', (waitMs, polls) => {
    const t = { controlPollWaitingSteps: [{ untilMs: 3_000, everyMs: 20 }, { untilMs: 10_000, everyMs: 50 }, { untilMs: Infinity, everyMs: 200 }] };
    expect(controlPollsOverWait(t, waitMs)).toBe(polls);
  });

  test('the typical session polls the control stream at the constants’ rates', () => {
    const usage = interactiveUsage(TYPICAL_SESSION, LIFECYCLE);
    const { waitingMs, busyMs } = sessionPhases(TYPICAL_SESSION);
    expect(sent(usage, 'control polls while waiting for input')).toBe(TYPICAL_SESSION.inputs.length * controlPollsOverWait(PROTOCOL_TIMINGS, TYPICAL_SESSION.thinkMs));
    expect(sent(usage, 'control polls while waiting for input')).toBeLessThanOrEqual(waitingMs / L.CONTROL_POLL_WAITING_MS);
    expect(sent(usage, 'control polls while computing')).toBe(Math.floor(busyMs / L.CONTROL_POLL_BUSY_MS));
    expect(sent(usage, 'status: start, heartbeats, end')).toBe(2 + Math.floor(TYPICAL_SESSION.durationMs / L.HEARTBEAT_INTERVAL_MS));
  });
});

describe('halving a period doubles the requests it paces', () => {
  // A session that isolates each pace: no fast window after inputs, lines rarer than nothing (no output at all).
  const base: ProtocolTimings = { ...PROTOCOL_TIMINGS, longPollFastWindowMs: 0 };
  type Paced = keyof ProtocolTimings;
  /** `t` with one pace halved (every step of a stepped one). */
  const halved = (t: ProtocolTimings, key: Paced): ProtocolTimings =>
    key === 'longPollIdleSteps'
      ? { ...t, longPollIdleSteps: t.longPollIdleSteps.map((step) => ({ ...step, outputEveryMs: step.outputEveryMs / 2, statusEveryMs: step.statusEveryMs / 2 })) }
      : key === 'controlPollWaitingSteps'
      ? { ...t, controlPollWaitingSteps: t.controlPollWaitingSteps.map((step) => ({ ...step, everyMs: step.everyMs / 2 })) }
      : { ...t, [key]: (t[key] as number) / 2 };
  const apiPolls = (u: RunUsage) => u.functions.find((f) => f.fn === 'api')!.invocations - 1 - TYPICAL_SESSION.inputs.length;
  const printing: InteractiveSession = { ...TYPICAL_SESSION, printIntervalMs: 1 };
  const idleSlack = TYPICAL_SESSION.inputs.length * PROTOCOL_TIMINGS.longPollIdleSteps.length;
  const cases: Array<{ timing: Paced; what: string; session?: InteractiveSession; usage?: 'interactive' | 'judge'; fixed: (u: RunUsage) => number; t?: ProtocolTimings; slack?: number }> = [
    // A remainder per step of each wait.
    { timing: 'controlPollWaitingSteps', what: 'control polls while waiting for input', fixed: () => 0, slack: TYPICAL_SESSION.inputs.length * PROTOCOL_TIMINGS.controlPollWaitingSteps.length },
    { timing: 'controlPollBusyMs', what: 'control polls while computing', fixed: () => 0 },
    // Start and end are written once whatever the heartbeat.
    { timing: 'heartbeatIntervalMs', what: 'status: start, heartbeats, end', fixed: () => 2 },
    // One append per prompt and one at exit do not depend on the flush period.
    { timing: 'outputFlushIntervalMs', what: 'output appends', session: printing, fixed: () => TYPICAL_SESSION.inputs.length + 1 },
    // Each poll request looks once before it sleeps, whatever the period; while queued it HEADs instead.
    // A remainder per idle step of each wait and silence.
    { timing: 'longPollIdleSteps', what: 'long poll: output (416 when nothing new)', fixed: apiPolls, slack: 2 * idleSlack },
    // On a run that prints nothing while it computes: each poll request still reads it first (the queued ones 404).
    {
      timing: 'longPollIdleSteps',
      what: 'long poll: status',
      session: { ...TYPICAL_SESSION, printIntervalMs: TYPICAL_SESSION.durationMs },
      fixed: (u) => apiPolls(u) - sent(u, 'long poll: status while queued (404)'),
      slack: 2 * idleSlack,
    },
    { timing: 'controlPollBusyMs', what: 'control at start and kill watch (404)', usage: 'judge', fixed: () => 1 },
  ];
  test.each(cases)('$timing → $what', ({ timing, what, session, usage, fixed, t, slack = 1 }) => {
    const start = t ?? base;
    const half = halved(start, timing);
    const judge = { ...JUDGE_HELLO, executorMs: 10 * L.CONTROL_POLL_BUSY_MS };
    const run = (t: ProtocolTimings) => (usage === 'judge' ? judgeUsage(judge, LIFECYCLE, t) : interactiveUsage(session ?? TYPICAL_SESSION, LIFECYCLE, t));
    const before = run(start);
    const after = run(half);
    const paced = (u: RunUsage) => sent(u, what) - fixed(u);
    expect(paced(before)).toBeGreaterThan(0);
    // Whole periods only: a remainder may add one.
    expect(Math.abs(paced(after) - 2 * paced(before))).toBeLessThanOrEqual(slack);
  });

  test('the request rates follow the poll periods', () => {
    const rates = interactiveRequestRates(base);
    const faster = interactiveRequestRates(
      (['longPollIdleSteps', 'controlPollWaitingSteps', 'controlPollBusyMs'] as const).reduce(halved, base),
    );
    expect(faster.waiting.map((step) => step.fromMs)).toEqual(rates.waiting.map((step) => step.fromMs));
    rates.waiting.forEach((step, i) => expect(faster.waiting[i].sent).toBeCloseTo(2 * step.sent));
    rates.sleeping.forEach((step, i) => expect(faster.sleeping[i].sent).toBeCloseTo(2 * step.sent));
    // A step of either table starts a row; billed: the status reads only (empty output and control reads are 416/404).
    const untils = [...base.longPollIdleSteps, ...base.controlPollWaitingSteps].map((step) => step.untilMs).filter((ms) => ms < base.maxLongPollMs);
    expect(rates.waiting.map((step) => step.fromMs)).toEqual([0, ...new Set(untils)].sort((a, b) => a - b));
    rates.sleeping.forEach((step, i) => expect(step.billed).toBeCloseTo(1000 / base.longPollIdleSteps[i].statusEveryMs));
  });
});

describe('billed requests', () => {
  test.each([
    ['interactive', interactiveUsage(TYPICAL_SESSION, LIFECYCLE)],
    ['judge', judgeUsage(JUDGE_HELLO, LIFECYCLE)],
    ['seed', seedUsage(TYPICAL_SESSION, LIFECYCLE)],
  ])('%s: never more than sent, and reads that find nothing are free', (_name, usage) => {
    for (const line of usage.requests) {
      expect(line.billed).toBeGreaterThanOrEqual(0);
      expect(line.billed).toBeLessThanOrEqual(line.sent);
    }
    expect(requestTotals(usage, 'get').billed).toBeLessThan(requestTotals(usage, 'get').sent);
  });

  test('every input is read once by a billed control poll', () => {
    const three = interactiveUsage(TYPICAL_SESSION, LIFECYCLE);
    const line = three.requests.find((r) => r.what === 'control polls while waiting for input')!;
    expect(line.billed).toBe(TYPICAL_SESSION.inputs.length);
  });
});

describe('prices multiply out', () => {
  const sizing = { api: { memoryMb: 1024, cpu: 1, diskMb: PRICES.fcFreeDiskMb.value }, executor: { memoryMb: 2048, cpu: 0.5, diskMb: PRICES.fcFreeDiskMb.value + 1024 } };
  const empty: RunUsage = { label: 'x', requests: [], stored: [], ossEvents: 0, functions: [], notes: [] };
  const item = (usage: RunUsage, name: string) => costOf(usage, sizing, PRICES).lines.find((l) => l.item === name)!.yuan;
  const cu = PRICES.fcCu.value;
  const cases: Array<{ name: string; usage: RunUsage; item: string; yuan: (p: Prices) => number }> = [
    { name: '10,000 billed PUTs', usage: { ...empty, requests: [{ who: 'api', what: 'x', op: 'AppendObject', sent: 20_000, billed: 10_000 }] }, item: 'OSS PUT-class requests (billed)', yuan: (p) => p.ossPutPer10k.value },
    { name: 'DeleteObject is PUT-class', usage: { ...empty, requests: [{ who: 'executor', what: 'x', op: 'DeleteObject', sent: 10_000, billed: 10_000 }] }, item: 'OSS PUT-class requests (billed)', yuan: (p) => p.ossPutPer10k.value },
    { name: '10,000 billed HEADs', usage: { ...empty, requests: [{ who: 'api', what: 'x', op: 'HeadObject', sent: 10_000, billed: 10_000 }] }, item: 'OSS GET-class requests (billed)', yuan: (p) => p.ossGetPer10k.value },
    { name: 'sent but not billed', usage: { ...empty, requests: [{ who: 'api', what: 'x', op: 'GetObject', sent: 10_000, billed: 0 }] }, item: 'OSS GET-class requests (billed)', yuan: () => 0 },
    { name: 'a GB for 30 days', usage: { ...empty, stored: [{ what: 'x', bytes: 1024 ** 3, days: 30 }] }, item: 'OSS Standard storage until expiry', yuan: (p) => p.ossStandardGbMonth.value },
    { name: '10,000 API invocations', usage: { ...empty, functions: [{ fn: 'api', invocations: 10_000, activeSeconds: 0 }] }, item: 'FC api invocations', yuan: (p) => 10_000 * p.fcCuPerInvocation.value * cu },
    { name: 'a second of 1 vCPU', usage: { ...empty, functions: [{ fn: 'api', invocations: 0, activeSeconds: 1 }] }, item: 'FC api active vCPU', yuan: (p) => p.fcCuPerActiveVcpuSecond.value * cu },
    { name: 'a second of 1 GB', usage: { ...empty, functions: [{ fn: 'api', invocations: 0, activeSeconds: 1 }] }, item: 'FC api memory', yuan: (p) => p.fcCuPerGbSecond.value * cu },
    { name: 'a second of 0.5 vCPU', usage: { ...empty, functions: [{ fn: 'executor', invocations: 0, activeSeconds: 1 }] }, item: 'FC executor active vCPU', yuan: (p) => 0.5 * p.fcCuPerActiveVcpuSecond.value * cu },
    { name: 'a second of 2 GB', usage: { ...empty, functions: [{ fn: 'executor', invocations: 0, activeSeconds: 1 }] }, item: 'FC executor memory', yuan: (p) => 2 * p.fcCuPerGbSecond.value * cu },
    { name: 'a second of 1 GB of disk above the free size', usage: { ...empty, functions: [{ fn: 'executor', invocations: 0, activeSeconds: 1 }] }, item: 'FC executor disk', yuan: (p) => p.fcCuPerDiskGbSecond.value * cu },
    { name: 'the free disk', usage: { ...empty, functions: [{ fn: 'api', invocations: 0, activeSeconds: 1 }] }, item: 'FC api disk', yuan: () => 0 },
  ];
  test.each(cases)('$name', ({ usage, item: name, yuan }) => {
    expect(item(usage, name)).toBeCloseTo(yuan(PRICES), 12);
  });

  test('the total is the sum of its lines and of its parts, and scales with the prices', () => {
    const usage = interactiveUsage(TYPICAL_SESSION, LIFECYCLE);
    const cost = costOf(usage, sizing, PRICES);
    expect(cost.total).toBeCloseTo(cost.lines.reduce((s, l) => s + l.yuan, 0), 12);
    expect(cost.total).toBeCloseTo(Object.values(cost.parts).reduce((s, v) => s + v, 0), 12);
    const doubled = Object.fromEntries(Object.entries(PRICES).map(([k, p]) => [k, k === 'fcCu' || k.startsWith('oss') ? { ...p, value: 2 * p.value } : p])) as Prices;
    expect(costOf(usage, sizing, doubled).total).toBeCloseTo(2 * cost.total, 12);
  });

  test('every price names its source and the date it was read', () => {
    for (const [name, price] of Object.entries(PRICES)) {
      expect({ name, source: /^https:\/\//.test(price.source), read: /^\d{4}-\d{2}-\d{2}$/.test(price.read) }).toEqual({ name, source: true, read: true });
    }
  });
});

describe('FC time', () => {
  test('the executor is billed the whole session, the API the held long poll divided among the polls sharing its instance', () => {
    const alone = interactiveUsage(TYPICAL_SESSION, LIFECYCLE);
    const shared = interactiveUsage({ ...TYPICAL_SESSION, apiSharing: 20 }, LIFECYCLE);
    const seconds = (u: RunUsage, fn: 'api' | 'executor') => u.functions.find((f) => f.fn === fn)!.activeSeconds;
    expect(seconds(alone, 'executor')).toBeCloseTo((TYPICAL_SESSION.durationMs + TYPICAL_SESSION.executorOverheadMs) / 1000);
    expect(seconds(alone, 'api')).toBeCloseTo((TYPICAL_SESSION.durationMs + TYPICAL_SESSION.queuedMs) / 1000);
    expect(seconds(shared, 'api')).toBeCloseTo(seconds(alone, 'api') / 20);
  });
});

describe("the seed's loop", () => {
  test.each([
    { roundTripMs: 0, perSecond: 1000 / SEED_LOOP.readTimeoutMs },
    // The "about 95 a second": 10 ms of read timeout and half a millisecond per local request.
    { roundTripMs: 0.5, perSecond: 1000 / 10.5 },
    { roundTripMs: 5, perSecond: 1000 / 15 },
  ])('at $roundTripMs ms per request: one GET per read timeout plus a round trip', ({ roundTripMs, perSecond }) => {
    expect(seedLoopPeriodMs(roundTripMs)).toBe(SEED_LOOP.readTimeoutMs + roundTripMs);
    expect(seedIdleRequestsPerSecond(roundTripMs)).toBeCloseTo(perSecond, 6);
  });

  test("the article's read timeout is 10 ms, about 95 GET/s at a local round trip", () => {
    expect(SEED_LOOP.readTimeoutMs).toBe(10);
    expect(Math.round(seedIdleRequestsPerSecond(0.5))).toBe(95);
  });

  test('its GETs while the program waits are the waiting time over the loop period; halving the timeout nearly doubles them', () => {
    const s = { ...TYPICAL_SESSION, storageRoundTripMs: 0 };
    const { waitingMs } = sessionPhases(s);
    expect(sent(seedUsage(s, LIFECYCLE), 'loop: <id>-input while the program waits (404 but n)')).toBe(Math.floor(waitingMs / SEED_LOOP.readTimeoutMs));
    const halved = seedUsage(s, LIFECYCLE, { ...SEED_LOOP, readTimeoutMs: SEED_LOOP.readTimeoutMs / 2 });
    expect(sent(halved, 'loop: <id>-input while the program waits (404 but n)')).toBe(2 * Math.floor(waitingMs / SEED_LOOP.readTimeoutMs));
  });

  test('it puts the whole output once per line printed, so its PUTs grow with the lines, not with the flush period', () => {
    const fewer = seedUsage({ ...TYPICAL_SESSION, printIntervalMs: 100 }, LIFECYCLE);
    const more = seedUsage({ ...TYPICAL_SESSION, printIntervalMs: 50 }, LIFECYCLE);
    const lines = (printIntervalMs: number) => Math.floor(sessionPhases(TYPICAL_SESSION).busyMs / printIntervalMs);
    const puts = (u: RunUsage) => sent(u, 'loop: <id>-output, the whole output each time');
    expect(puts(more) - puts(fewer)).toBe(lines(50) - lines(100));
  });
});

describe('stored objects', () => {
  test('the output object holds the session’s terminal bytes, kept for the runs bucket’s lifecycle days', () => {
    const usage = interactiveUsage(TYPICAL_SESSION, { runsLifecycleDays: 3, codeLifecycleDays: 7 });
    expect(usage.stored.find((o) => o.what === 'output')).toEqual({ what: 'output', bytes: sessionOutputBytes(TYPICAL_SESSION), days: 3 });
    expect(usage.stored.find((o) => o.what.startsWith('manifest'))!.days).toBe(7);
    expect(usage.stored.find((o) => o.what.startsWith('manifest'))!.bytes).toBeGreaterThan(Buffer.byteLength(TYPICAL_SESSION.code));
  });
});

describe('stack sizing', () => {
  test('the defaults are the Pulumi program’s', () => {
    const config = parseStackConfig({ region: 'cn-hangzhou' }, { stack: 'defaults' });
    const sizing = stackSizing();
    expect(sizing).toMatchObject({
      api: { memoryMb: config.api.memoryMb, cpu: config.api.cpu, instanceConcurrency: config.api.instanceConcurrency },
      executor: { memoryMb: config.executor.memoryMb, cpu: config.executor.cpu },
      runsLifecycleDays: config.runsLifecycleDays,
      codeLifecycleDays: config.codeLifecycleDays,
    });
    expect(sizing.api.diskMb).toBeGreaterThan(0);
    expect(sizing.executor.diskMb).toBe(config.executor.diskMb);
  });

  test('a stack with the large executor disk prices that disk for the executor only', () => {
    const sizing = stackSizing('big-disk', { region: 'cn-hangzhou', executorDiskMb: '10240' });
    expect(sizing.executor.diskMb).toBe(10240);
    expect(sizing.api.diskMb).toBe(512);
  });

  test.each(['dev', 'contest'])('Pulumi.%s.yaml is read as Pulumi reads it', (stack) => {
    const text = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), 'utf8');
    const raw = parseStackFile(text);
    // Its token is a secret outside the file (and what a run costs does not depend on it).
    const config = parseStackConfig({ ...raw, requireApiToken: undefined }, { stack });
    const sizing = stackSizing(stack, raw);
    expect(sizing.executor.memoryMb).toBe(config.executor.memoryMb);
    expect(sizing.api.instanceConcurrency).toBe(config.api.instanceConcurrency);
    expect(sizing.runsLifecycleDays).toBe(config.runsLifecycleDays);
    // The file's own value, as written.
    const written = /pocketrun:apiMemoryMb: "(\d+)"/.exec(text)![1];
    expect(sizing.api.memoryMb).toBe(Number(written));
  });
});

describe('the README', () => {
  test('shows the table npm run cost prints with the defaults (re-run it and paste when a constant or price changes)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const sizing = stackSizing();
    const section = readme.slice(readme.indexOf('### Cost in the cloud'));
    expect(section).toContain(summaryTable(costReport(sizing), sizing));
  });
});
