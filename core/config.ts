/**
 * Every environment variable the two handlers read, named here once with its kind, default and meaning (the run
 * limits' variables are rows of `RUN_LIMITS`, read by `readLimitPolicy`). The Pulumi stack and the local platform
 * set exactly these names; nothing here is a secret the stack writes (the API token travels as its SHA-256 only;
 * the STS credentials are FC's own). Each entry point reads what it needs through one `ConfigReader`.
 */
import type { VariableTable } from './configReader';
import { API_TIMEOUT_DEFAULT_MS, PISTON_SESSION_END_MARGIN_MS } from './limits';

export const VARIABLES = {
  store: { name: 'STORE', kind: 'enum', values: ['oss', 'fs'], default: 'fs', meaning: '`oss` in FC, `fs` (folder buckets) on the local platform.' },
  dataDir: { name: 'DATA_DIR', kind: 'string', default: './.data', meaning: 'The folder holding both buckets with STORE=fs.' },
  codeBucket: { name: 'CODE_BUCKET', kind: 'string', default: 'code', meaning: 'The bucket of run manifests.' },
  runsBucket: { name: 'RUNS_BUCKET', kind: 'string', default: 'runs', meaning: 'The bucket of run output, status and control.' },
  ossRegion: { name: 'OSS_REGION', kind: 'string', meaning: 'OSS region id, e.g. `oss-cn-hangzhou`; required with STORE=oss.' },
  ossEndpoint: { name: 'OSS_ENDPOINT', kind: 'string', meaning: 'OSS endpoint; the internal one (`https://oss-cn-hangzhou-internal.aliyuncs.com`) in FC.' },
  /** FC 3.0 puts the role's STS credentials in these; they are the handler's, never the program's. */
  accessKeyId: { name: 'ALIBABA_CLOUD_ACCESS_KEY_ID', kind: 'string', default: '', meaning: 'The function role\'s STS AccessKey id (set by FC).' },
  accessKeySecret: { name: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', kind: 'string', default: '', meaning: 'The function role\'s STS AccessKey secret (set by FC).' },
  securityToken: { name: 'ALIBABA_CLOUD_SECURITY_TOKEN', kind: 'string', meaning: 'The function role\'s STS token (set by FC).' },
  /** The bench sets it (both handlers, every executor instance); the lines' shape is adapters/storage/countRequests.ts's StoreRequest plus `at` and `pid`. */
  storeRequestLog: {
    name: 'STORE_REQUEST_LOG',
    kind: 'string',
    meaning: 'A file to which the handler appends one JSON line per storage request it makes (the bench counts them); unset: nothing is counted.',
  },
  apiTokenSha256: { name: 'API_TOKEN_SHA256', kind: 'string', meaning: 'Hex SHA-256 of the bearer token `/api` calls must carry; unset: no token required.' },
  corsOrigin: { name: 'CORS_ORIGIN', kind: 'string', meaning: 'The page origin allowed by CORS; unset: same origin only.' },
  /** In FC each executor instance probes its own isolation; every run's status records which one it got. */
  executorIsolation: {
    name: 'EXECUTOR_ISOLATION',
    kind: 'string',
    default: 'auto (per executor instance; see GET /api/runs/:id)',
    meaning: 'What `/api/health` says about the executors\' isolation.',
  },
  allowNetwork: { name: 'ALLOW_NETWORK', kind: 'bool', default: false, meaning: '`1` lets user code reach the network (the executor then skips the network namespace).' },
  sandboxUidBase: { name: 'SANDBOX_UID_BASE', kind: 'int', min: 1, default: 20000, meaning: 'First uid of this executor instance\'s sandbox uid range.' },
  /** Two at least, used in turn: the next run never gets the previous run's uid. */
  sandboxUidCount: { name: 'SANDBOX_UID_COUNT', kind: 'int', min: 1, default: 2, meaning: 'How many sandbox uids this executor instance may use.' },
  isolation: { name: 'ISOLATION', kind: 'enum', values: ['auto', 'bwrap', 'uid'], default: 'auto', meaning: '`bwrap`, `uid`, or `auto`: bwrap when it works here.' },
  workRoot: { name: 'WORK_ROOT', kind: 'string', default: '/tmp/pocketrun', meaning: 'Where run folders are made.' },
  sandboxMounts: {
    name: 'SANDBOX_MOUNTS',
    kind: 'enum',
    values: ['auto', 'off'],
    default: 'auto',
    meaning: '`auto`: a size-capped tmpfs per sandbox uid where the host allows mounts; `off`: watch usage only (as in FC).',
  },
  sandboxSharedGuard: {
    name: 'SANDBOX_SHARED_GUARD',
    kind: 'enum',
    values: ['auto', 'off'],
    default: 'auto',
    meaning: '`auto`: keep sandbox uids out of /tmp and the other shared folders by ACL; `off`: sweep them after each run.',
  },
  sandboxPrivateProc: {
    name: 'SANDBOX_PRIVATE_PROC',
    kind: 'enum',
    values: ['auto', 'off'],
    default: 'auto',
    meaning: '`auto`: each program gets a /proc hiding other uids where the host allows; `off`: never (as in FC).',
  },
  sandboxMemoryCgroup: {
    name: 'SANDBOX_MEMORY_CGROUP',
    kind: 'enum',
    values: ['auto', 'off'],
    default: 'auto',
    meaning: '`auto`: each judge-mode command gets a memory cgroup where the host allows; `off`: RLIMIT_AS and an RSS watch (as in FC).',
  },
  /** Set by the local platform only: FC's instances are machines of their own and probe for themselves. */
  sandboxHostFacts: {
    name: 'SANDBOX_HOST_FACTS',
    kind: 'string',
    meaning: 'A root-only folder where executor instances sharing a host hand down what a start probes about the host (bwrap, private /proc, memory cgroups, the runtimes found); unset (FC): each instance probes for itself.',
  },
  /** The stack writes it from the API function's own `timeout` (infra/apiFunction.ts); the local platform sets it as well. */
  apiTimeoutMs: {
    name: 'API_TIMEOUT_MS',
    kind: 'int',
    // A session must outlast its own end margin by a second at least to run anything.
    min: PISTON_SESSION_END_MARGIN_MS + 1_000,
    default: API_TIMEOUT_DEFAULT_MS,
    meaning: `The API's request time limit (FC's timeout of the API function, which ends every connection still open then): a Piston WebSocket session ends cleanly ${PISTON_SESSION_END_MARGIN_MS / 1000} s before it, its run killed and the client told.`,
  },
  /** FC's custom runtime calls the port of `infra/customRuntime.ts` (`FC_PORT`); `0` picks a free one (tests). */
  port: { name: 'PORT', kind: 'int', min: 0, default: 9000, meaning: 'The port the server listens on.' },
  listenHost: { name: 'LISTEN_HOST', kind: 'string', meaning: 'The address the executor listens on; unset (all interfaces) in FC, 127.0.0.1 on the local platform.' },
  /** The local platform's instances only: FC's runtime gives no such pipe (and its stdin may be at its end from the start). */
  lifeline: {
    name: 'EXECUTOR_LIFELINE',
    kind: 'bool',
    default: false,
    meaning: '`1`: stdin is a pipe the local platform holds open and never writes; its end (the platform died, even by SIGKILL) stops the instance as SIGTERM does. Unset in FC.',
  },
  invokeSecret: {
    name: 'POCKETRUN_INVOKE_SECRET',
    kind: 'string',
    meaning: 'The secret every invocation must carry (the local trigger; unset in FC; see handlers/invokeGate.ts). Dropped from the executor\'s environment at start.',
  },
} as const satisfies VariableTable;

/** The variables' names, by key: for code that writes an environment (the stack, the local platform). */
export const ENV = Object.fromEntries(Object.entries(VARIABLES).map(([key, variable]) => [key, variable.name])) as {
  readonly [K in keyof typeof VARIABLES]: (typeof VARIABLES)[K]['name'];
};
