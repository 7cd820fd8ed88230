/** The output sink against the real folder store: batching, the cap, and a lost append response. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FsObjectStore } from '../../adapters/storage/fsStore';
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { OUTPUT_FLUSH_BYTES, OUTPUT_FLUSH_INTERVAL_MS } from '../../core/limits';
import { FAKE_EPOCH, FakeClock } from '../support/fakeClock';
import { OutputSink } from '../../core/outputSink';
import { systemClock, type ObjectStore } from '../../core/ports';

let dir: string;
let store: FsObjectStore;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sink-'));
  store = new FsObjectStore({ root: dir, bucket: 'runs' });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Counts appends and bytes sent, and can lose the response of chosen appends after they landed. */
function counting(inner: ObjectStore, loseResponseOf: Set<number> = new Set()) {
  const stats = { appends: 0, bytes: 0 };
  const store: ObjectStore = Object.create(inner);
  store.append = async (key, body, position) => {
    stats.appends++;
    stats.bytes += Buffer.byteLength(body);
    const result = await inner.append(key, body, position);
    if (loseResponseOf.has(stats.appends)) throw new Error('socket hang up');
    return result;
  };
  return { store, stats };
}

test('a burst of small writes becomes a few appends; bytes written equal bytes produced', async () => {
  const { store: s, stats } = counting(store);
  const sink = new OutputSink(s, 'out', 10 * 1024 * 1024, systemClock);
  const expected: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    const line = Buffer.from(`line ${i}\n`);
    expected.push(line);
    sink.push(line);
    if (i % 200 === 0) await new Promise((r) => setTimeout(r, 30));
  }
  await sink.close();
  const all = Buffer.concat(expected);
  expect((await store.get('out')).data.equals(all)).toBe(true);
  expect(stats.bytes).toBe(all.length);
  expect(stats.appends).toBeLessThanOrEqual(12);
});

test('64 KiB pending is flushed without waiting for the interval', async () => {
  const { store: s, stats } = counting(store);
  const sink = new OutputSink(s, 'out', 10 * 1024 * 1024, systemClock);
  sink.push(Buffer.alloc(OUTPUT_FLUSH_BYTES, 'a'));
  await new Promise((r) => setImmediate(r));
  expect(stats.appends).toBe(1);
  await sink.close();
});

test('the first output is appended at once, what follows within the interval waits for it', async () => {
  const { store: s, stats } = counting(store);
  const clock = new FakeClock();
  const sink = new OutputSink(s, 'out', 10 * 1024 * 1024, clock);
  sink.push(Buffer.from('prompt? '));
  await new Promise((r) => setImmediate(r));
  // No timer turn: the append is under way before any time passed.
  expect(stats.appends).toBe(1);
  sink.push(Buffer.from('more'));
  await new Promise((r) => setImmediate(r));
  expect(stats.appends).toBe(1);
  await clock.advance(OUTPUT_FLUSH_INTERVAL_MS);
  await sink.close();
  expect(stats.appends).toBe(2);
  expect((await store.get('out')).data.toString()).toBe('prompt? more');
});

test('the cap keeps exactly capBytes and reports the overflow', async () => {
  const sink = new OutputSink(store, 'out', 10, systemClock);
  expect(sink.push(Buffer.from('12345'))).toBe(true);
  expect(sink.push(Buffer.from('6789abcdef'))).toBe(false);
  await sink.close();
  expect((await store.get('out')).data.toString()).toBe('123456789a');
});

test('an append whose response was lost is retried without doubling the output', async () => {
  const { store: s, stats } = counting(store, new Set([1]));
  const sink = new OutputSink(s, 'out', 1024, systemClock);
  sink.push(Buffer.from('hello '));
  await sink.flush();
  sink.push(Buffer.from('world'));
  await sink.close();
  expect((await store.get('out')).data.toString()).toBe('hello world');
  expect(stats.appends).toBe(3);
});

test.each([
  ['without input, the second chunk waits for the flush interval', false, OUTPUT_FLUSH_INTERVAL_MS],
  ['after input (expedite), the reply is appended the moment it comes', true, 5],
])('%s', async (_name, expedite, appendedAt) => {
  const clock = new FakeClock();
  const memory = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  const appends: number[] = [];
  const watched: ObjectStore = Object.create(memory);
  watched.append = (key, body, position) => {
    appends.push(clock.now() - FAKE_EPOCH);
    return memory.append(key, body, position);
  };
  const sink = new OutputSink(watched, 'out', 1024, clock);
  if (expedite) sink.expedite();
  sink.push(Buffer.from('x\r\n'));
  await clock.advance(5);
  sink.push(Buffer.from('Input data:  x\r\n'));
  await clock.advance(OUTPUT_FLUSH_INTERVAL_MS);
  expect(appends).toEqual([0, appendedAt]);
  expect((await memory.get('out')).data.toString()).toBe('x\r\nInput data:  x\r\n');
});
