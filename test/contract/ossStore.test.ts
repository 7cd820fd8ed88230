import * as http from 'http';
import type { AddressInfo } from 'net';
import { OssObjectStore } from '../../adapters/storage/ossStore';
import type { OssStoreOptions } from '../../adapters/storage/ossStore';
import { isStoreError } from '../../core/ports';
import { FakeOssServer } from '../../local/ossEmulator/fakeOssServer';
import type { FakeOssOptions, RecordedRequest } from '../../local/ossEmulator/fakeOssServer';
import { describeObjectStoreContract } from './objectStoreContract';

const BUCKET = 'pocketrun-test';
const AKID = 'LTAI5tFakeAccessKeyId';
const SECRET = 'fake-secret-of-the-permanent-key';

async function setup(fakeOptions: Partial<FakeOssOptions> = {}, storeOptions: Partial<OssStoreOptions> = {}) {
  const fake = await FakeOssServer.start({
    bucket: BUCKET,
    credentials: [{ accessKeyId: AKID, accessKeySecret: SECRET }],
    ...fakeOptions,
  });
  const store = new OssObjectStore({
    bucket: BUCKET,
    region: 'cn-hangzhou',
    endpoint: fake.url,
    accessKeyId: AKID,
    accessKeySecret: SECRET,
    timeoutMs: 10_000,
    ...storeOptions,
  });
  return { fake, store };
}

describeObjectStoreContract('OssObjectStore against the fake OSS', async () => {
  const { fake, store } = await setup();
  return {
    store,
    async cleanup() {
      await fake.close();
      fake.assertClean();
    },
  };
});

describe('OssObjectStore request shapes', () => {
  let fake: FakeOssServer;
  let store: OssObjectStore;

  const last = (method?: string): RecordedRequest => {
    const matching = fake.requests.filter((r) => !method || r.method === method);
    return matching[matching.length - 1];
  };

  beforeEach(async () => {
    ({ fake, store } = await setup());
  });
  afterEach(async () => {
    await fake.close();
  });

  test('requests are virtual-hosted and V1-signed: Authorization "OSS <AccessKeyId>:<Signature>"', async () => {
    await store.put('runs/x/status.json', '{}');
    const req = last();
    expect(req.headers.host).toBe(`${BUCKET}.oss-cn-hangzhou.aliyuncs.com`);
    expect(req.url).toBe('/runs/x/status.json');
    expect(req.headers.authorization).toMatch(new RegExp(`^OSS ${AKID}:[A-Za-z0-9+/]{27}=$`));
    expect(req.headers['x-oss-date']).toBeDefined();
    expect(req.headers['x-oss-security-token']).toBeUndefined();
    // The fake recomputed the HMAC-SHA1 over the canonical string and found it equal.
    fake.assertClean();
  });

  test('a wrong secret is refused by the signature check, as a plain error', async () => {
    const wrong = new OssObjectStore({ bucket: BUCKET, region: 'cn-hangzhou', endpoint: fake.url, accessKeyId: AKID, accessKeySecret: 'nope' });
    const err = await wrong.put('k', 'v').catch((e: unknown) => e);
    expect(isStoreError(err)).toBe(false);
    expect(String((err as Error).message)).toMatch(/SignatureDoesNotMatch/);
    expect(fake.violations.map((v) => v.code)).toEqual(['SignatureDoesNotMatch']);
  });

  test('put sends x-oss-forbid-overwrite only with ifNotExists', async () => {
    await store.put('runs/x/claim', 'a', { ifNotExists: true });
    expect(last('PUT').headers['x-oss-forbid-overwrite']).toBe('true');
    await store.put('runs/x/status.json', 'b');
    expect(last('PUT').headers['x-oss-forbid-overwrite']).toBeUndefined();
    const conflict = await store.put('runs/x/claim', 'c', { ifNotExists: true }).catch((e: unknown) => e);
    expect(isStoreError(conflict, 'AlreadyExists')).toBe(true);
    expect(last('PUT').status).toBe(409);
    fake.assertClean();
  });

  test('put passes contentType as Content-Type', async () => {
    await store.put('manifests/a', '{}', { contentType: 'application/json' });
    expect(last('PUT').headers['content-type']).toBe('application/json');
    expect(fake.objects.get('manifests/a')?.contentType).toBe('application/json');
  });

  test('append is POST /key?append&position=N and returns x-oss-next-append-position', async () => {
    expect(await store.append('runs/x/output', 'abc', 0)).toEqual({ nextPosition: 3 });
    let req = last('POST');
    expect(req.url).toBe('/runs/x/output?append=&position=0');
    expect(req.query).toEqual({ append: '', position: '0' });
    expect(await store.append('runs/x/output', 'de', 3)).toEqual({ nextPosition: 5 });
    req = last('POST');
    expect(req.query).toEqual({ append: '', position: '3' });
    expect(fake.objects.get('runs/x/output')?.type).toBe('Appendable');
    fake.assertClean();
  });

  test('PositionMismatch takes the length from the 409 header, without another request', async () => {
    await store.append('runs/x/output', 'abc', 0);
    const before = fake.requests.length;
    const err = await store.append('runs/x/output', 'z', 1).catch((e: unknown) => e);
    expect(isStoreError(err, 'PositionMismatch') && err.nextPosition).toBe(3);
    expect(fake.requests.slice(before).map((r) => [r.method, r.status])).toEqual([['POST', 409]]);
  });

  test('PositionMismatch falls back to HEAD when the 409 carries no position', async () => {
    await fake.close();
    ({ fake, store } = await setup({ nextPositionOn409: false }));
    await store.append('runs/x/output', 'abcd', 0);
    const before = fake.requests.length;
    const err = await store.append('runs/x/output', 'z', 1).catch((e: unknown) => e);
    expect(isStoreError(err, 'PositionMismatch') && err.nextPosition).toBe(4);
    expect(fake.requests.slice(before).map((r) => r.method)).toEqual(['POST', 'HEAD']);
    fake.assertClean();
  });

  test('ObjectNotAppendable maps to NotAppendable', async () => {
    await store.put('runs/x/status.json', '{}');
    const err = await store.append('runs/x/status.json', 'z', 2).catch((e: unknown) => e);
    expect(isStoreError(err, 'NotAppendable')).toBe(true);
    expect(last('POST').status).toBe(409);
  });

  test('a ranged get sends Range with x-oss-range-behavior: standard; a plain get sends neither', async () => {
    await store.put('runs/x/output', '0123456789');
    await store.get('runs/x/output', { start: 2, end: 5 });
    expect(last('GET').headers.range).toBe('bytes=2-5');
    expect(last('GET').headers['x-oss-range-behavior']).toBe('standard');
    await store.get('runs/x/output', { start: 4 });
    expect(last('GET').headers.range).toBe('bytes=4-');
    expect(last('GET').headers['x-oss-range-behavior']).toBe('standard');
    await store.get('runs/x/output');
    expect(last('GET').headers.range).toBeUndefined();
    fake.assertClean();
  });

  test('a range at the end is one 416 request; its Content-Range gives the size', async () => {
    await store.put('runs/x/output', '0123456789');
    const before = fake.requests.length;
    expect(await store.get('runs/x/output', { start: 10 })).toEqual({ data: Buffer.alloc(0), size: 10 });
    expect(fake.requests.slice(before).map((r) => [r.method, r.status])).toEqual([['GET', 416]]);
  });

  test('without Content-Range on the 416 the size comes from a HEAD', async () => {
    await fake.close();
    ({ fake, store } = await setup({ contentRangeOn416: false }));
    await store.put('runs/x/output', '0123456789');
    const before = fake.requests.length;
    expect(await store.get('runs/x/output', { start: 12 })).toEqual({ data: Buffer.alloc(0), size: 10 });
    expect(fake.requests.slice(before).map((r) => [r.method, r.status])).toEqual([
      ['GET', 416],
      ['HEAD', 200],
    ]);
    fake.assertClean();
  });

  test('list follows markers until the listing is complete', async () => {
    await fake.close();
    ({ fake, store } = await setup({ maxKeysCap: 2 }));
    const keys = ['runs/a/1', 'runs/a/2', 'runs/b/1', 'runs/c', 'runs/d/x/y', 'other'];
    for (const k of keys) await store.put(k, k);
    const before = fake.requests.length;
    const listed = await store.list('runs/');
    expect(listed.map((m) => m.key)).toEqual(['runs/a/1', 'runs/a/2', 'runs/b/1', 'runs/c', 'runs/d/x/y']);
    expect(listed.every((m) => m.size === m.key.length && m.lastModified instanceof Date && /^"[0-9A-F]{32}"$/.test(m.etag))).toBe(true);
    const pages = fake.requests.slice(before);
    expect(pages.map((r) => r.query)).toEqual([
      { 'max-keys': '1000', prefix: 'runs/' },
      { 'max-keys': '1000', prefix: 'runs/', marker: 'runs/a/2' },
      { 'max-keys': '1000', prefix: 'runs/', marker: 'runs/c' },
    ]);
    expect(pages.every((r) => r.method === 'GET' && r.key === '')).toBe(true);
    fake.assertClean();
  });

  test('head maps 404 to null and reads size, etag and Last-Modified', async () => {
    expect(await store.head('runs/none')).toBeNull();
    await store.put('runs/x', 'hello');
    const meta = await store.head('runs/x');
    expect(meta).toMatchObject({ key: 'runs/x', size: 5, etag: fake.objects.get('runs/x')!.etag });
    expect(Math.abs(meta!.lastModified.getTime() - fake.objects.get('runs/x')!.lastModified.getTime())).toBeLessThan(1000);
  });

  test('invalid keys are refused before any request', async () => {
    await expect(store.get('../x')).rejects.toThrow(/invalid object key/);
    await expect(store.put('', 'x')).rejects.toThrow(/invalid object key/);
    expect(fake.requests).toEqual([]);
  });

  test('infrastructure failures are plain errors naming the operation', async () => {
    const elsewhere = new OssObjectStore({
      bucket: 'another-bucket',
      region: 'cn-hangzhou',
      endpoint: fake.url,
      accessKeyId: AKID,
      accessKeySecret: SECRET,
    });
    const err = await elsewhere.head('k').catch((e: unknown) => e);
    expect(isStoreError(err)).toBe(false);
    expect((err as Error).message).toMatch(/^OSS HeadObject another-bucket\/k failed/);
  });

  test('a 404 that is not NoSuchKey (a missing bucket) is a plain error, not a missing object', async () => {
    // Real OSS answers NoSuchBucket with a 404 too; the fake has one bucket per server, so a one-line server plays it.
    const server = http.createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/xml', 'x-oss-request-id': 'REQ1' });
      res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message></Error>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const gone = new OssObjectStore({ bucket: 'gone', region: 'cn-hangzhou', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, accessKeyId: AKID, accessKeySecret: SECRET });
    try {
      for (const range of [undefined, { start: 3 }]) {
        const err = await gone.get('k', range).catch((e: unknown) => e);
        expect(isStoreError(err)).toBe(false);
        expect((err as Error).message).toMatch(/^OSS GetObject gone\/k failed \(NoSuchBucket, 404/);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('credentials', () => {
    const STS = { accessKeyId: 'STS.NfakeTemporaryId', accessKeySecret: 'temporary-secret', stsToken: 'CAIS-fake-security-token' };

    test('setCredentials switches to the STS key and sends x-oss-security-token', async () => {
      fake.addCredentials(STS);
      await store.put('a', '1');
      expect(last().headers.authorization).toMatch(new RegExp(`^OSS ${AKID}:`));
      store.setCredentials(STS);
      await store.put('b', '2');
      await store.append('c', '3', 0);
      await store.get('b', { start: 0 });
      for (const req of fake.requests.slice(1)) {
        expect(req.headers.authorization).toMatch(/^OSS STS\.NfakeTemporaryId:/);
        expect(req.headers['x-oss-security-token']).toBe(STS.stsToken);
      }
      fake.assertClean();
    });

    test('the next credentials replace the previous ones', async () => {
      const next = { accessKeyId: 'STS.NnextId', accessKeySecret: 'next-secret', stsToken: 'CAIS-next' };
      fake.addCredentials(STS);
      fake.addCredentials(next);
      store.setCredentials(STS);
      await store.put('a', '1');
      store.setCredentials(next);
      await store.put('b', '2');
      expect(last().headers.authorization).toMatch(/^OSS STS\.NnextId:/);
      expect(last().headers['x-oss-security-token']).toBe('CAIS-next');
      fake.assertClean();
    });

    test('a store can be built before credentials arrive; it refuses to call OSS without them', async () => {
      const early = new OssObjectStore({ bucket: BUCKET, region: 'oss-cn-hangzhou', endpoint: fake.url, accessKeyId: '', accessKeySecret: '' });
      await expect(early.head('a')).rejects.toThrow(/no credentials/);
      fake.addCredentials(STS);
      early.setCredentials(STS);
      expect(await early.head('a')).toBeNull();
      expect(last().headers['x-oss-security-token']).toBe(STS.stsToken);
      fake.assertClean();
    });

    test('the fake rejects a missing STS token, so the header check is real', async () => {
      fake.addCredentials(STS);
      store.setCredentials({ accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret });
      await expect(store.put('a', '1')).rejects.toThrow(/InvalidSecurityToken/);
      expect(fake.violations.map((v) => v.code)).toEqual(['InvalidSecurityToken']);
    });
  });
});
