jest.mock('ali-oss', () => (process as any).getBuiltinModule('node:module').createRequire(__filename)('ali-oss'));
import { FakeOssServer } from '../support/fakeOssServer';
import { OssObjectStore } from '../../adapters/ossStore';
test('smoke', async () => {
  const fake = await FakeOssServer.start({ bucket: 'pocketrun-test', credentials: [{ accessKeyId: 'AKID', accessKeySecret: 'SECRET' }] });
  const s = new OssObjectStore({ bucket: 'pocketrun-test', region: 'cn-hangzhou', endpoint: fake.url, accessKeyId: 'AKID', accessKeySecret: 'SECRET' });
  await s.put('a/b c+d&é.txt', 'hello');
  console.log(await s.get('a/b c+d&é.txt'), await s.get('a/b c+d&é.txt', { start: 1, end: 2 }), await s.get('a/b c+d&é.txt', { start: 10 }));
  console.log(await s.append('out', 'abc', 0), await s.append('out', 'de', 3));
  await s.append('out', 'x', 1).catch((e) => console.log(e));
  await s.append('a/b c+d&é.txt', 'x', 5).catch((e) => console.log(e));
  await s.put('out', 'x', { ifNotExists: true }).catch((e) => console.log(e));
  console.log(await s.head('out'), await s.head('nope'), await s.list(''));
  await s.delete('out'); await s.delete('out');
  await s.get('out').catch((e) => console.log(e));
  console.log(JSON.stringify(fake.requests.map(r => [r.method, r.url, r.status, r.headers['content-type'], r.headers.host]), null, 0));
  console.log(fake.violations);
  await fake.close();
});
