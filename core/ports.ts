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
  /**
   * Optional, and no request: calls `listener` when `key` may have changed, where the store can tell for free (the
   * folder store: inotify, across processes). A hint only, possibly spurious or missed: OSS gives none, so every
   * reader polls all the same and a hint merely cuts a pause short (core/sleepUntilChanged.ts). The cloud's
   * latencies and request counts are therefore the polls' (`npm run bench -- --cloud` shows them).
   */
  watch?(key: string, listener: () => void): Disposable;
}

// ---------------------------------------------------------------- processes

export interface ExitInfo {
  exitCode: number | null;
  /** Signal name (`SIGKILL`), or null. */
  signal: string | null;
  /** The program's own figures, where the spawner gets the run head's report (pipes with a usage report). */
  usage?: TreeUsage;
}

/** What the run head measured of the program's whole process tree once it had reaped all of it (sandbox/runHead.ts). */
export interface TreeUsage {
  /** User plus system CPU time of every process of the tree. */
  cpuMs: number;
  /** From the program's start to its end. */
  wallMs: number;
  /** The largest resident set of any one process of the tree (ru_maxrss), KiB. */
  maxRssKb: number;
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
  /** Identity the program runs as; omitted means the spawner's own (tests of the spawner only). */
  uid?: number;
  gid?: number;
  /** Supplementary groups of that identity (default none); see SandboxReport.sharedFolders. */
  groups?: number[];
  /** A /proc of its own that shows no other uid's processes (see SandboxReport.processes). */
  privateProc?: boolean;
  /** A network namespace of its own with only a loopback (see SandboxReport.network). */
  privateNet?: boolean;
  /** A cgroup's `cgroup.procs` the process joins as root before anything of it runs (a metered spawn's memory cgroup). */
  cgroup?: string;
}

/**
 * What a sandbox hands the spawner. Its command (the sandbox's wrapper chain) holds no identity switch of its own:
 * it expects to start as the run's identity, which the spawner switches to as root (with exactly `groups`), so
 * here the identity is required, and a sandboxed command cannot reach a spawner without one.
 */
export interface SandboxedSpawnRequest extends SpawnRequest {
  uid: number;
  gid: number;
  groups: number[];
}

export interface SpawnedProcess {
  readonly pid: number;
  onData(listener: (data: Buffer) => void): Disposable;
  /** The program's stderr, where the spawner keeps it apart from stdout (pipes in that mode); else it is in `onData`. */
  onStderr?(listener: (data: Buffer) => void): Disposable;
  /** Fires once, after the last `onData`. */
  onExit(listener: (exit: ExitInfo) => void): Disposable;
  write(data: Buffer | string): void;
  /** Closes the program's stdin (end of file), where the spawner can: pipes yes, a terminal no. */
  endInput?(): void;
  resize(cols: number, rows: number): void;
  /** Signals the whole process group. */
  kill(signal?: NodeJS.Signals): void;
  /**
   * Delivers `name` (core/signals.ts) to the program and its descendants, not to the sandbox's wrappers (which
   * would die of it, or kill the run), where the spawner can.
   */
  signal?(name: string): void;
  /** Whether a process of the run is blocked reading its terminal (or its stdin pipe) right now (best effort: false when unknown). */
  isWaitingForInput(): boolean;
}

export interface ProcessSpawner {
  spawn(request: SpawnRequest): SpawnedProcess;
  /** Ends what the spawner keeps started ahead of spawns (held preludes), when it keeps any; the executor stops. */
  close?(): Promise<void>;
}

// ---------------------------------------------------------------- sandbox

import type { RunLimits } from './protocol';

export type Isolation = 'bwrap' | 'uid';

export interface SandboxRequest {
  runId: string;
  /** Files to create in the run's working folder, e.g. `{ path: 'main.py', content }`; a Buffer is written as it is, a string as UTF-8. */
  files: Array<{ path: string; content: string | Buffer }>;
  /** The program's command line as it resolves inside the sandbox (interpreter first), e.g. `['/usr/bin/python3', 'main.py']`. */
  command: string[];
  /**
   * Language-specific variables added to the minimal environment (never the handler's own). `${HOME}` and
   * `${TMPDIR}` in a value stand for the run's own working and temporary folders as the program sees them.
   */
  env: Record<string, string>;
  limits: RunLimits;
  allowNetwork: boolean;
  cols: number;
  rows: number;
  /**
   * The cell runs only the platform's own commands, never a user's program (the runtime probe's version commands):
   * once it is proved clean its uid goes back to the head of the rotation, so that a probe between two runs does not
   * make the next run get the previous run's uid.
   */
  platformOnly?: boolean;
  /**
   * Whether `spawn` goes to a terminal (the PTY spawner); default true. False for pipes, which need no foreground
   * process group: under bwrap that saves the chain an exec (sandbox/commandChain.ts).
   */
  terminal?: boolean;
}

export interface PreparedSandbox {
  /** What to hand to the ProcessSpawner: the command wrapped with rlimits and namespaces, and the identity to run as. */
  spawn: SandboxedSpawnRequest;
  /**
   * The same for another command in the same cell (same slot, uid, environment, namespaces), with limits of its
   * own: a compile step before the program, the runtime probe's version commands. Run one at a time: each
   * command's end kills every process of the uid, as the program's does. Through pipes, never a terminal.
   */
  spawnFor(command: string[], limits: Pick<RunLimits, 'cpuMs' | 'memoryBytes' | 'processes' | 'fileBytes' | 'openFiles'>): SandboxedSpawnRequest;
  /**
   * Calls `listener` (once) when the run crosses a limit the sandbox watches while it runs (its total disk use);
   * the caller then stops the run with that status.
   */
  onLimit(listener: (status: 'disk_limit', message: string) => void): Disposable;
  /**
   * A further command in this cell (same uid, folder, files and environment) under limits of its own, measured on
   * its own: judge mode's compile step and each test. Spawn its `spawn` with the pipe spawner in `separate` mode
   * (the run head's usage report), then `watch`, and `finish` once it has exited.
   */
  spawnMetered(request: MeteredSpawnRequest): MeteredSpawn;
  /** Kills every process of the run's uid and deletes every file it could have made. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface MeteredSpawnRequest {
  command: string[];
  /** Its own rlimits and caps; `memoryBytes` is what the tree may use (see MeteredSpawn.memory). */
  limits: RunLimits;
  /** Address space the runtime reserves beyond what it uses: added to RLIMIT_AS where RLIMIT_AS is what holds memory. */
  addressSpaceOverheadBytes: number;
}

export interface MeteredSpawn {
  spawn: SandboxedSpawnRequest;
  /**
   * How `limits.memoryBytes` is held: `cgroup`, a memory cgroup of its own (no RLIMIT_AS; the kernel's OOM killer
   * at the limit); `rlimit`, RLIMIT_AS raised by the overhead plus a watch of the tree's resident memory.
   */
  memory: 'cgroup' | 'rlimit';
  /**
   * Starts watching the spawned tree (`pid`: the spawned process); `listener` once, when it passes its memory limit
   * (where no cgroup holds it) or its CPU time limit (the whole tree's: RLIMIT_CPU counts each process in whole seconds).
   */
  watch(pid: number, listener: (status: 'memory_limit' | 'cpu_limit', message: string) => void): Disposable;
  /**
   * Once the spawned process has exited: makes sure nothing of the cell's uid is still alive (killing what is), then
   * reads and frees the meter. `report` is the run head's (ExitInfo.usage) when its exit brought one; without it (the
   * run head was killed, or the spawn failed) the uid is always swept.
   */
  finish(report?: TreeUsage): Promise<TreeMeasure>;
}

export interface TreeMeasure {
  /** The tree's peak memory as the sandbox saw it (the cgroup's peak, or the watch's highest sum), KiB; null if unknown. */
  peakKb: number | null;
  /** The kernel's OOM killer ended a process of the tree at its cgroup's limit. */
  oomKilled: boolean;
  /**
   * The tree's CPU time, ms, as the CPU watch last read it, when it looked at all (near the limit). A tree the watch
   * stopped was killed before its processes were waited for, so the run head's figure misses most of their time.
   */
  cpuMs?: number;
}

/** What a sandbox found the host allows, probed once at start (shown by `/api/health` and the start-up log). */
export interface SandboxReport {
  isolation: Isolation;
  /** The bubblewrap binary in use (bwrap isolation only). */
  bwrap?: string;
  /** `tmpfs`: each uid writes into a size-capped tmpfs of its own; `watch`: usage is watched on a shared disk. */
  disk: 'tmpfs' | 'watch';
  /**
   * Shared writable folders (`/tmp`, `/dev/shm`, …) the sandbox uids are kept out of by an ACL entry that denies
   * their group (`denied`: nothing to sweep), and those swept after every run instead (`swept`). Under bwrap
   * programs never see the host's.
   */
  sharedFolders: { denied: string[]; swept: string[] };
  /**
   * `hidden`: each program has a /proc of its own showing its uid's processes only (a mount namespace; bwrap: a
   * pid namespace); `visible`: other runs' processes and command lines can be listed (FC runs one program per
   * instance, so there is no other run to see there).
   */
  processes: 'hidden' | 'visible';
  /**
   * `isolated`: a program that is not allowed the network gets a network namespace of its own with a loopback only
   * (bwrap's, or the spawn prelude's in uid isolation); `host`: uid isolation where the host allows no network
   * namespace (FC: its `internetAccess: false` is the fence, README *Network*).
   */
  network: 'isolated' | 'host';
  /**
   * How metered spawns (judge mode) hold a program to its memory limit: `cgroup` with `detail` naming the hierarchy
   * and parent, or `rlimit` (RLIMIT_AS plus an RSS watch) with `detail` saying why no memory cgroup could be had.
   */
  memoryLimit?: { by: 'cgroup' | 'rlimit'; detail: string };
  /** Uids taken out of service since start, and whether a run can still be taken at all. */
  retiredUids: number;
  ready: boolean;
}

/** Puts one run in a cell of its own. One implementation per host kind; `isolation` says which layers hold. */
export interface Sandbox {
  readonly isolation: Isolation;
  /** False once the sandbox cannot prove a clean cell for the next run: the instance must stop taking runs. */
  readonly ready: boolean;
  report(): SandboxReport;
  prepare(request: SandboxRequest): Promise<PreparedSandbox>;
  /** Undoes what start-up set up on the host (the tmpfs mounts); runs in flight must have been disposed. */
  close(): Promise<void>;
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
