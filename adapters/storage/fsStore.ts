/**
 * ObjectStore over a folder, with OSS's semantics, for the local platform: object `<key>` of bucket `<bucket>` is the
 * file `<root>/<bucket>/<key>`. Several processes (the API and the executors) share the folder, so everything that
 * must be atomic is atomic across processes, not just within this one.
 *
 * - `put` writes a temporary file and renames it over the object, so readers see the old bytes or the new ones.
 *   `ifNotExists` hard-links the temporary file instead: `link` fails with EEXIST when the object exists, atomically.
 * - Appendable objects (OSS `x-oss-object-type: Appendable`) are files with the owner-execute bit (0o100) set; files
 *   written by `put` never have it. The mode travels with the inode, so a `put` over an appendable object makes it
 *   Normal in the same rename.
 * - `append` holds an exclusive lock file (`open(..., 'wx')`) next to the object around its check-and-write. A lock
 *   older than LOCK_STALE_MS belongs to a process that died holding it and is broken.
 * - Temporary and lock files live next to the object and are named `.~<kind>.…`; a key segment may not start with
 *   `.~`, and `list` never shows such files.
 *
 * Limits of the emulation: a key cannot also be the folder of other keys (`a` and `a/b` cannot both exist, which OSS
 * allows); `contentType` is not stored; `onObjectCreated` fires only for writes made through this instance, in this
 * process (the local platform runs its trigger emulation where the code bucket is written).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, watch as watchFolder, promises as fsp } from 'node:fs';
import type { BigIntStats, Dirent } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { assertValidObjectKey } from '../../core/objectKey';
import type { ByteRange, Disposable, GetResult, ObjectMeta, ObjectStore, PutOptions } from '../../core/ports';
import { StoreError } from '../../core/ports';
import { assertValidPosition, assertValidPrefix, assertValidRange, rangeBounds, toBuffer } from './storeArguments';

export type ObjectCreatedEvent = ObjectMeta & { bucket: string; event: 'PutObject' | 'AppendObject' };

export interface FsObjectStoreOptions {
  root: string;
  bucket: string;
}

const RESERVED_PREFIX = '.~';
const TMP_PREFIX = '.~tmp.';
const LOCK_PREFIX = '.~lock.';
const APPENDABLE_BIT = 0o100;
/** An append holds the lock for a few milliseconds; a lock this old was left by a process that died. */
const LOCK_STALE_MS = 5_000;
const LOCK_TIMEOUT_MS = 30_000;
/** Retries when another process removed an empty folder between our mkdir and our write. */
const FOLDER_RACE_RETRIES = 8;

export class FsObjectStore implements ObjectStore {
  readonly bucket: string;
  /** `<root>/<bucket>`, absolute. */
  readonly folder: string;
  private readonly listeners = new Set<(event: ObjectCreatedEvent) => void>();
  /** Appends to one file from this process queue here, so they do not spin on the lock file against each other. */
  private readonly lockQueues = new Map<string, Promise<void>>();

  constructor(options: FsObjectStoreOptions) {
    const { root, bucket } = options;
    if (!bucket || bucket.includes('/') || bucket.includes('\\') || bucket.includes('\0') || bucket.startsWith('.')) {
      throw new Error(`invalid bucket name ${JSON.stringify(bucket)}`);
    }
    this.bucket = bucket;
    this.folder = path.resolve(root, bucket);
  }

  /**
   * Called after each successful `put`/`append` made through this instance (OSS's ObjectCreated:PutObject and
   * ObjectCreated:AppendObject), synchronously, before the write's promise settles. In-process only: writes by other
   * processes or other instances over the same folder are not seen.
   */
  onObjectCreated(listener: (event: ObjectCreatedEvent) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
    const file = this.fileOf(key);
    const data = toBuffer(body);
    // Asynchronous, unlike get: creating the temporary file allocates an inode, which on a busy ext4 takes the
    // kernel milliseconds (it skips recently deleted ones), better spent in the thread pool than on the event loop,
    // beside what the caller does meanwhile (the executor writes its running status beside the sandbox's preparation).
    const stat = await this.inFolder(file, async () => {
      const tmp = await writeTemp(file, data, false);
      try {
        if (options.ifNotExists) {
          await fsp.link(tmp.path, file).catch((err) => {
            if (errno(err) === 'EEXIST') throw new StoreError('AlreadyExists', key);
            throw err;
          });
          await unlinkQuietly(tmp.path);
        } else {
          await fsp.rename(tmp.path, file);
        }
      } catch (err) {
        await unlinkQuietly(tmp.path);
        throw err;
      }
      return tmp.stat;
    });
    this.emit('PutObject', metaOf(key, stat));
  }

  /**
   * ObjectStore.watch: inotify on the key's folder, so writes by other processes (the executors) count too. Puts
   * land by a rename or link and appends write in place: both name the key's file. No folder yet (nothing of the
   * run written so far): no hint, the caller's poll finds the object, and its next pause watches again.
   */
  watch(key: string, listener: () => void): Disposable {
    let watcher: ReturnType<typeof watchFolder>;
    try {
      const file = this.fileOf(key);
      const name = path.basename(file);
      watcher = watchFolder(path.dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) listener();
      });
    } catch {
      return { dispose: () => undefined };
    }
    // The folder went (lifecycle expiry): a hint is not owed.
    watcher.on('error', () => watcher.close());
    return { dispose: () => watcher.close() };
  }

  async get(key: string, range?: ByteRange): Promise<GetResult> {
    const file = this.fileOf(key);
    assertValidRange(range);
    // The few system calls of a read made at once, not through fs/promises: there each is a hop to the thread pool
    // and back, and a get cost 200 µs of CPU where the same calls made synchronously cost 14 µs (measured on the
    // bench's VM), on every poll of every run. Objects read here are small and on a local disk; nothing is created.
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      if (isMissing(err)) throw new StoreError('NotFound', key);
      throw err;
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new StoreError('NotFound', key);
      const size = stat.size;
      const [start, end] = rangeBounds(range, size);
      if (start === end) return { data: Buffer.alloc(0), size };
      const data = Buffer.alloc(end - start);
      let filled = 0;
      while (filled < data.length) {
        const bytesRead = readSync(fd, data, filled, data.length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { data: filled === data.length ? data : data.subarray(0, filled), size };
    } finally {
      closeSync(fd);
    }
  }

  async append(key: string, body: Buffer | string, position: number): Promise<{ nextPosition: number }> {
    const file = this.fileOf(key);
    assertValidPosition(position);
    const data = toBuffer(body);
    const stat = await this.inFolder(file, () => this.withLock(file, () => appendLocked(key, file, data, position)));
    this.emit('AppendObject', metaOf(key, stat));
    return { nextPosition: position + data.length };
  }

  async head(key: string): Promise<ObjectMeta | null> {
    const file = this.fileOf(key);
    const stat = await statFile(file);
    return stat ? metaOf(key, stat) : null;
  }

  async list(prefix: string): Promise<ObjectMeta[]> {
    const found = await this.walk(prefix);
    return found.objects;
  }

  async delete(key: string): Promise<void> {
    const file = this.fileOf(key);
    try {
      await fsp.unlink(file);
    } catch (err) {
      // EISDIR/EPERM: the key names a folder of other keys, which as an object does not exist.
      if (isMissing(err) || errno(err) === 'EISDIR' || errno(err) === 'EPERM') return;
      throw err;
    }
    await this.pruneEmptyFolders(path.dirname(file));
  }

  /**
   * The local stand-in for an OSS lifecycle rule: deletes the objects under `prefix` last modified more than `ageMs`
   * before `now`, and returns how many. Temporary and lock files that old (left by crashed processes) go too,
   * uncounted.
   */
  async removeOlderThan(prefix: string, ageMs: number, now: number = Date.now()): Promise<number> {
    const cutoff = now - ageMs;
    const { objects, reserved } = await this.walk(prefix, true);
    let removed = 0;
    for (const meta of objects) {
      if (meta.lastModified.getTime() >= cutoff) continue;
      // It may have been written since the walk.
      const current = await this.head(meta.key);
      if (!current || current.lastModified.getTime() >= cutoff) continue;
      await this.delete(meta.key);
      removed += 1;
    }
    for (const leftover of reserved) {
      const stat = await fsp.stat(leftover).catch(() => null);
      if (!stat || stat.mtimeMs >= cutoff) continue;
      await unlinkQuietly(leftover);
      await this.pruneEmptyFolders(path.dirname(leftover));
    }
    return removed;
  }

  // ------------------------------------------------------------------ internals

  private fileOf(key: string): string {
    assertValidObjectKey(key, RESERVED_PREFIX);
    return path.join(this.folder, ...key.split('/'));
  }

  private emit(event: ObjectCreatedEvent['event'], meta: ObjectMeta): void {
    for (const listener of [...this.listeners]) {
      try {
        listener({ ...meta, bucket: this.bucket, event });
      } catch (err) {
        // The write itself succeeded; a failing listener must not turn it into a reported failure.
        console.error(`fsStore: onObjectCreated listener failed for ${this.bucket}/${meta.key}:`, err);
      }
    }
  }

  /** Creates the object's folder and runs `op`, again if a concurrent `delete` pruned the folder in between. */
  private async inFolder<T>(file: string, op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      await fsp.mkdir(path.dirname(file), { recursive: true });
      try {
        return await op();
      } catch (err) {
        if (errno(err) !== 'ENOENT' || attempt >= FOLDER_RACE_RETRIES) throw err;
      }
    }
  }

  private async withLock<T>(file: string, op: () => Promise<T>): Promise<T> {
    const previous = this.lockQueues.get(file) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    this.lockQueues.set(file, tail);
    await previous;
    try {
      return await withFileLock(lockPathOf(file), op);
    } finally {
      done();
      if (this.lockQueues.get(file) === tail) this.lockQueues.delete(file);
    }
  }

  private async pruneEmptyFolders(folder: string): Promise<void> {
    let current = folder;
    while (current.startsWith(this.folder + path.sep)) {
      try {
        await fsp.rmdir(current);
      } catch {
        return; // not empty (ENOTEMPTY/EEXIST), already gone, or not ours to remove
      }
      current = path.dirname(current);
    }
  }

  /** Every object under `prefix` in key order; with `withReserved`, also the paths of temporary and lock files. */
  private async walk(prefix: string, withReserved = false): Promise<{ objects: ObjectMeta[]; reserved: string[] }> {
    assertValidPrefix(prefix);
    const objects: ObjectMeta[] = [];
    const reserved: string[] = [];
    const segments = prefix.split('/');
    segments.pop(); // the last one is a partial name, matched below, never a folder to enter
    // Such a prefix cannot match any valid key; answering empty also keeps the walk inside the bucket.
    if (
      prefix.startsWith('/') ||
      prefix.includes('\0') ||
      segments.some((s) => s === '' || s === '.' || s === '..' || s.startsWith(RESERVED_PREFIX))
    ) {
      return { objects, reserved };
    }

    const visit = async (folder: string, keyPrefix: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fsp.readdir(folder, { withFileTypes: true });
      } catch (err) {
        if (isMissing(err)) return;
        throw err;
      }
      await Promise.all(
        entries.map(async (entry) => {
          const full = path.join(folder, entry.name);
          if (entry.name.startsWith(RESERVED_PREFIX)) {
            if (withReserved && entry.isFile()) reserved.push(full);
            return;
          }
          const key = keyPrefix + entry.name;
          if (entry.isDirectory()) {
            const sub = `${key}/`;
            if (sub.startsWith(prefix) || prefix.startsWith(sub)) await visit(full, sub);
          } else if (entry.isFile() && key.startsWith(prefix)) {
            const stat = await statFile(full);
            if (stat) objects.push(metaOf(key, stat));
          }
        }),
      );
    };
    const start = segments.length ? `${segments.join('/')}/` : '';
    await visit(path.join(this.folder, ...segments), start);

    const order = objects.map((meta) => ({ meta, bytes: Buffer.from(meta.key, 'utf8') }));
    order.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
    return { objects: order.map((o) => o.meta), reserved };
  }
}

// ------------------------------------------------------------------ append

/** Runs under the object's lock: no other append can interleave, though a `put` or `delete` still can. */
async function appendLocked(key: string, file: string, data: Buffer, position: number): Promise<BigIntStats> {
  let handle: FileHandle | undefined;
  try {
    handle = await fsp.open(file, 'r+');
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
  }
  if (!handle) {
    if (position !== 0) throw new StoreError('PositionMismatch', key, 0);
    const tmp = await writeTemp(file, data, true);
    try {
      await fsp.link(tmp.path, file);
    } catch (err) {
      // Only a `put` can have created it since our open (appends hold the lock), and that makes it Normal.
      if (errno(err) === 'EEXIST') throw new StoreError('NotAppendable', key);
      throw err;
    } finally {
      await unlinkQuietly(tmp.path);
    }
    return tmp.stat;
  }
  try {
    // Stat the open handle, not the path: a concurrent `put` may rename another inode into place meanwhile, and
    // this append must judge and write the same inode.
    const stat = await handle.stat({ bigint: true });
    if ((Number(stat.mode) & APPENDABLE_BIT) === 0) throw new StoreError('NotAppendable', key);
    const size = Number(stat.size);
    if (position !== size) throw new StoreError('PositionMismatch', key, size);
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written, size + written);
      written += bytesWritten;
    }
    return await handle.stat({ bigint: true });
  } finally {
    await handle.close();
  }
}

function lockPathOf(file: string): string {
  const base = path.basename(file);
  // File names stop at 255 bytes; a long key segment gets a hashed lock name instead.
  const name = Buffer.byteLength(base) <= 200 ? base : createHash('sha256').update(base).digest('hex');
  return path.join(path.dirname(file), LOCK_PREFIX + name);
}

async function withFileLock<T>(lockPath: string, op: () => Promise<T>): Promise<T> {
  const token = `${process.pid}.${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let delay = 1;
  for (;;) {
    try {
      await fsp.writeFile(lockPath, token, { flag: 'wx' });
      break;
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err;
    }
    await breakIfStale(lockPath);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath}`);
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(delay * 2, 16);
  }
  try {
    return await op();
  } finally {
    // Leave the file alone if it is no longer ours (ours was broken as stale and someone else took the lock).
    const holder = await fsp.readFile(lockPath, 'utf8').catch(() => null);
    if (holder === token) await unlinkQuietly(lockPath);
  }
}

async function breakIfStale(lockPath: string): Promise<void> {
  const stat = await fsp.stat(lockPath).catch(() => null);
  if (!stat || Date.now() - stat.mtimeMs < LOCK_STALE_MS) return;
  // Move it aside rather than unlink by name, so we can tell whether what we moved is really the stale one: another
  // waiter may have broken it and taken a fresh lock between our stat and our rename.
  const aside = `${lockPath}.${randomBytes(6).toString('hex')}`;
  try {
    await fsp.rename(lockPath, aside);
  } catch {
    return;
  }
  const moved = await fsp.stat(aside).catch(() => null);
  if (moved && Date.now() - moved.mtimeMs < LOCK_STALE_MS) await fsp.link(aside, lockPath).catch(() => undefined);
  await unlinkQuietly(aside);
}

// ------------------------------------------------------------------ helpers

async function writeTemp(file: string, data: Buffer, appendable: boolean): Promise<{ path: string; stat: BigIntStats }> {
  const tmpPath = path.join(path.dirname(file), TMP_PREFIX + randomBytes(8).toString('hex'));
  const handle = await fsp.open(tmpPath, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(data);
      if (appendable) {
        const mode = Number((await handle.stat({ bigint: true })).mode) & 0o777;
        await handle.chmod(mode | APPENDABLE_BIT);
      }
      return { path: tmpPath, stat: await handle.stat({ bigint: true }) };
    } finally {
      await handle.close();
    }
  } catch (err) {
    await unlinkQuietly(tmpPath);
    throw err;
  }
}

async function statFile(file: string): Promise<BigIntStats | null> {
  try {
    const stat = await fsp.stat(file, { bigint: true });
    return stat.isFile() ? stat : null;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/**
 * The etag changes whenever the content can have: an append changes size and mtime, a put brings a new inode. Quoted
 * like OSS's.
 */
function metaOf(key: string, stat: BigIntStats): ObjectMeta {
  return {
    key,
    size: Number(stat.size),
    lastModified: new Date(Number(stat.mtimeMs)),
    etag: `"${stat.ino.toString(16)}-${stat.size.toString(16)}-${stat.mtimeNs.toString(16)}"`,
  };
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** ENOTDIR: a folder along the path is a file, so nothing below it exists. */
function isMissing(err: unknown): boolean {
  const code = errno(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function unlinkQuietly(file: string): Promise<void> {
  await fsp.unlink(file).catch(() => undefined);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
