/**
 * A store that reports every request it makes, for the bench's figures (requests per run by type, requests a second,
 * bytes written) and for tests that hold the protocol to its request budget. It wraps any ObjectStore and keeps its
 * class (a Proxy: `instanceof` still holds, and methods beyond the port, such as fsStore's trigger subscription, reach
 * the store untouched), so the local platform can count the very buckets it runs on.
 */
import type { ObjectStore } from '../../core/ports';

/** The requests of the port, named as OSS bills them. */
export type RequestKind = 'PUT' | 'GET' | 'APPEND' | 'HEAD' | 'LIST' | 'DELETE';

export interface StoreRequest {
  kind: RequestKind;
  bucket: string;
  /** The key, or the prefix of a LIST. */
  key: string;
  /** Body bytes sent (PUT, APPEND); 0 otherwise. */
  bytes: number;
  /** Whether the store answered with success (a NotFound or a PositionMismatch is still a request made). */
  ok: boolean;
}

/** `watch` is no request (a local hint, ObjectStore.watch): it passes through uncounted. */
const KINDS: Record<keyof Omit<ObjectStore, 'bucket' | 'watch'>, RequestKind> = {
  put: 'PUT',
  get: 'GET',
  append: 'APPEND',
  head: 'HEAD',
  list: 'LIST',
  delete: 'DELETE',
};

export function countRequests<S extends ObjectStore>(store: S, report: (request: StoreRequest) => void): S {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const kind = KINDS[property as keyof typeof KINDS];
      if (!kind) return value.bind(target);
      return async (key: string, ...rest: unknown[]) => {
        const body = kind === 'PUT' || kind === 'APPEND' ? rest[0] : undefined;
        const bytes = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : (body as Buffer).length;
        let ok = false;
        try {
          const result = await (value as (...args: unknown[]) => Promise<unknown>).call(target, key, ...rest);
          ok = true;
          return result;
        } finally {
          report({ kind, bucket: target.bucket, key, bytes, ok });
        }
      };
    },
  });
}
