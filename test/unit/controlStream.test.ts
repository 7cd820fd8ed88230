/**
 * The control stream's reader (core/controlStream.ts) over a memory bucket: records in order, each complete line
 * once, and a keyed record (a client's retry, core/idempotencyKey.ts) applied once however often it was appended.
 */
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { appendControl, ControlReader } from '../../core/controlStream';
import { keys, type ControlRecord } from '../../core/protocol';

const RUN = 'r_controlstream0000000001';

async function appendAll(store: MemoryStore, records: ControlRecord[]): Promise<void> {
  let position = 0;
  for (const record of records) position = await appendControl(store, RUN, record, position);
}

test.each<[string, ControlRecord[], ControlRecord[]]>([
  ['records without keys are all read, in order', [{ t: 'in', d: 'a\n' }, { t: 'in', d: 'a\n' }, { t: 'kill' }], [{ t: 'in', d: 'a\n' }, { t: 'in', d: 'a\n' }, { t: 'kill' }]],
  [
    'a key seen before is a retry: its record is read once',
    [{ t: 'in', d: 'a\n', k: 'p-1' }, { t: 'in', d: 'a\n', k: 'p-1' }, { t: 'in', d: 'b\n', k: 'p-2' }],
    [{ t: 'in', d: 'a\n', k: 'p-1' }, { t: 'in', d: 'b\n', k: 'p-2' }],
  ],
  [
    'the same text under two keys is two lines typed',
    [{ t: 'in', d: 'a\n', k: 'p-1' }, { t: 'in', d: 'a\n', k: 'p-2' }],
    [{ t: 'in', d: 'a\n', k: 'p-1' }, { t: 'in', d: 'a\n', k: 'p-2' }],
  ],
  [
    'keyed and unkeyed records mix; a retry after other records still counts once',
    [{ t: 'in', d: 'x', k: 'q-1' }, { t: 'resize', cols: 90, rows: 20 }, { t: 'in', d: 'x', k: 'q-1' }, { t: 'in', d: 'y' }],
    [{ t: 'in', d: 'x', k: 'q-1' }, { t: 'resize', cols: 90, rows: 20 }, { t: 'in', d: 'y' }],
  ],
])('%s', async (_name, appended, read) => {
  const store = new MemoryStore();
  await appendAll(store, appended);
  expect(await new ControlReader(store, RUN).poll()).toEqual(read);
});

test('a retry that lands after its first copy was read (a later poll) is still applied once', async () => {
  const store = new MemoryStore();
  const reader = new ControlReader(store, RUN);
  const end = await appendControl(store, RUN, { t: 'in', d: 'a\n', k: 'p-1' }, 0);
  expect(await reader.poll()).toEqual([{ t: 'in', d: 'a\n', k: 'p-1' }]);
  const next = await appendControl(store, RUN, { t: 'in', d: 'a\n', k: 'p-1' }, end);
  await appendControl(store, RUN, { t: 'in', d: 'b\n', k: 'p-2' }, next);
  expect(await reader.poll()).toEqual([{ t: 'in', d: 'b\n', k: 'p-2' }]);
});

test('a line whose key is not a string is dropped, not applied without its key', async () => {
  const store = new MemoryStore();
  await store.append(keys.control(RUN), Buffer.from('{"t":"in","d":"a\\n","k":7}\n{"t":"in","d":"b\\n"}\n'), 0);
  expect(await new ControlReader(store, RUN).poll()).toEqual([{ t: 'in', d: 'b\n' }]);
});
