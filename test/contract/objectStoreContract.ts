/**
 * The ObjectStore contract of core/ports.ts, as one table of cases every adapter must pass. Each case gets a fresh,
 * empty store from `make()`.
 */
import { isStoreError, StoreError } from '../../core/ports';
import type { ObjectStore } from '../../core/ports';

export interface ContractSubject {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

type Case = [title: string, run: (store: ObjectStore) => Promise<void>];

const MiB = 1024 * 1024;

/** Resolves to the error `promise` rejected with; fails when it resolves. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection, but the call succeeded');
}

async function storeError(promise: Promise<unknown>, code: StoreError['code']): Promise<StoreError> {
  const err = await failure(promise);
  if (!isStoreError(err, code)) throw new Error(`expected StoreError ${code}, got ${String(err)}`);
  return err;
}

/** A programming error (bad key or argument) is a plain Error, never a protocol outcome. */
async function plainError(promise: Promise<unknown>): Promise<void> {
  const err = await failure(promise);
  expect(err).toBeInstanceOf(Error);
  expect(isStoreError(err)).toBe(false);
}

const text = (b: Buffer) => b.toString('utf8');

const allBytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7 + 3) % 256));

const cases: Case[] = [
  // ---------------------------------------------------------------- put / get
  ['put then get returns binary bytes unchanged', async (s) => {
    await s.put('bin/all-bytes', allBytes);
    const got = await s.get('bin/all-bytes');
    expect(Buffer.compare(got.data, allBytes)).toBe(0);
    expect(got.size).toBe(allBytes.length);
  }],
  ['a string body is stored as UTF-8', async (s) => {
    const body = 'héllo, мир, 世界 🌍\n';
    await s.put('utf8/greeting.txt', body);
    const got = await s.get('utf8/greeting.txt');
    expect(text(got.data)).toBe(body);
    expect(got.size).toBe(Buffer.byteLength(body));
  }],
  ['a 1 MiB object round-trips', async (s) => {
    const big = Buffer.alloc(MiB);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    await s.put('big/one-mib', big);
    const got = await s.get('big/one-mib');
    expect(got.size).toBe(MiB);
    expect(Buffer.compare(got.data, big)).toBe(0);
  }],
  ['an empty object exists and reads empty', async (s) => {
    await s.put('empty/obj', '');
    expect(await s.get('empty/obj')).toEqual({ data: Buffer.alloc(0), size: 0 });
    expect((await s.head('empty/obj'))?.size).toBe(0);
  }],
  ['keys with spaces, punctuation and non-ASCII work', async (s) => {
    const key = 'odd/a b+c&d=e%20f#g?h;ü 文件.txt';
    await s.put(key, 'odd');
    expect(text((await s.get(key)).data)).toBe('odd');
    expect((await s.head(key))?.key).toBe(key);
    expect((await s.list('odd/')).map((m) => m.key)).toEqual([key]);
  }],
  ['a key of 1023 bytes is accepted', async (s) => {
    const folders = Array.from({ length: 10 }, (_, i) => String(i).repeat(99)).join('/');
    const key = `${folders}/${'k'.repeat(1023 - folders.length - 1)}`;
    expect(Buffer.byteLength(key)).toBe(1023);
    await s.put(key, 'long');
    expect(text((await s.get(key)).data)).toBe('long');
  }],
  ['put overwrites', async (s) => {
    await s.put('ow/x', 'first version');
    const before = await s.head('ow/x');
    await s.put('ow/x', 'second');
    expect(text((await s.get('ow/x')).data)).toBe('second');
    const after = await s.head('ow/x');
    expect(after?.size).toBe(6);
    expect(after?.etag).not.toBe(before?.etag);
  }],
  ['put with ifNotExists creates, then refuses with AlreadyExists and keeps the content', async (s) => {
    await s.put('claim/a', 'mine', { ifNotExists: true });
    const err = await storeError(s.put('claim/a', 'theirs', { ifNotExists: true }), 'AlreadyExists');
    expect(err.key).toBe('claim/a');
    expect(text((await s.get('claim/a')).data)).toBe('mine');
  }],
  ['ifNotExists also refuses over an appendable object', async (s) => {
    await s.append('claim/b', 'log', 0);
    await storeError(s.put('claim/b', 'x', { ifNotExists: true }), 'AlreadyExists');
    expect(text((await s.get('claim/b')).data)).toBe('log');
  }],
  ['concurrent ifNotExists puts: exactly one wins', async (s) => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => s.put('claim/race', `writer ${i}`, { ifNotExists: true })),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(isStoreError(r.reason, 'AlreadyExists')).toBe(true);
    expect(text((await s.get('claim/race')).data)).toBe(`writer ${won[0]}`);
  }],

  // ---------------------------------------------------------------- ranges
  ['a range inside the object', async (s) => {
    await s.put('r/x', '0123456789');
    expect(await s.get('r/x', { start: 2, end: 5 })).toEqual({ data: Buffer.from('2345'), size: 10 });
    expect(await s.get('r/x', { start: 0, end: 0 })).toEqual({ data: Buffer.from('0'), size: 10 });
    expect(await s.get('r/x', { start: 9, end: 9 })).toEqual({ data: Buffer.from('9'), size: 10 });
  }],
  ['an open-ended range reads to the end', async (s) => {
    await s.put('r/x', '0123456789');
    expect(await s.get('r/x', { start: 7 })).toEqual({ data: Buffer.from('789'), size: 10 });
    expect(await s.get('r/x', { start: 0 })).toEqual({ data: Buffer.from('0123456789'), size: 10 });
  }],
  ['a range starting exactly at the end is empty, with the size', async (s) => {
    await s.put('r/x', '0123456789');
    expect(await s.get('r/x', { start: 10 })).toEqual({ data: Buffer.alloc(0), size: 10 });
    expect(await s.get('r/x', { start: 10, end: 20 })).toEqual({ data: Buffer.alloc(0), size: 10 });
  }],
  ['a range past the end is empty, not the whole object', async (s) => {
    await s.put('r/x', '0123456789');
    const got = await s.get('r/x', { start: 25 });
    expect(got.data.length).toBe(0);
    expect(got.size).toBe(10);
    expect(await s.get('r/x', { start: 11, end: 12 })).toEqual({ data: Buffer.alloc(0), size: 10 });
  }],
  ['a range end past the object is clamped', async (s) => {
    await s.put('r/x', '0123456789');
    expect(await s.get('r/x', { start: 6, end: 1000 })).toEqual({ data: Buffer.from('6789'), size: 10 });
  }],
  ['a range on an empty object is empty', async (s) => {
    await s.put('r/empty', '');
    expect(await s.get('r/empty', { start: 0 })).toEqual({ data: Buffer.alloc(0), size: 0 });
  }],
  ['ranges read appended objects as they grow', async (s) => {
    await s.append('r/log', 'abc', 0);
    expect(await s.get('r/log', { start: 3 })).toEqual({ data: Buffer.alloc(0), size: 3 });
    await s.append('r/log', 'def', 3);
    expect(await s.get('r/log', { start: 3 })).toEqual({ data: Buffer.from('def'), size: 6 });
  }],
  ['an invalid range is a programming error', async (s) => {
    await s.put('r/x', '0123456789');
    await plainError(s.get('r/x', { start: -1 }));
    await plainError(s.get('r/x', { start: 5, end: 4 }));
    await plainError(s.get('r/x', { start: 1.5 }));
  }],

  // ---------------------------------------------------------------- missing objects
  ['get of a missing key throws NotFound, with or without a range', async (s) => {
    expect((await storeError(s.get('missing/x'), 'NotFound')).key).toBe('missing/x');
    await storeError(s.get('missing/x', { start: 0 }), 'NotFound');
    await storeError(s.get('missing/x', { start: 5, end: 9 }), 'NotFound');
  }],
  ['head of a missing key is null', async (s) => {
    expect(await s.head('missing/x')).toBeNull();
  }],
  ['head describes an object', async (s) => {
    const t0 = Date.now();
    await s.put('h/x', 'twelve bytes');
    const meta = await s.head('h/x');
    expect(meta).not.toBeNull();
    expect(meta!.key).toBe('h/x');
    expect(meta!.size).toBe(12);
    expect(typeof meta!.etag).toBe('string');
    expect(meta!.etag.length).toBeGreaterThan(0);
    expect(meta!.lastModified).toBeInstanceOf(Date);
    // OSS reports whole seconds.
    expect(meta!.lastModified.getTime()).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000 - 1000);
    expect(meta!.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  }],

  // ---------------------------------------------------------------- append
  ['append at 0 creates the object', async (s) => {
    expect(await s.append('a/log', 'hello', 0)).toEqual({ nextPosition: 5 });
    expect(await s.get('a/log')).toEqual({ data: Buffer.from('hello'), size: 5 });
  }],
  ['chained appends concatenate, each returning the next position', async (s) => {
    let pos = 0;
    const parts = ['one ', Buffer.from([0, 1, 2, 255]), ' three ', 'четыре'];
    for (const part of parts) pos = (await s.append('a/chain', part, pos)).nextPosition;
    const expected = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    expect(pos).toBe(expected.length);
    expect(Buffer.compare((await s.get('a/chain')).data, expected)).toBe(0);
  }],
  ['append changes head size and etag', async (s) => {
    await s.append('a/meta', 'abc', 0);
    const first = await s.head('a/meta');
    await s.append('a/meta', 'de', 3);
    const second = await s.head('a/meta');
    expect(first?.size).toBe(3);
    expect(second?.size).toBe(5);
    expect(second?.etag).not.toBe(first?.etag);
  }],
  ['append at the wrong position throws PositionMismatch carrying the length', async (s) => {
    await s.append('a/pm', 'abc', 0);
    let err = await storeError(s.append('a/pm', 'x', 1), 'PositionMismatch');
    expect(err.nextPosition).toBe(3);
    expect(err.key).toBe('a/pm');
    err = await storeError(s.append('a/pm', 'x', 10), 'PositionMismatch');
    expect(err.nextPosition).toBe(3);
    err = await storeError(s.append('a/pm', 'x', 0), 'PositionMismatch');
    expect(err.nextPosition).toBe(3);
    expect(text((await s.get('a/pm')).data)).toBe('abc');
    expect((await s.append('a/pm', 'd', err.nextPosition!)).nextPosition).toBe(4);
  }],
  ['append at a non-zero position to a missing key throws PositionMismatch 0', async (s) => {
    const err = await storeError(s.append('a/none', 'x', 4), 'PositionMismatch');
    expect(err.nextPosition).toBe(0);
    expect(await s.head('a/none')).toBeNull();
  }],
  ['append to an object created by put throws NotAppendable', async (s) => {
    await s.put('a/normal', 'abc');
    expect((await storeError(s.append('a/normal', 'x', 3), 'NotAppendable')).key).toBe('a/normal');
    await storeError(s.append('a/normal', 'x', 0), 'NotAppendable');
    expect(text((await s.get('a/normal')).data)).toBe('abc');
  }],
  ['put over an appendable object makes it normal', async (s) => {
    await s.append('a/flip', 'abc', 0);
    await s.put('a/flip', 'xyz');
    await storeError(s.append('a/flip', 'x', 3), 'NotAppendable');
  }],
  ['an appendable object can be deleted and recreated by append', async (s) => {
    await s.append('a/again', 'abc', 0);
    await s.delete('a/again');
    expect(await s.append('a/again', 'x', 0)).toEqual({ nextPosition: 1 });
    expect(text((await s.get('a/again')).data)).toBe('x');
  }],
  ['concurrent appends at the same position: exactly one wins, the rest learn the new length', async (s) => {
    await s.append('a/race', 'head|', 0);
    const bodies = Array.from({ length: 8 }, (_, i) => `writer-${i}|`.repeat(3));
    const results = await Promise.allSettled(bodies.map((b) => s.append('a/race', b, 5)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    const winner = bodies[won[0]];
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(isStoreError(r.reason, 'PositionMismatch')).toBe(true);
        expect((r.reason as StoreError).nextPosition).toBe(5 + winner.length);
      }
    }
    expect(text((await s.get('a/race')).data)).toBe(`head|${winner}`);
  }],
  ['concurrent appenders retrying on mismatch each land exactly once', async (s) => {
    const writers = 5;
    const perWriter = 6;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        let pos = 0;
        for (let i = 0; i < perWriter; i++) {
          const record = `w${w}-r${i};`;
          for (;;) {
            try {
              pos = (await s.append('a/many', record, pos)).nextPosition;
              break;
            } catch (err) {
              if (!isStoreError(err, 'PositionMismatch')) throw err;
              pos = err.nextPosition!;
            }
          }
        }
      }),
    );
    const records = text((await s.get('a/many')).data).split(';').filter(Boolean);
    expect(records).toHaveLength(writers * perWriter);
    expect(new Set(records).size).toBe(writers * perWriter);
    for (let w = 0; w < writers; w++) {
      const mine = records.filter((r) => r.startsWith(`w${w}-`));
      expect(mine).toEqual(Array.from({ length: perWriter }, (_, i) => `w${w}-r${i}`));
    }
  }],
  ['an invalid append position is a programming error', async (s) => {
    await plainError(s.append('a/bad', 'x', -1));
    await plainError(s.append('a/bad', 'x', 0.5));
  }],

  // ---------------------------------------------------------------- list
  ['list returns every object under a prefix, in key order', async (s) => {
    const keys = ['p/b', 'p/a/2', 'p/a/10', 'p/a-x', 'p/ab', 'p/z/y/x', 'q/a', 'pa'];
    for (const k of [...keys].reverse()) await s.put(k, k);
    await s.append('p/log', 'abcd', 0);
    const listed = await s.list('p/');
    expect(listed.map((m) => m.key)).toEqual(['p/a-x', 'p/a/10', 'p/a/2', 'p/ab', 'p/b', 'p/log', 'p/z/y/x']);
    const log = listed.find((m) => m.key === 'p/log')!;
    expect(log.size).toBe(4);
    expect(log.lastModified).toBeInstanceOf(Date);
    expect(log.etag).toBe((await s.head('p/log'))!.etag);
  }],
  ['a prefix matches by string, so a folder prefix excludes longer siblings', async (s) => {
    for (const k of ['runs/ab/status.json', 'runs/ab/output', 'runs/abc/status.json', 'runs/abd', 'runs/b/x']) await s.put(k, 'x');
    expect((await s.list('runs/ab/')).map((m) => m.key)).toEqual(['runs/ab/output', 'runs/ab/status.json']);
    expect((await s.list('runs/ab')).map((m) => m.key)).toEqual([
      'runs/ab/output',
      'runs/ab/status.json',
      'runs/abc/status.json',
      'runs/abd',
    ]);
    expect((await s.list('runs/ab/status')).map((m) => m.key)).toEqual(['runs/ab/status.json']);
  }],
  ['an empty prefix lists the whole bucket; an unmatched one lists nothing', async (s) => {
    await s.put('x/1', '1');
    await s.put('y', '2');
    expect((await s.list('')).map((m) => m.key)).toEqual(['x/1', 'y']);
    expect(await s.list('nothing/')).toEqual([]);
    expect(await s.list('x/1/')).toEqual([]);
  }],
  ['list of an empty bucket is empty', async (s) => {
    expect(await s.list('')).toEqual([]);
  }],
  ['list reports sizes matching the content', async (s) => {
    await s.put('sz/a', Buffer.alloc(300));
    await s.put('sz/b', '');
    expect((await s.list('sz/')).map((m) => [m.key, m.size])).toEqual([
      ['sz/a', 300],
      ['sz/b', 0],
    ]);
  }],

  // ---------------------------------------------------------------- delete
  ['delete removes the object', async (s) => {
    await s.put('d/x', 'x');
    await s.put('d/y', 'y');
    await s.delete('d/x');
    expect(await s.head('d/x')).toBeNull();
    await storeError(s.get('d/x'), 'NotFound');
    expect((await s.list('d/')).map((m) => m.key)).toEqual(['d/y']);
  }],
  ['delete is idempotent', async (s) => {
    await s.delete('d/never-existed');
    await s.put('d/x', 'x');
    await s.delete('d/x');
    await s.delete('d/x');
    expect(await s.head('d/x')).toBeNull();
  }],

  // ---------------------------------------------------------------- keys
  ['invalid keys are programming errors for every operation', async (s) => {
    const bad = ['', '/abs', '\\abs', '../escape', 'a/../../escape', 'a/./b', 'a//b', 'trailing/', 'nul\0byte', 'k'.repeat(1024)];
    for (const key of bad) {
      await plainError(s.put(key, 'x'));
      await plainError(s.get(key));
      await plainError(s.append(key, 'x', 0));
      await plainError(s.head(key));
      await plainError(s.delete(key));
    }
    expect(await s.list('')).toEqual([]);
  }],
];

export function describeObjectStoreContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let subject: ContractSubject | undefined;
    beforeEach(async () => {
      subject = await make();
    });
    afterEach(async () => {
      const current = subject;
      subject = undefined;
      await current?.cleanup();
    });
    test.each(cases)('%s', async (_title, run) => {
      await run(subject!.store);
    });
  });
}
