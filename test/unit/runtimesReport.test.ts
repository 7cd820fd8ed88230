/**
 * The runtimes list's upkeep (handlers/runtimesReport.ts) on a fake clock, a memory store and a fake probe: the full
 * probe runs only when the list is missing, stale or another build's, only once the instance has been idle for a
 * moment, and a run coming meanwhile makes it give way and try again later.
 */
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { findLanguage } from '../../core/languages';
import * as L from '../../core/limits';
import { keys, type RuntimesDoc } from '../../core/protocol';
import { runtimeInfo, type Runtime } from '../../core/runtimeProbe';
import { RuntimesReport } from '../../handlers/runtimesReport';
import { FakeClock } from '../support/fakeClock';

const BUILD = 'abc/bwrap';
const python = findLanguage('python')!;
const FOUND: Runtime[] = [{ language: python, tools: { python: '/usr/bin/python3' }, version: '3.11.2' }];
/** The most an idle instance waits before it probes (the idle time plus its jitter). */
const IDLE_MAX_MS = 2 * L.RUNTIMES_PROBE_IDLE_MS;

function setUp(existing?: Partial<RuntimesDoc> & { ageMs: number }, turn?: () => (() => void) | null) {
  const clock = new FakeClock();
  const runs = new MemoryStore({ now: () => clock.now() });
  const answers: Array<Runtime[] | null> = [];
  const probe = { calls: 0, all: async () => (probe.calls++, answers.length > 0 ? answers.shift()! : FOUND) };
  if (existing) {
    const { ageMs, ...doc } = existing;
    void runs.put(keys.runtimes(), JSON.stringify({ executor: 'other', runtimes: [], ...doc, at: new Date(clock.now() - ageMs).toISOString() }));
  }
  const report = new RuntimesReport({ probe, runs, executorId: 'me', build: BUILD, clock, log: () => undefined, random: () => 1, turn });
  const doc = async () => JSON.parse((await runs.get(keys.runtimes())).data.toString('utf8')) as RuntimesDoc;
  return { clock, runs, probe, answers, report, doc };
}

test.each([
  ['missing', 1, undefined],
  ['written by this build a minute ago', 0, { build: BUILD, ageMs: 60_000 }],
  ['written by this build longer ago than the stated age', 1, { build: BUILD, ageMs: L.RUNTIMES_DOC_MAX_AGE_MS + 1 }],
  ['written by another build', 1, { build: 'def/bwrap', ageMs: 60_000 }],
  ['written before builds were named', 1, { ageMs: 60_000 }],
] as const)('a list %s: %i full probe(s) once the instance is idle', async (_, probes, existing) => {
  const t = setUp(existing);
  t.report.start();
  await t.clock.advance(IDLE_MAX_MS);
  expect(t.probe.calls).toBe(probes);
  const doc = await t.doc();
  if (probes > 0) expect(doc).toEqual({ executor: 'me', build: BUILD, at: new Date(t.clock.now()).toISOString(), runtimes: FOUND.map(runtimeInfo) });
  else expect(doc.executor).toBe('other');
  await t.report.stop();
});

test('never while a run is in flight; a probe that gave way to a run is tried again once the instance is idle again', async () => {
  const t = setUp();
  t.report.runStarted();
  t.report.start();
  await t.clock.advance(10 * IDLE_MAX_MS);
  expect(t.probe.calls).toBe(0);
  t.answers.push(null);
  t.report.runEnded();
  await t.clock.advance(IDLE_MAX_MS);
  // It gave way (a run came: RuntimeProbe.all answered null): nothing written.
  expect(t.probe.calls).toBe(1);
  await expect(t.runs.get(keys.runtimes())).rejects.toThrow();
  t.report.runStarted();
  t.report.runEnded();
  await t.clock.advance(IDLE_MAX_MS);
  expect(t.probe.calls).toBe(2);
  expect((await t.doc()).build).toBe(BUILD);
  await t.report.stop();
});

test('a fresh list is looked at again when it goes stale, and probed then', async () => {
  const t = setUp({ build: BUILD, ageMs: L.RUNTIMES_DOC_MAX_AGE_MS - 60_000 });
  t.report.start();
  await t.clock.advance(IDLE_MAX_MS);
  expect(t.probe.calls).toBe(0);
  await t.clock.advance(60_000 + IDLE_MAX_MS);
  expect(t.probe.calls).toBe(1);
  expect((await t.doc()).executor).toBe('me');
  await t.report.stop();
  // The next look (an hour away) is cancelled: a stopping instance keeps no timer.
  expect(t.clock.pending).toBe(0);
});

test('on a shared host, only the instance whose turn it is probes; it keeps the turn until the list is written, and the others find it fresh', async () => {
  let holder: string | null = 'another instance';
  const events: string[] = [];
  const turn = () => {
    if (holder) return null;
    holder = 'me';
    events.push('turn taken');
    return () => {
      events.push('turn released');
      holder = null;
    };
  };
  const t = setUp(undefined, turn);
  const put = t.runs.put.bind(t.runs);
  t.runs.put = async (...args: Parameters<typeof put>) => (events.push(`put ${args[0]}`), put(...args));
  t.report.start();
  await t.clock.advance(5 * IDLE_MAX_MS);
  // Another instance holds the turn: nothing probed here, however long this one idles.
  expect(t.probe.calls).toBe(0);
  holder = null;
  await t.clock.advance(IDLE_MAX_MS);
  expect(t.probe.calls).toBe(1);
  expect(events).toEqual(['turn taken', `put ${keys.runtimes()}`, 'turn released']);
  await t.report.stop();
});
