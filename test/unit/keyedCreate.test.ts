/**
 * A create under an idempotency key (core/runService.ts `createKeyed`, core/idempotencyKey.ts): a retry names the
 * run its first attempt made, however far that attempt got, and writes nothing twice; another request under the
 * same key is another run. On memory buckets, with the API instances that a retry may reach each a service of its own.
 */
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { ControlReader } from '../../core/controlStream';
import { keyedRunId } from '../../core/idempotencyKey';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import type { ObjectStore } from '../../core/ports';
import { isRunId, keys } from '../../core/protocol';
import { RunService } from '../../core/runService';
import { parseCreateRun } from '../../core/validate';
import { FakeClock } from '../support/fakeClock';

const policy = limitPolicyFromEnv({});
const KEY = '0f9c2d41a7b3e5c8-1';

function buckets() {
  const clock = new FakeClock();
  return { clock, code: new MemoryStore({ bucket: 'code', now: () => clock.now() }), runs: new MemoryStore({ bucket: 'runs', now: () => clock.now() }) };
}

/** An API instance of its own over the shared buckets (a retry may reach another one, which remembers nothing). */
function instance(b: ReturnType<typeof buckets>, code: ObjectStore = b.code) {
  let seed = 0;
  return new RunService({ code, runs: b.runs, clock: b.clock, policy, randomBytes: (n) => Buffer.alloc(n, ++seed) });
}

const manifests = async (code: MemoryStore) => (await code.list('manifests/')).length;
const stdinOf = async (runs: MemoryStore, id: string) => (await new ControlReader(runs, id).poll()).map((r) => (r.t === 'in' ? r.d : r.t));

test('the same key and request name the same run on any instance: one manifest, the stdin once', async () => {
  const b = buckets();
  const request = parseCreateRun({ code: 'print(input())', stdin: 'hi\n', tty: false }, policy);
  const first = await instance(b).create(request, false, {}, KEY);
  const again = await instance(b).create(request, false, {}, KEY);
  const concurrent = await Promise.all([instance(b).create(request, false, {}, KEY), instance(b).create(request, false, {}, KEY)]);
  expect(isRunId(first)).toBe(true);
  expect([again, ...concurrent]).toEqual([first, first, first]);
  expect(await manifests(b.code)).toBe(1);
  expect(await stdinOf(b.runs, first)).toEqual(['hi\n']);
});

test('a first attempt that wrote the stdin and failed before the manifest is finished by its retry, stdin once', async () => {
  const b = buckets();
  const request = parseCreateRun({ code: 'print(input())', stdin: 'hi\n', tty: false }, policy);
  const failing: ObjectStore = Object.create(b.code);
  failing.put = async () => {
    throw new Error('connection reset');
  };
  await expect(instance(b, failing).create(request, false, {}, KEY)).rejects.toThrow('connection reset');
  expect(await manifests(b.code)).toBe(0);
  const id = await instance(b).create(request, false, {}, KEY);
  expect(await manifests(b.code)).toBe(1);
  expect(await stdinOf(b.runs, id)).toEqual(['hi\n']);
});

test.each<[string, Record<string, unknown>, Record<string, unknown>, string, string]>([
  ['another code under the same key is another run', { code: 'print(1)' }, { code: 'print(2)' }, KEY, KEY],
  ['another size under the same key is another run', { code: 'print(1)', cols: 80 }, { code: 'print(1)', cols: 81 }, KEY, KEY],
  ['the same request under another key is another run', { code: 'print(1)' }, { code: 'print(1)' }, KEY, `${KEY}0`],
])('%s', async (_name, one, two, keyOne, keyTwo) => {
  const b = buckets();
  const a = await instance(b).create(parseCreateRun(one, policy), true, {}, keyOne);
  const c = await instance(b).create(parseCreateRun(two, policy), true, {}, keyTwo);
  expect(c).not.toBe(a);
  expect(await manifests(b.code)).toBe(2);
});

test('the fields in another order are the same request (they are read in the order sent)', () => {
  const one = parseCreateRun({ code: 'print(1)', language: 'python', cols: 90 }, policy);
  const two = parseCreateRun({ cols: 90, language: 'python', code: 'print(1)' }, policy);
  expect(Object.keys(one)).not.toEqual(Object.keys(two));
  expect(keyedRunId(KEY, { request: one })).toBe(keyedRunId(KEY, { request: two }));
});

test('without a key, every create is a run of its own', async () => {
  const b = buckets();
  const service = instance(b);
  const request = parseCreateRun({ code: 'print(1)' }, policy);
  expect(await service.create(request)).not.toBe(await service.create(request));
});
