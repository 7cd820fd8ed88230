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

const LOCAL_VARIABLES = {
  port: { ...VARIABLES.port, default: DEFAULT_PORT },
  host: { name: 'HOST', kind: 'string', default: '127.0.0.1', meaning: 'The address the API listens on.' },
  dataDir: VARIABLES.dataDir,
  executors: { name: 'EXECUTORS', kind: 'int', min: 1, meaning: 'Executor instances; default one per core, at least 2.' },
  lifecycleMs: { name: 'LIFECYCLE_MS', kind: 'int', min: 1, default: DEFAULT_LIFECYCLE_MS, meaning: 'Age after which run data is deleted.' },
  apiToken: { name: 'API_TOKEN', kind: 'string', meaning: 'Bearer token `/api` calls must carry; unset: none.' },
  corsOrigin: VARIABLES.corsOrigin,
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
