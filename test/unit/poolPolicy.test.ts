/** The executor pool's scaling rule (local/poolPolicy.ts), on a fake clock: what it starts, stops and when it looks again. */
import { decidePool, wantedInstances, type PoolSettings, type PoolView } from '../../local/poolPolicy';

const SETTINGS: PoolSettings = { min: 2, max: 10, spare: 1, idleMs: 1_000, startsAtOnce: 4 };
const NOW = 100_000;
/** `n` idle instances, the i-th idle since `since[i]` ms before NOW (default: just now). */
const idle = (n: number, since: number[] = []) => Array.from({ length: n }, (_, i) => ({ id: i, idleSince: NOW - (since[i] ?? 0) }));
const view = (v: Partial<PoolView>): PoolView => ({ now: NOW, starting: 0, busy: 0, idle: [], queued: 0, ...v });

describe('wanted instances: one per run in flight and per waiting event, plus the spare, within min and max', () => {
  test.each([
    // busy, queued, wanted
    [0, 0, 2],
    [1, 0, 2],
    [2, 0, 3],
    [2, 5, 8],
    [9, 0, 10],
    [4, 40, 10],
  ])('busy %i, queued %i: %i', (busy, queued, wanted) => {
    expect(wantedInstances(busy, queued, SETTINGS)).toBe(wanted);
  });
});

describe('decisions', () => {
  test.each<[string, Partial<PoolView>, Partial<PoolSettings>, { start: number; stop: number[]; recheckAt: number | null }]>([
    ['an empty pool starts its minimum', {}, {}, { start: 2, stop: [], recheckAt: null }],
    ['the minimum warm and idle: nothing to do', { idle: idle(2) }, {}, { start: 0, stop: [], recheckAt: null }],
    ['every instance busy: one spare is started ahead of demand', { busy: 2 }, {}, { start: 1, stop: [], recheckAt: null }],
    ['a long queue starts several at once, no more than startsAtOnce', { busy: 2, queued: 30 }, {}, { start: 4, stop: [], recheckAt: null }],
    ['starts already under way count against startsAtOnce', { busy: 2, starting: 3, queued: 30 }, {}, { start: 1, stop: [], recheckAt: null }],
    ['starts under way count as instances: no more than wanted', { busy: 2, starting: 2, queued: 1 }, {}, { start: 0, stop: [], recheckAt: null }],
    ['instances still being stopped count against the maximum', { busy: 7, queued: 10, ending: 2 }, {}, { start: 1, stop: [], recheckAt: null }],
    ['short runs drain the queue faster than a cold start: the queue waits for them, only the spare is started', { busy: 3, queued: 20, drainPerSecond: 15, coldStartMs: 2_000 }, {}, { start: 1, stop: [], recheckAt: null }],
    ['a slower drain: instances for the events still waiting when a new one is ready', { busy: 3, queued: 6, drainPerSecond: 2, coldStartMs: 2_000 }, {}, { start: 3, stop: [], recheckAt: null }],
    ['nothing drains (programs waiting for input): an instance for every waiting event', { busy: 5, queued: 2, drainPerSecond: 0, coldStartMs: 2_000 }, {}, { start: 3, stop: [], recheckAt: null }],
    ['idle instances are never stopped while events wait, even when the drain would take them', { busy: 3, queued: 5, drainPerSecond: 50, coldStartMs: 1_000, idle: idle(3, [5_000, 5_000, 5_000]) }, {}, { start: 0, stop: [], recheckAt: null }],
    ['never past the maximum, however long the queue', { busy: 8, starting: 2, queued: 100 }, {}, { start: 0, stop: [], recheckAt: null }],
    ['a fixed pool (min = max, no spare) starts nothing while all are busy', { busy: 2, queued: 5 }, { min: 2, max: 2, spare: 0 }, { start: 0, stop: [], recheckAt: null }],
    ['a dead instance dropped from a fixed pool is replaced', { busy: 1 }, { min: 2, max: 2, spare: 0 }, { start: 1, stop: [], recheckAt: null }],
    ['surplus idle instances stay until their idle time runs out', { idle: idle(5, [200, 400, 600, 800, 900]) }, {}, { start: 0, stop: [], recheckAt: NOW + 100 }],
    ['then the longest idle go first, down to what is wanted', { idle: idle(5, [1_000, 1_500, 2_000, 300, 100]) }, {}, { start: 0, stop: [2, 1, 0], recheckAt: null }],
    ['expired but needed (the minimum): kept', { idle: idle(2, [5_000, 5_000]) }, {}, { start: 0, stop: [], recheckAt: null }],
    ['expired but needed (the spare beside busy ones): kept', { busy: 3, idle: idle(1, [5_000]) }, {}, { start: 0, stop: [], recheckAt: null }],
    ['a queue holds surplus instances back even when idle long', { busy: 0, queued: 3, idle: idle(4, [5_000, 5_000, 5_000, 5_000]) }, {}, { start: 0, stop: [], recheckAt: null }],
    ['one expired, the next later: stop one, look again when the next expires', { idle: idle(4, [1_200, 700, 100, 50]) }, {}, { start: 0, stop: [0], recheckAt: NOW + 300 }],
  ])('%s', (_name, v, s, expected) => {
    expect(decidePool(view(v), { ...SETTINGS, ...s })).toEqual(expected);
  });
});

test('a burst then quiet, on a fake clock: grows with the queue, then shrinks back to the minimum after the idle time', () => {
  let now = 0;
  const settings: PoolSettings = { min: 2, max: 6, spare: 1, idleMs: 500, startsAtOnce: 2 };
  // A tiny pool model: started instances become ready at the next step; events take free instances.
  let starting = 0;
  let instances: Array<{ id: number; busy: boolean; idleSince: number }> = [];
  let nextId = 0;
  let queued = 10;
  const sizes: number[] = [];
  const step = () => {
    for (let i = 0; i < starting; i++) instances.push({ id: nextId++, busy: false, idleSince: now });
    starting = 0;
    for (const instance of instances) if (!instance.busy && queued > 0) (instance.busy = true), queued--;
    const decision = decidePool(
      { now, starting, busy: instances.filter((i) => i.busy).length, idle: instances.filter((i) => !i.busy).map(({ id, idleSince }) => ({ id, idleSince })), queued },
      settings,
    );
    starting += decision.start;
    instances = instances.filter((i) => !decision.stop.includes(i.id));
    sizes.push(instances.length + starting);
  };
  for (let t = 0; t < 5; t++, now += 100) step();
  const end = () => instances.forEach((i) => ((i.busy = false), (i.idleSince = now)));
  // The maximum holds: six run, four wait for one to end.
  expect(Math.max(...sizes)).toBe(6);
  expect(queued).toBe(4);
  end();
  step();
  expect(queued).toBe(0);
  end();
  // Idle, but not for long enough: all kept (the queue may come back).
  for (let t = 0; t < 4; t++, now += 100) step();
  expect(instances.length).toBe(6);
  for (let t = 0; t < 3; t++, now += 100) step();
  expect(instances.length).toBe(2);
});
