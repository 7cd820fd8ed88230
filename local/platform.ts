/**
 * The local platform: the API server and a pool of executor instances (the same servers FC runs), two folder
 * buckets with OSS semantics, the OSS trigger (a PutObject under `manifests/` becomes an async invocation) and
 * the buckets' lifecycle expiry. What each piece copies from the cloud is said where it is built.
 */
import * as fs from 'fs';
import type * as http from 'http';
import type { Duplex } from 'stream';
import * as os from 'os';
import * as path from 'path';
import { FsObjectStore } from '../adapters/storage/fsStore';
import { createSandbox } from '../adapters/sandbox/sandbox';
import { ENV, VARIABLES } from '../core/config';
import { ConfigReader } from '../core/configReader';
import { API_TIMEOUT_DEFAULT_MS } from '../core/limits';
import type { Isolation } from '../core/ports';
import { keys, MANIFEST_PREFIX, ossPutEvent, runIdFromManifestKey, RUNS_PREFIX, type StatusDoc } from '../core/protocol';
import { readJson } from '../core/storeJson';
import { apiTokenSha256, createApi } from '../handlers/api';
import { bucketsFromEnv } from '../handlers/stores';
import { AsyncInvoker } from './asyncInvoker';
import { ExecutorInstance } from './executorInstance';
import { sweepUid } from '../adapters/sandbox/processSweeper';
import { ExecutorPool } from './executorPool';
import type { PoolSettings } from './poolPolicy';
import {
  ASYNC_RETRY_BASE_MS,
  DEFAULT_EXECUTOR_IDLE_MS,
  DEFAULT_EXECUTOR_MEMORY_MIB,
  DEFAULT_EXECUTORS_MIN,
  DEFAULT_EXECUTORS_SPARE,
  DEFAULT_LIFECYCLE_MS,
  DEFAULT_PORT,
  DEFAULT_WORK_ROOT,
  EXECUTOR_STARTS_PER_CORE,
  LIFECYCLE_SWEEP_INTERVAL_MS,
  maxExecutorsFor,
} from './settings';
import { hostFactsFolder } from './hostFactsFolder';
import { UidSlots } from './uidSlots';

export interface LocalPlatformOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  /** A fixed number of executor instances (FC instances with concurrency 1): no scaling. */
  executors?: number;
  /** Otherwise the pool scales (local/poolPolicy.ts) within these; defaults in local/settings.ts. */
  executorsMin?: number;
  executorsMax?: number;
  executorsSpare?: number;
  executorIdleMs?: number;
  /** The memory budgeted per instance, which bounds the maximum when it is not given. */
  executorMemoryMib?: number;
  /** Instances starting at once at most; default EXECUTOR_STARTS_PER_CORE per core. */
  executorStartsAtOnce?: number;
  /** Age after which run data is deleted (OSS lifecycle rule). */
  lifecycleMs?: number;
  apiToken?: string;
  corsOrigin?: string;
  isolation?: 'auto' | Isolation;
  allowNetwork?: boolean;
  /**
   * The API's request time limit, FC's timeout of the API function (API_TIMEOUT_MS; default
   * API_TIMEOUT_DEFAULT_MS): a Piston WebSocket session ends cleanly shortly before it, and the platform cuts what
   * is still open at it, as FC does.
   */
  apiTimeoutMs?: number;
  /** Extra environment for the handlers (limits, e.g. RUN_TIMEOUT_MAX_MS). */
  handlerEnv?: Record<string, string>;
  /** The executor bundle; defaults to the one beside this bundle in dist/. */
  executorEntry?: string;
  /** Base of the async retry backoff. */
  retryBaseMs?: number;
  /** Where the sandboxes make their run folders (default `<tmp>/pocketrun`). */
  workRoot?: string;
  log?: (record: Record<string, unknown>) => void;
}

export interface LocalPlatform {
  url: string;
  isolation: Isolation;
  dataDir: string;
  /** The executor instances ready now (the pool grows and shrinks with demand). */
  readonly instances: ExecutorInstance[];
  pool: ExecutorPool;
  invoker: AsyncInvoker;
  /** Kills runs in flight (recorded as killed), stops every process, deletes what runs left, releases the uids. */
  stop(): Promise<void>;
  /**
   * The same, at once: the executor instances are killed instead of asked, and their leftovers (processes, run
   * folders, unrecorded runs) are cleaned up from here. Resolves when `stop()` does.
   */
  kill(): Promise<void>;
}

function defaultExecutorEntry(): string {
  const candidates = [path.resolve(__dirname, '../executor/index.js'), path.resolve(__dirname, '../dist/executor/index.js')];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`executor bundle not found (looked in ${candidates.join(', ')}); run npm run build`);
  return found;
}

/** Uids per executor instance, used in turn, so that the next run on an instance never gets the previous run's uid. */
const UIDS_PER_INSTANCE = 2;

/** The pool's bounds: a fixed size, or the scaling settings with their defaults (local/settings.ts). */
export function poolSettingsOf(options: LocalPlatformOptions): PoolSettings {
  const cores = Math.max(1, os.cpus().length);
  const startsAtOnce = options.executorStartsAtOnce ?? EXECUTOR_STARTS_PER_CORE * cores;
  if (options.executors !== undefined) return { min: options.executors, max: options.executors, spare: 0, idleMs: DEFAULT_EXECUTOR_IDLE_MS, startsAtOnce };
  const max = options.executorsMax ?? maxExecutorsFor(os.totalmem(), options.executorMemoryMib ?? DEFAULT_EXECUTOR_MEMORY_MIB);
  const min = Math.min(max, options.executorsMin ?? DEFAULT_EXECUTORS_MIN);
  return { min, max, spare: options.executorsSpare ?? DEFAULT_EXECUTORS_SPARE, idleMs: options.executorIdleMs ?? DEFAULT_EXECUTOR_IDLE_MS, startsAtOnce };
}

/** Kills what an instance's uids still run (the instance itself is gone and cannot). */
async function sweepUids(base: number): Promise<void> {
  await Promise.all(Array.from({ length: UIDS_PER_INSTANCE }, (_, k) => sweepUid(base + k)));
}

export async function startLocalPlatform(options: LocalPlatformOptions = {}): Promise<LocalPlatform> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir ?? VARIABLES.dataDir.default);
  // The buckets hold every user's code and output: no sandbox uid may enter (without bwrap it sees the host).
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  const handlerEnv: Record<string, string> = {
    [ENV.store]: 'fs',
    [ENV.dataDir]: dataDir,
    [ENV.codeBucket]: 'code',
    [ENV.runsBucket]: 'runs',
    ...options.handlerEnv,
  };
  // The very buckets the handlers would build from that environment; folders, which the trigger and the
  // lifecycle sweep below need.
  const buckets = bucketsFromEnv(new ConfigReader(handlerEnv));
  const { code, runs } = buckets;
  if (!(code instanceof FsObjectStore && runs instanceof FsObjectStore)) throw new Error(`the local platform keeps its buckets in folders (${ENV.store}=fs)`);

  const uids = new UidSlots(UIDS_PER_INSTANCE);
  const cleanup: Array<() => Promise<void> | void> = [() => uids.release()];
  try {
    const workRoot = path.resolve(options.workRoot ?? DEFAULT_WORK_ROOT);
    // Probe once which isolation this host gives, so every instance runs the same way and the banner says it.
    const probeUid = uids.take();
    const probe = await createSandbox({ isolation: options.isolation ?? 'auto', uidBase: probeUid, uidCount: 1, workRoot: `${workRoot}-probe` });
    const isolation = probe.isolation;
    await probe.close();
    uids.give(probeUid);

    // The instances share this host: what a start probes about it is probed by the first and handed to the next
    // (adapters/sandbox/hostFacts.ts). A folder of this platform's own (local/hostFactsFolder.ts), new at each
    // start, so that each start probes the host afresh; removed at its stop.
    const hostFacts = hostFactsFolder(workRoot);
    cleanup.push(() => hostFacts.clear());

    const entry = options.executorEntry ?? defaultExecutorEntry();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...handlerEnv,
      [ENV.isolation]: isolation,
      [ENV.sandboxUidCount]: String(UIDS_PER_INSTANCE),
      [ENV.workRoot]: workRoot,
      [ENV.sandboxHostFacts]: hostFacts.dir,
      [ENV.allowNetwork]: options.allowNetwork ? '1' : '0',
      // FC puts the role's credentials in the instance environment; so do we (placeholders), to prove the
      // sandbox never passes them on.
      [ENV.accessKeyId]: 'LOCAL-PLACEHOLDER-KEY-ID',
      [ENV.accessKeySecret]: 'LOCAL-PLACEHOLDER-KEY-SECRET',
      [ENV.securityToken]: 'LOCAL-PLACEHOLDER-TOKEN',
      FC_FUNCTION_NAME: 'pocketrun-executor',
    };
    // Forward reference: the pool tells the invoker when an instance is ready, the invoker the pool its queue.
    let invoker: AsyncInvoker | null = null;
    const pool = new ExecutorPool({
      settings: poolSettingsOf(options),
      uids,
      create: (uidBase, id) =>
        new ExecutorInstance({ entry, env: { ...env, [ENV.sandboxUidBase]: String(uidBase) }, onLog: (line) => log({ event: 'executor_log', instance: id, line }) }),
      // A retired or dead instance's programs are swept and its slots cleaned (FC would discard the whole
      // instance). At the platform's stop, an instance that did not exit cleanly (killed by a forced stop,
      // crashed, out of grace) also left its run to us.
      cleanUp: (instance, uidBase, reason) =>
        instance.exitedCleanly ? sweepUids(uidBase) : reason === 'stopped' ? recoverInstance(instance, uidBase, workRoot, runs, log) : sweepSlots(uidBase, workRoot, log),
      onReady: () => invoker?.pump(),
      startRetryMs: options.retryBaseMs ?? ASYNC_RETRY_BASE_MS,
      log,
    });
    invoker = new AsyncInvoker({ pool, log, retryBaseMs: options.retryBaseMs });
    // Stopping an instance kills its run and records it, which ends the delivery the invoker waits for.
    const stopInvoker = invoker;
    cleanup.push(() => Promise.all([stopInvoker.stop(), pool.stop()]).then(() => undefined));
    await pool.start();

    // The OSS trigger: object-created events on the code bucket, filtered to manifests (prefix + suffix).
    const subscription = code.onObjectCreated((meta) => {
      if (meta.event !== 'PutObject' || !runIdFromManifestKey(meta.key)) return;
      invoker.enqueue(ossPutEvent(code.bucket, meta.key, meta.size, meta.etag));
    });
    cleanup.push(() => subscription.dispose());

    // FC's async queue is durable: manifests left unclaimed when the platform last stopped are delivered now.
    for (const manifest of await code.list(MANIFEST_PREFIX)) {
      const id = runIdFromManifestKey(manifest.key);
      if (id && !(await runs.head(keys.claim(id)))) invoker.enqueue(ossPutEvent(code.bucket, manifest.key, manifest.size, manifest.etag));
    }

    // Lifecycle rules: both buckets expire their objects after `lifecycleMs`.
    const lifecycleMs = options.lifecycleMs ?? DEFAULT_LIFECYCLE_MS;
    const sweep = async () => {
      const removed = (await code.removeOlderThan(MANIFEST_PREFIX, lifecycleMs)) + (await runs.removeOlderThan(RUNS_PREFIX, lifecycleMs));
      if (removed > 0) log({ event: 'lifecycle_expired', objects: removed });
    };
    await sweep();
    const sweeper = setInterval(() => void sweep().catch(() => undefined), Math.min(LIFECYCLE_SWEEP_INTERVAL_MS, lifecycleMs));
    cleanup.push(() => clearInterval(sweeper));

    // The API gets the same buckets object, not buckets built afresh over the same folders: the trigger above
    // is this code store's onObjectCreated subscription, which fires only for writes made through this very
    // instance, so the manifest PutObject of a run created through a second store would never be delivered.
    const apiTimeoutMs = options.apiTimeoutMs ?? API_TIMEOUT_DEFAULT_MS;
    const { server } = createApi(
      buckets,
      {
        ...process.env,
        ...handlerEnv,
        // As the stack sets them for the function: the token as its SHA-256 only; and the isolation probed above.
        [ENV.apiTokenSha256]: options.apiToken ? apiTokenSha256(options.apiToken) : '',
        [ENV.corsOrigin]: options.corsOrigin ?? '',
        [ENV.apiTimeoutMs]: String(apiTimeoutMs),
        EXECUTOR_ISOLATION: isolation,
      },
      { log },
    );
    // FC ends a connection still open at the function's timeout, a WebSocket too, without a word to either side; so
    // does the emulator, so that a client meets the cloud's contract here (the socket's own clean end comes
    // PISTON_SESSION_END_MARGIN_MS before, handlers/piston/pistonSocket.ts). Plain requests are not cut: every
    // route the stack checks against apiTimeoutSeconds answers within it.
    server.on('upgrade', (_req: http.IncomingMessage, socket: Duplex) => {
      const cut = setTimeout(() => socket.destroy(), apiTimeoutMs);
      socket.once('close', () => clearTimeout(cut));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, options.host ?? '127.0.0.1', () => resolve());
    });
    cleanup.push(() => closeServer(server));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    let stopping: Promise<void> | null = null;
    const stop = () => (stopping ??= runCleanup(cleanup));
    return {
      url: `http://${options.host ?? '127.0.0.1'}:${port}`,
      isolation,
      dataDir,
      get instances() {
        return pool.instances;
      },
      pool,
      invoker,
      stop,
      kill: () => {
        const stopped = stop();
        pool.kill();
        return stopped;
      },
    };
  } catch (err) {
    await runCleanup(cleanup);
    throw err;
  }
}

/** What a run records when the platform had to end it behind its executor's back. */
const STOPPED_MESSAGE = 'the local platform was stopped';

/**
 * Cleans up after an instance that ended without disposing of its run: a sandbox made afresh over its uid sweeps
 * the uid's processes, its run folder, its files in the shared folders and its IPC objects (what every executor
 * does at start for a predecessor that died); then the run it was delivering, if it was claimed and never
 * finished, is recorded as killed. An unclaimed one is left alone: it is delivered at the next start.
 */
async function recoverInstance(instance: ExecutorInstance, uid: number, workRoot: string, runs: FsObjectStore, log: (r: Record<string, unknown>) => void): Promise<void> {
  await sweepSlots(uid, workRoot, log);
  const event = instance.unfinishedEvent;
  for (const id of (event?.events ?? []).map((e) => runIdFromManifestKey(e.oss.object.key))) {
    if (!id) continue;
    try {
      if (!(await runs.head(keys.claim(id)))) continue;
      const status = await readJson<StatusDoc>(runs, keys.status(id));
      if (status?.state === 'finished') continue;
      const now = new Date();
      const startedAt = status?.startedAt ?? now.toISOString();
      const closed: StatusDoc = {
        id,
        state: 'finished',
        executor: status?.executor ?? 'local-platform',
        startedAt,
        heartbeatAt: now.toISOString(),
        finishedAt: now.toISOString(),
        ...(status?.isolation ? { isolation: status.isolation } : {}),
        result: { status: 'killed', exitCode: null, signal: null, wallMs: Math.max(0, now.getTime() - Date.parse(startedAt)), message: STOPPED_MESSAGE },
      };
      await runs.put(keys.status(id), JSON.stringify(closed), { contentType: 'application/json' });
      log({ event: 'run_closed_at_stop', runId: id });
    } catch (err) {
      log({ event: 'run_close_failed', runId: id, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

/**
 * What every executor does at start for a predecessor that died, done from here: a sandbox over the instance's
 * range cleans every slot (processes, run folder, files in the shared folders, IPC objects); closing it undoes
 * its mounts.
 */
async function sweepSlots(uid: number, workRoot: string, log: (r: Record<string, unknown>) => void): Promise<void> {
  try {
    await (await createSandbox({ isolation: 'uid', uidBase: uid, uidCount: UIDS_PER_INSTANCE, workRoot })).close();
  } catch (err) {
    log({ event: 'instance_sweep_failed', uid, error: err instanceof Error ? err.message : String(err) });
    await sweepUids(uid);
  }
}

async function runCleanup(steps: Array<() => Promise<void> | void>): Promise<void> {
  // Last acquired, first released.
  for (const step of [...steps].reverse()) {
    try {
      await step();
    } catch {
      // keep cleaning up
    }
  }
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
