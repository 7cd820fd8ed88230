/**
 * ObjectStore in memory, with OSS's semantics, so the core can be tested without a disk or a server: appendable
 * objects with exact positions (`PositionMismatch` carrying the length), `NotAppendable` for objects made by `put`,
 * forbid-overwrite puts, and standard range behaviour (a range at or past the end is empty, not the whole object).
 *
 * Every check-and-write happens within one synchronous step of an async method, so concurrent calls are
 * serialised exactly as storage serialises them: of two racing appends at the same position one wins.
 * Stored and returned bytes are copies: a caller reusing its buffer cannot change what is stored.
 */
import { assertValidObjectKey } from '../../core/objectKey';
import type { ByteRange, GetResult, ObjectMeta, ObjectStore, PutOptions } from '../../core/ports';
import { StoreError } from '../../core/ports';
import { assertValidPosition, assertValidPrefix, assertValidRange, rangeBounds, toBuffer } from './storeArguments';

export interface MemoryStoreOptions {
  bucket?: string;
  /** Stamps `lastModified`; tests on a fake clock pass theirs so stored times agree with it. */
  now?: () => number;
}

interface StoredObject {
  data: Buffer;
  appendable: boolean;
  lastModified: Date;
  etag: string;
}

export class MemoryStore implements ObjectStore {
  readonly bucket: string;
  private readonly objects = new Map<string, StoredObject>();
  private readonly now: () => number;
  /** Every write gets a new etag, even one that stores the same bytes again (OSS's etag would not change then). */
  private generation = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.bucket = options.bucket ?? 'memory';
    this.now = options.now ?? Date.now;
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
    assertValidObjectKey(key);
    if (options.ifNotExists && this.objects.has(key)) throw new StoreError('AlreadyExists', key);
    this.store(key, copyOf(body), false);
  }

  async get(key: string, range?: ByteRange): Promise<GetResult> {
    assertValidObjectKey(key);
    assertValidRange(range);
    const object = this.objects.get(key);
    if (!object) throw new StoreError('NotFound', key);
    const size = object.data.length;
    const [start, end] = rangeBounds(range, size);
    if (start === end) return { data: Buffer.alloc(0), size };
    return { data: Buffer.from(object.data.subarray(start, end)), size };
  }

  async append(key: string, body: Buffer | string, position: number): Promise<{ nextPosition: number }> {
    assertValidObjectKey(key);
    assertValidPosition(position);
    const object = this.objects.get(key);
    if (object && !object.appendable) throw new StoreError('NotAppendable', key);
    const size = object?.data.length ?? 0;
    if (position !== size) throw new StoreError('PositionMismatch', key, size);
    const data = object ? Buffer.concat([object.data, toBuffer(body)]) : copyOf(body);
    this.store(key, data, true);
    return { nextPosition: data.length };
  }

  async head(key: string): Promise<ObjectMeta | null> {
    assertValidObjectKey(key);
    const object = this.objects.get(key);
    return object ? metaOf(key, object) : null;
  }

  async list(prefix: string): Promise<ObjectMeta[]> {
    assertValidPrefix(prefix);
    const found = [...this.objects].filter(([key]) => key.startsWith(prefix));
    // OSS lists in UTF-8 byte order, which differs from JavaScript's UTF-16 order for characters past U+FFFF.
    found.sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    return found.map(([key, object]) => metaOf(key, object));
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    this.objects.delete(key);
  }

  private store(key: string, data: Buffer, appendable: boolean): void {
    this.generation += 1;
    this.objects.set(key, { data, appendable, lastModified: new Date(this.now()), etag: `"mem-${this.generation}"` });
  }
}

function metaOf(key: string, object: StoredObject): ObjectMeta {
  return { key, size: object.data.length, lastModified: object.lastModified, etag: object.etag };
}

function copyOf(body: Buffer | string): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
}
