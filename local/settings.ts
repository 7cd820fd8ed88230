/**
 * The local platform's settings: its defaults, and what `npm start` reads from its environment. Its own variables
 * are named here; those it shares with the handlers (DATA_DIR, ISOLATION, …) are the handlers' entries of
 * core/config.ts, and the run limits' and sandbox switches' variables are passed on to the handlers as they are,
 * after being checked here, so that a bad one stops the platform before anything starts.
 */
import * as os from 'os';
import * as path from 'path';
import { VARIABLES } from '../core/config';
import { ConfigReader, type Env, type ValuesOf, type VariableTable } from '../core/configReader';
import { limitPolicyVariables, readLimitPolicy } from '../core/limitPolicy';

export const DEFAULT_PORT = 8080;
/** Where the sandboxes make their run folders. */
export const DEFAULT_WORK_ROOT = path.join(os.tmpdir(), 'pocketrun');
/** Run data and manifests older than this are deleted (the stack's lifecycle rules, in days there). */
export const DEFAULT_LIFECYCLE_MS = 24 * 60 * 60 * 1000;
export const LIFECYCLE_SWEEP_INTERVAL_MS = 60_000;
/**
 * Attempts per event in the emulated asynchronous invocation (FC: the first call plus up to 3 retries by default;
 * we keep 3 in all, and the stack configures FC the same way: infra/executorFunction.ts).
 */
export const ASYNC_INVOKE_ATTEMPTS = 3;
export const ASYNC_RETRY_BASE_MS = 1_000;

/**
 * The executor pool scales as FC's instances do: one run per instance, an instance started when every one is busy
 * and an event waits, idle ones reclaimed (local/poolPolicy.ts). Its maximum is bounded by memory: each instance
 * is budgeted EXECUTOR_MEMORY_MIB (the executor itself, at most 80 MiB, measured ~60, plus a typical interactive
 * program's resident memory; RUN_MEMORY_* bounds address space, which is mostly never resident), and the pool
 * may take HOST_MEMORY_SHARE of the host's memory, never more than EXECUTORS_HARD_MAX instances.
 */
export const DEFAULT_EXECUTOR_MEMORY_MIB = 128;
export const HOST_MEMORY_SHARE = 0.5;
export const EXECUTORS_HARD_MAX = 64;
/** Instances kept warm when nothing runs (FC: provisioned instances; here they also serve the first runs at once). */
export const DEFAULT_EXECUTORS_MIN = 2;
/** Idle instances kept ahead of demand, so that the next run does not wait for a cold start. */
export const DEFAULT_EXECUTORS_SPARE = 1;
/** An instance idle this long is stopped unless the minimum or the spare needs it (FC reclaims idle instances). */
export const DEFAULT_EXECUTOR_IDLE_MS = 60_000;
/**
 * How many instances may be starting at once. A start costs ~0.1 s of CPU (node and the bundle, the sandbox's set-up
 * over the host facts) and little waiting besides, on the same cores the programs use: starting a whole queue's
 * worth at once makes every one of them (and the runs in flight) wait for all of them; one per core brings
 * instances into service one after the other. Measured with a classroom from idle (40 users, 2 cores): 1 per core
 * started fewer instances (26–30 against 31–34 at 2 per core, 36–40 at 3 or 4) for the same or an earlier last
 * prompt; 2 per core paid when a start waited ~0.1 s on its bwrap probe.
 */
export const EXECUTOR_STARTS_PER_CORE = 1;
/**
 * Unlike FC's, local instances share the host's cores, so a new instance only helps the events that would still
 * be waiting once it is ready: the pool measures how fast the busy instances take events off the queue (their
 * invocations answered over the last DRAIN_WINDOW_MS) and how long its cold starts take (the median of the last
 * COLD_STARTS_KEPT, COLD_START_GUESS_MS before any), and starts instances for the rest. A stream of short runs
 * (judge submissions) drains the queue faster than a cold start and shares the cores; programs waiting for input
 * drain nothing and get an instance each, as in FC.
 */
export const DRAIN_WINDOW_MS = 2_000;
export const COLD_STARTS_KEPT = 8;
export const COLD_START_GUESS_MS = 1_000;

/** The most instances the pool may hold on a host with this much memory, at this budget per instance. */
export function maxExecutorsFor(totalMemoryBytes: number, memoryMibPerInstance: number): number {
  const byMemory = Math.floor((totalMemoryBytes * HOST_MEMORY_SHARE) / (memoryMibPerInstance * 1024 * 1024));
  return Math.max(1, Math.min(EXECUTORS_HARD_MAX, byMemory));
}

const LOCAL_VARIABLES = {
  port: { ...VARIABLES.port, default: DEFAULT_PORT },
  host: { name: 'HOST', kind: 'string', default: '127.0.0.1', meaning: 'The address the API listens on.' },
  dataDir: VARIABLES.dataDir,
  executors: { name: 'EXECUTORS', kind: 'int', min: 1, meaning: 'A fixed number of executor instances (no scaling); unset: the pool scales between EXECUTORS_MIN and EXECUTORS_MAX.' },
  executorsMin: { name: 'EXECUTORS_MIN', kind: 'int', min: 1, default: DEFAULT_EXECUTORS_MIN, meaning: 'Executor instances kept warm when idle.' },
  executorsMax: {
    name: 'EXECUTORS_MAX',
    kind: 'int',
    min: 1,
    meaning: `The most executor instances at once; default: ${HOST_MEMORY_SHARE * 100} % of the host's memory over EXECUTOR_MEMORY_MIB, at most ${EXECUTORS_HARD_MAX}.`,
  },
  executorMemoryMib: {
    name: 'EXECUTOR_MEMORY_MIB',
    kind: 'int',
    min: 16,
    default: DEFAULT_EXECUTOR_MEMORY_MIB,
    meaning: 'The memory budgeted per executor instance (the executor and its program), which bounds EXECUTORS_MAX.',
  },
  executorsSpare: { name: 'EXECUTORS_SPARE', kind: 'int', min: 0, default: DEFAULT_EXECUTORS_SPARE, meaning: 'Idle executor instances kept ahead of demand.' },
  executorIdleMs: { name: 'EXECUTOR_IDLE_MS', kind: 'int', min: 1, default: DEFAULT_EXECUTOR_IDLE_MS, meaning: 'An executor instance idle this long is stopped (down to the minimum).' },
  lifecycleMs: { name: 'LIFECYCLE_MS', kind: 'int', min: 1, default: DEFAULT_LIFECYCLE_MS, meaning: 'Age after which run data is deleted.' },
  apiToken: { name: 'API_TOKEN', kind: 'string', meaning: 'Bearer token `/api` calls must carry; unset: none.' },
  corsOrigin: VARIABLES.corsOrigin,
  // As the stack writes it for the API function from apiTimeoutSeconds: the emulator applies FC's timeout too.
  apiTimeoutMs: VARIABLES.apiTimeoutMs,
  isolation: VARIABLES.isolation,
  allowNetwork: VARIABLES.allowNetwork,
  workRoot: { ...VARIABLES.workRoot, default: DEFAULT_WORK_ROOT },
  log: { name: 'LOG', kind: 'bool', default: false, meaning: '`1` prints every JSON log line.' },
} as const satisfies VariableTable;

/** Read only by the executors (the API, in-process, reads the limits from `handlerEnv` as well). */
const SANDBOX_SWITCHES = {
  mounts: VARIABLES.sandboxMounts,
  sharedGuard: VARIABLES.sandboxSharedGuard,
  privateProc: VARIABLES.sandboxPrivateProc,
  memoryCgroups: VARIABLES.sandboxMemoryCgroup,
};

export type LocalSettings = ValuesOf<typeof LOCAL_VARIABLES> & {
  /** The run limits' and sandbox switches' variables that were set, for the handlers. */
  handlerEnv: Record<string, string>;
};

/** Throws a `ConfigError` naming every bad variable at once. */
export function readLocalSettings(env: Env): LocalSettings {
  const config = new ConfigReader(env);
  const settings = config.readAll(LOCAL_VARIABLES);
  readLimitPolicy(config);
  config.readAll(SANDBOX_SWITCHES);
  config.check();
  const passedOn = [...limitPolicyVariables(), ...Object.values(SANDBOX_SWITCHES).map((v) => v.name)];
  const handlerEnv = Object.fromEntries(passedOn.flatMap((name) => (env[name] ? [[name, env[name] as string]] : [])));
  return { ...settings, handlerEnv };
}
