import { isStoreError, type ObjectStore } from './ports';

/** A JSON object from the store, or null when the key does not exist. */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | null> {
  try {
    return JSON.parse((await store.get(key)).data.toString('utf8')) as T;
  } catch (err) {
    if (isStoreError(err, 'NotFound')) return null;
    throw err;
  }
}
