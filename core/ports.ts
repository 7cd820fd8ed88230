/**
 * The ports of the core: storage, process spawning and the clock. Adapters implement them; the core imports
 * nothing else from the outside world.
 */

export interface Disposable {
  dispose(): void;
}

// ---------------------------------------------------------------- storage

export type StoreErrorCode = 'NotFound' | 'AlreadyExists' | 'PositionMismatch' | 'NotAppendable';

/** The one error type adapters throw for protocol-relevant outcomes; anything else is an infrastructure failure. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly key: string,
    /** For `PositionMismatch`: the object's current length, where the next append must start. */
    readonly nextPosition?: number,
  ) {
    super(`${code}: ${key}${nextPosition === undefined ? '' : ` (next position ${nextPosition})`}`);
    this.name = 'StoreError';
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

export interface ObjectMeta {
  key: string;
  size: number;
  lastModified: Date;
  etag: string;
}

export interface PutOptions {
  /** Refuse to replace an existing object (OSS `x-oss-forbid-overwrite: true`): throws `AlreadyExists`. */
  ifNotExists?: boolean;
  contentType?: string;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive; omitted means to the end. */
  end?: number;
}

export interface GetResult {
  /** The bytes of the range; empty when the range starts at or past the end of the object. */
  data: Buffer;
  /** The object's total size at the time of the read. */
  size: number;
}

/**
 * One bucket. Semantics are OSS's, and both adapters keep them:
 * - `get` of a missing key throws `NotFound`; a range that starts at or past the end returns empty data
 *   (OSS needs `x-oss-range-behavior: standard` for that, or it would return the whole object).
 * - `append` at a position other than the current length throws `PositionMismatch` carrying the length;
 *   appending at 0 creates the object. Appending to an object created by `put` throws `NotAppendable`.
 * - `delete` of a missing key succeeds.
 */
export interface ObjectStore {
  readonly bucket: string;
  put(key: string, body: Buffer | string, options?: PutOptions): Promise<void>;
  get(key: string, range?: ByteRange): Promise<GetResult>;
  append(key: string, body: Buffer | string, position: number): Promise<{ nextPosition: number }>;
  /** `null` when missing. */
  head(key: string): Promise<ObjectMeta | null>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<ObjectMeta[]>;
  delete(key: string): Promise<void>;
}

// ---------------------------------------------------------------- processes

export interface ExitInfo {
  exitCode: number | null;
  /** Signal name (`SIGKILL`), or null. */
  signal: string | null;
}

export interface SpawnRequest {
  /** Executable and arguments, already resolved by the language registry. */
  file: string;
  args: string[];
  /** Absolute working folder inside the sandbox's view. */
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
}

export interface SpawnedProcess {
  readonly pid: number;
  onData(listener: (data: Buffer) => void): Disposable;
  /** Fires once, after the last `onData`. */
  onExit(listener: (exit: ExitInfo) => void): Disposable;
  write(data: Buffer | string): void;
  resize(cols: number, rows: number): void;
  /** Signals the whole process group. */
  kill(signal?: NodeJS.Signals): void;
  /** Whether a process of the run is blocked reading its terminal right now (best effort: false when unknown). */
  isWaitingForInput(): boolean;
}

export interface ProcessSpawner {
  spawn(request: SpawnRequest): SpawnedProcess;
}

// ---------------------------------------------------------------- clock

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
