import { MemoryStore } from '../../adapters/storage/memoryStore';
import { describeObjectStoreContract } from './objectStoreContract';

describeObjectStoreContract('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => undefined }));

describe('MemoryStore', () => {
  test('stored bytes are copies: reusing the caller buffer or mutating a read changes nothing', async () => {
    const store = new MemoryStore();
    const body = Buffer.from('abc');
    await store.put('k', body);
    await store.append('log', body, 0);
    body.write('xyz');
    (await store.get('k')).data.write('q');
    expect((await store.get('k')).data.toString()).toBe('abc');
    expect((await store.get('log')).data.toString()).toBe('abc');
  });

  test('lastModified comes from the clock it is given', async () => {
    const store = new MemoryStore({ now: () => Date.parse('2030-05-06T07:08:09Z') });
    await store.put('k', 'v');
    expect((await store.head('k'))?.lastModified.toISOString()).toBe('2030-05-06T07:08:09.000Z');
  });
});
