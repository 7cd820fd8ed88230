/**
 * Handler configuration from environment variables. The Pulumi stack and the local platform set exactly these
 * names; nothing here is a secret (the API token travels as its SHA-256 only).
 */
import * as L from './limits';

export const ENV = {
  /** `oss` in FC, `fs` on the local platform. */
  store: 'STORE',
  dataDir: 'DATA_DIR',
  codeBucket: 'CODE_BUCKET',
  runsBucket: 'RUNS_BUCKET',
  /** OSS region id, e.g. `oss-cn-hangzhou`. */
  ossRegion: 'OSS_REGION',
  /** OSS endpoint; the internal one (`https://oss-cn-hangzhou-internal.aliyuncs.com`) in FC. */
  ossEndpoint: 'OSS_ENDPOINT',
  /** Hex SHA-256 of the bearer token `/api` calls must carry; unset means no token required. */
  apiTokenSha256: 'API_TOKEN_SHA256',
  /** The page origin allowed by CORS; unset means same-origin only. */
  corsOrigin: 'CORS_ORIGIN',
  timeoutDefaultMs: 'RUN_TIMEOUT_DEFAULT_MS',
  timeoutMaxMs: 'RUN_TIMEOUT_MAX_MS',
  outputDefaultBytes: 'RUN_OUTPUT_DEFAULT_BYTES',
  outputMaxBytes: 'RUN_OUTPUT_MAX_BYTES',
  memoryDefaultBytes: 'RUN_MEMORY_DEFAULT_BYTES',
  memoryMaxBytes: 'RUN_MEMORY_MAX_BYTES',
  /** `1` lets user code reach the network (the executor then skips the network namespace). Default `0`. */
  allowNetwork: 'ALLOW_NETWORK',
  /** First uid of the sandbox uid range of this executor instance, and how many it may use. */
  sandboxUidBase: 'SANDBOX_UID_BASE',
  sandboxUidCount: 'SANDBOX_UID_COUNT',
  /** `bwrap`, `uid` or `auto` (default: bwrap when it works here). */
  isolation: 'ISOLATION',
  /** Where run folders are made. */
  workRoot: 'WORK_ROOT',
  /** `auto` (default): a size-capped tmpfs per sandbox uid where the host allows mounts; `off`: watch usage only (as in FC). */
  sandboxMounts: 'SANDBOX_MOUNTS',
  /** `auto` (default): keep sandbox uids out of /tmp and the other shared folders by ACL; `off`: sweep them after each run. */
  sandboxSharedGuard: 'SANDBOX_SHARED_GUARD',
  /** `auto` (default): each program gets a /proc hiding other uids where the host allows; `off`: never (as in FC). */
  sandboxPrivateProc: 'SANDBOX_PRIVATE_PROC',
  /** `auto` (default): each judge-mode command gets a memory cgroup where the host allows; `off`: RLIMIT_AS and an RSS watch (as in FC). */
  sandboxMemoryCgroup: 'SANDBOX_MEMORY_CGROUP',
  port: 'PORT',
} as const;

export interface LimitPolicy {
  timeoutMs: { default: number; max: number };
  outputBytes: { default: number; max: number };
  memoryBytes: { default: number; max: number };
  cpuMs: { default: number; max: number };
  processes: { default: number; max: number };
  fileBytes: { default: number; max: number };
  openFiles: { default: number; max: number };
  diskBytes: { default: number; max: number };
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

function intFrom(env: Record<string, string | undefined>, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(name, `expected an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

export function limitPolicyFromEnv(env: Record<string, string | undefined>): LimitPolicy {
  const pair = (defName: string, def: number, maxName: string, max: number) => {
    const maxValue = intFrom(env, maxName, max);
    const defValue = intFrom(env, defName, Math.min(def, maxValue));
    if (defValue > maxValue) throw new ConfigError(defName, `default ${defValue} is above the maximum ${maxValue} (${maxName})`);
    return { default: defValue, max: maxValue };
  };
  return {
    timeoutMs: pair(ENV.timeoutDefaultMs, L.DEFAULT_TIMEOUT_MS, ENV.timeoutMaxMs, L.MAX_TIMEOUT_MS),
    outputBytes: pair(ENV.outputDefaultBytes, L.DEFAULT_OUTPUT_BYTES, ENV.outputMaxBytes, L.MAX_OUTPUT_BYTES),
    memoryBytes: pair(ENV.memoryDefaultBytes, L.DEFAULT_MEMORY_BYTES, ENV.memoryMaxBytes, L.MAX_MEMORY_BYTES),
    cpuMs: { default: L.DEFAULT_CPU_MS, max: L.MAX_CPU_MS },
    processes: { default: L.DEFAULT_PROCESSES, max: L.MAX_PROCESSES },
    fileBytes: { default: L.DEFAULT_FILE_BYTES, max: L.MAX_FILE_BYTES },
    openFiles: { default: L.DEFAULT_OPEN_FILES, max: L.MAX_OPEN_FILES },
    diskBytes: { default: L.DEFAULT_DISK_BYTES, max: L.MAX_DISK_BYTES },
  };
}

export { intFrom as intFromEnv };
