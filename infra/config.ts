/**
 * The stack's configuration: read once, typed, validated. `parseStackConfig` is pure (no Pulumi), so every rule is
 * testable on its own; `readStackConfig` is the one place that touches Pulumi's config. Every error names its key
 * as `pocketrun:<key>`, the way `pulumi config set` spells it.
 */
import * as L from '../core/limits';
import { configurableLimits, EXECUTOR_DISK_MARGIN_MIB, FUNCTION_DISK_SIZES_MIB, RUN_LIMITS, runDiskMaxMibFor, STACK_UNITS, type RunLimitName } from '../core/runLimits';

/** The project name, and so the namespace of every key below. */
export const CONFIG_NAMESPACE = 'pocketrun';

/** What the executor itself needs beside the program it runs (Node, the PTY, OSS buffers), in MiB. */
export const EXECUTOR_OVERHEAD_MIB = 256;
/** The executor's own work around a run (claim, sandbox setup, final flush, status write, clean-up), in seconds. */
export const EXECUTOR_TIMEOUT_MARGIN_SECONDS = 30;

/**
 * The shortest executor timeout that lets every run end on its own terms: one invocation holds a run from its claim
 * to its clean-up, and a compiled language's compile step (its own wall budget, core/limits.ts COMPILE_TIMEOUT_MS)
 * runs before the program's wall time (core/runLimits.ts `timeoutMs`, counted from the program's start) begins. A
 * shorter timeout lets FC kill the instance under a C++ run still inside its limits: no final status, the run
 * reported lost a heartbeat later. It is also the default (360 s for the built-in 300 s maximum).
 */
export function minExecutorTimeoutSeconds(runTimeoutMaxMs: number): number {
  return Math.ceil((L.COMPILE_TIMEOUT_MS + runTimeoutMaxMs) / 1000) + EXECUTOR_TIMEOUT_MARGIN_SECONDS;
}
/** FC 3.0 limits (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/product-overview/limits). */
export const FC_LIMITS = {
  memoryMb: { min: 128, max: 32768, step: 64 },
  cpu: { min: 0.05, max: 16, step: 0.05 },
  /** Memory (GB) per vCPU: from 1:1 to 1:4. */
  gbPerCpu: { min: 1, max: 4 },
  timeoutSeconds: { min: 1, max: 86400 },
  instanceConcurrency: { max: 200 },
  /** Layers one function may have. */
  layers: { max: 5 },
} as const;

export interface StackConfig {
  /** Alibaba Cloud region id, e.g. `cn-hangzhou`. */
  region: string;
  /** Prefix of every physical name (functions, roles, policies, buckets, log project). */
  namePrefix: string;
  /** Days after which run data (`runs/…` in the runs bucket) expires. */
  runsLifecycleDays: number;
  /** Days after which submitted code (`manifests/…` in the code bucket) expires. */
  codeLifecycleDays: number;
  executor: {
    memoryMb: number;
    cpu: number;
    /** The function's disk (its /tmp, where the run folders are), one of FC's sizes (FUNCTION_DISK_SIZES_MIB). */
    diskMb: number;
    timeoutSeconds: number;
    /** Reserved concurrency: how many runs may execute at once (one run per instance). */
    concurrency: number;
    /** FC layer version ARNs, in the order given (FC unpacks them under /opt, a later one over an earlier one). */
    layers: string[];
  };
  api: {
    memoryMb: number;
    cpu: number;
    timeoutSeconds: number;
    /** Requests one API instance serves at once (above 1: the API mostly waits on OSS). */
    instanceConcurrency: number;
  };
  /** The limits the handlers enforce, in the units of their environment variables. */
  runLimits: RunLimitSettings;
  /** The bearer token `/api` calls must carry; only its SHA-256 ever leaves the program. */
  apiToken?: string;
  requireApiToken: boolean;
  /** The one page origin allowed to call the API cross-origin. */
  corsOrigin?: string;
  /** The custom domain the page and the API are served on (FC's own fcapp.run address makes browsers download the page). */
  customDomain?: CustomDomainConfig;
  /** Whether user programs may reach the network (default: no). */
  allowNetwork: boolean;
  /** Ship both functions' logs to a Simple Log Service project the stack creates. */
  logging: boolean;
  logRetentionDays: number;
}

export interface CustomDomainConfig {
  /** A DNS host name, e.g. `run.example.org`, lowercase, without scheme, port or path. */
  name: string;
  /** Its certificate: PEM chain and key, or the id of one in Certificate Management Service; none: HTTP only. */
  tls?: CustomDomainTls;
}

export type CustomDomainTls = { certificate: string; privateKey: string } | { certificateId: string };

/** A configurable row's part of the table, as written (literal names). */
type Configured = { [K in RunLimitName]: (typeof RUN_LIMITS)[K] extends { configurable: infer C } ? C : never }[RunLimitName];
type LimitVariable<Written> = Configured extends infer C ? (C extends { env: infer E; stack: { written: Written } } ? E[keyof E] & string : never) : never;
type CamelTail<S extends string> = S extends `${infer H}_${infer T}` ? `${Capitalize<Lowercase<H>>}${CamelTail<T>}` : Capitalize<Lowercase<S>>;
/** `RUN_TIMEOUT_MAX_MS` → `timeoutMaxMs`. */
type RunLimitField<V extends string> = V extends `RUN_${infer H}_${infer T}` ? `${Lowercase<H>}${CamelTail<T>}` : never;

/**
 * The run limits' variables the functions get, each as a field named after its variable (`RUN_TIMEOUT_MAX_MS` is
 * `timeoutMaxMs`) and in its unit: those the stack always writes, and those it writes when their key is set.
 */
export type RunLimitSettings = { [V in LimitVariable<'always'> as RunLimitField<V>]: number } & {
  [V in LimitVariable<'whenSet'> as RunLimitField<V>]?: number;
};

/** The `RunLimitSettings` field of a run limit's variable. */
export function runLimitField(variable: string): string {
  const [, first, ...rest] = variable.toLowerCase().split('_');
  return first + rest.map((word) => word[0].toUpperCase() + word.slice(1)).join('');
}

type RunLimitKey = Configured['stack']['default' | 'max'];

/** The `run*` keys, from the run limits table: two per configurable limit. */
function runLimitKeys(): Record<RunLimitKey, string> {
  return Object.fromEntries(
    configurableLimits().flatMap(({ name, spec, configurable: { stack } }) => {
      const { factor, symbol } = STACK_UNITS[stack.unit];
      const unset = stack.written === 'always' ? '' : ' (unset: the handlers\' built-in)';
      return [
        [stack.default, `Limit ${name} of a run that asks for none, ${symbol}. Default ${spec.default / factor}${unset}.`],
        [stack.max, `Largest limit ${name} a run may ask for, ${symbol} (at most ${stack.ceiling}). Default ${spec.max / factor}${unset}.`],
      ];
    }),
  ) as Record<RunLimitKey, string>;
}

export interface ConfigIssue {
  /** The key without its namespace, e.g. `executorMemoryMb`. */
  key: string;
  message: string;
}

export class StackConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      issues.length === 1
        ? `${CONFIG_NAMESPACE}:${issues[0].key}: ${issues[0].message}`
        : `invalid stack configuration:\n${issues.map((i) => `  ${CONFIG_NAMESPACE}:${i.key}: ${i.message}`).join('\n')}`,
    );
    this.name = 'StackConfigError';
  }

  /** The keys named by the issues, for tests and tooling. */
  get keys(): string[] {
    return this.issues.map((i) => i.key);
  }
}

/** Every key, its meaning and its default: the one list Pulumi.<stack>.yaml, the docs and the tests follow. */
export const CONFIG_KEYS = {
  region: 'Alibaba Cloud region id, e.g. cn-hangzhou (required).',
  namePrefix: 'Prefix of every physical name; default pocketrun-<stack>.',
  runsLifecycleDays: 'Days before run data expires (runs bucket, runs/). Default 1.',
  codeLifecycleDays: 'Days before submitted code expires (code bucket, manifests/). Default 7.',
  executorMemoryMb: 'Executor memory, MB: a multiple of 64, at least runMemoryMaxMib + 256. Default 2048.',
  executorCpu: 'Executor vCPUs: a multiple of 0.05, memory GB per vCPU between 1 and 4. Default 1.',
  executorDiskMb: `Executor disk (its /tmp, which holds the run folders), MB: ${FUNCTION_DISK_SIZES_MIB.join(' or ')} (FC's sizes), at least runDiskMaxMib + ${EXECUTOR_DISK_MARGIN_MIB}. Default ${FUNCTION_DISK_SIZES_MIB[0]}.`,
  executorTimeoutSeconds: `Executor function timeout; at least the compile step (${L.COMPILE_TIMEOUT_MS / 1000} s) + runTimeoutMaxSeconds + ${EXECUTOR_TIMEOUT_MARGIN_SECONDS}, which is the default.`,
  executorConcurrency: 'Runs that may execute at once (reserved concurrency of the executor). Default 10.',
  executorLayers:
    'FC layers for the executor (toolchains under /opt/<layer>/bin), at most 5 layer version ARNs acs:fc:<region>:<account or official>:layers/<name>/versions/<n>: ' +
    'a list (pulumi config set --path \'executorLayers[0]\' <arn>) or one comma-separated string. Default none.',
  apiMemoryMb: 'API memory, MB (multiple of 64). Default 512.',
  apiCpu: 'API vCPUs. Default 0.5.',
  apiTimeoutSeconds: 'API function timeout; above the longest output long poll and the longest blocking execution (55 s). Default 60.',
  apiInstanceConcurrency: 'Requests one API instance serves at once (2..200). Default 20.',
  ...runLimitKeys(),
  apiToken: 'Bearer token for /api (secret: pulumi config set --secret). At least 32 characters. Default none.',
  requireApiToken: 'Fail the deployment when apiToken is not set. Default false.',
  corsOrigin: 'The page origin allowed to call the API cross-origin, e.g. https://contest.example.org. Default none.',
  customDomain:
    'DNS host name the page and the API are served on, e.g. run.example.org; its CNAME must point to <accountId>.<region>.fc.aliyuncs.com before pulumi up. ' +
    'Default none: only the fcapp.run address, where browsers download the page.',
  customDomainCertificate: 'PEM certificate chain for customDomain (its own certificate first), together with customDomainPrivateKey. Default none.',
  customDomainPrivateKey: 'PEM private key of customDomainCertificate (secret: pulumi config set --secret). Default none.',
  customDomainCertificateId:
    'Instead of the two keys above: the id of a certificate in Alibaba Cloud Certificate Management Service (SSL Certificates). Default none; without any certificate, HTTP only.',
  allowNetwork: 'Let user programs reach the internet. Default false.',
  logging: 'Create a Simple Log Service project and logstore and ship both functions\' logs there. Default true.',
  logRetentionDays: 'Days the logstore keeps logs (1..3650). Default 7.',
} as const;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Raw values as Pulumi hands them over (strings), or typed values from tests. */
export type RawStackConfig = Partial<Record<string, string | number | boolean | readonly string[] | undefined>>;

export interface ParseContext {
  /** The stack name: the default name prefix is `pocketrun-<stack>`. */
  stack: string;
}

/** Accumulates issues so one `pulumi up` reports every bad key at once. */
class Reader {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly raw: RawStackConfig) {}

  fail(key: ConfigKey, message: string): void {
    this.issues.push({ key, message });
  }

  isSet(key: ConfigKey): boolean {
    return this.present(key) !== undefined;
  }

  private present(key: ConfigKey): string | number | boolean | readonly string[] | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string' && value.trim() === '') return undefined;
    return value;
  }

  /**
   * A list of strings, as Pulumi hands one over (a structured value set with `--path` arrives as its JSON text), as
   * a YAML list, or as one comma-separated string. Entries are trimmed; empty ones are refused.
   */
  list(key: ConfigKey): string[] {
    const value = this.present(key);
    if (value === undefined) return [];
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else if (typeof value === 'string' && value.trim().startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (!Array.isArray(parsed)) throw new Error('not an array');
        items = parsed;
      } catch {
        this.fail(key, `expected a JSON array of strings or a comma-separated list, got ${JSON.stringify(value)}`);
        return [];
      }
    } else if (typeof value === 'string') items = value.split(',');
    else {
      this.fail(key, `expected a list of strings, got ${JSON.stringify(value)}`);
      return [];
    }
    const out: string[] = [];
    items.forEach((item, i) => {
      if (typeof item !== 'string') this.fail(key, `entry ${i + 1}: expected a string, got ${JSON.stringify(item)}`);
      else if (item.trim() === '') this.fail(key, `entry ${i + 1} is empty (a stray comma?)`);
      else out.push(item.trim());
    });
    return out;
  }

  string(key: ConfigKey): string | undefined {
    const value = this.present(key);
    if (value === undefined) return undefined;
    if (Array.isArray(value)) {
      this.fail(key, `expected a string, got a list`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.fail(key, `expected a string, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return value.trim();
  }

  bool(key: ConfigKey, fallback: boolean): boolean {
    const value = this.present(key);
    if (value === undefined) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.fail(key, `expected true or false, got ${JSON.stringify(value)}`);
    return fallback;
  }

  number(key: ConfigKey, fallback: number, rule: { min: number; max: number; integer?: boolean; step?: number }): number {
    const value = this.present(key);
    if (value === undefined) return fallback;
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
    if (!Number.isFinite(n)) {
      this.fail(key, `expected a number, got ${JSON.stringify(value)}`);
      return fallback;
    }
    if (rule.integer && !Number.isInteger(n)) {
      this.fail(key, `expected a whole number, got ${n}`);
      return fallback;
    }
    if (n < rule.min || n > rule.max) {
      this.fail(key, `expected a value from ${rule.min} to ${rule.max}, got ${n}`);
      return fallback;
    }
    if (rule.step !== undefined && !isMultipleOf(n, rule.step)) {
      this.fail(key, `expected a multiple of ${rule.step}, got ${n}`);
      return fallback;
    }
    return n;
  }

  int(key: ConfigKey, fallback: number, min: number, max: number): number {
    return this.number(key, fallback, { min, max, integer: true });
  }
}

function isMultipleOf(value: number, step: number): boolean {
  const ratio = value / step;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

const REGION_PATTERN = /^[a-z]{2,}(-[a-z0-9]+)+$/;
/**
 * An FC layer version: `acs:fc:<region>:<account id>:layers/<name>/versions/<n>`, or `official` for the account of
 * FC's official layers. Names: letters, digits, `_` and `-`, not starting with a digit or `-`, at most 64.
 */
export const LAYER_ARN_PATTERN = /^acs:fc:([a-z]{2,}(?:-[a-z0-9]+)+):(\d{1,20}|official):layers\/([A-Za-z_][A-Za-z0-9_-]{0,63})\/versions\/([1-9]\d{0,9})$/;
/** Lowercase letters, digits and hyphens; 3..32 characters, so `<prefix>-deploy-<16-digit account id>` fits OSS's 63. */
const NAME_PREFIX_PATTERN = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;
const ORIGIN_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;
/** A DNS label: 1..63 letters, digits, hyphens, neither first nor last a hyphen. */
const HOST_LABEL_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Certificate Management Service ids are numbers (the console's "Certificate ID"). */
const CERTIFICATE_ID_PATTERN = /^\d{1,20}$/;
/** One or more certificates and nothing else (no `Bag Attributes`, no key), base64 bodies on their own lines. */
const PEM_CERTIFICATE_CHAIN = /^(-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\s]+\n-----END CERTIFICATE-----\s*)+$/;
/** Exactly one unencrypted key: PKCS#8, or PKCS#1 RSA, or SEC 1 EC. */
const PEM_PRIVATE_KEY = /^-----BEGIN ((?:RSA |EC )?PRIVATE KEY)-----\n[A-Za-z0-9+/=\s]+\n-----END \1-----$/;

/**
 * Why `name` cannot be the custom domain, or undefined when it can: FC serves one exact, lowercase DNS name (it
 * matches the Host header as written, and browsers send it lowercase) on ports 80 and 443, and its last label is
 * letters. The `fcapp.run` address is the one a custom domain replaces, and `*.aliyuncs.com` is FC's CNAME target.
 */
export function hostNameProblem(name: string): string | undefined {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(name)) return 'without a scheme (no https://): the protocol follows from the certificate keys';
  if (name.includes('/')) return 'without a path: the whole domain goes to the API';
  if (name.includes('*')) return 'one name, no wildcard';
  if (/^\d+(\.\d+){3}$/.test(name) || name.includes('[') || /:.*:/.test(name)) return 'a DNS name, not an IP address';
  if (name.includes(':')) return 'without a port: FC serves custom domains on 80 (HTTP) and 443 (HTTPS)';
  if (/[A-Z]/.test(name)) return 'in lowercase: FC matches the name as written, and browsers send it lowercase';
  if (name.endsWith('.')) return 'without the trailing dot';
  if (name.length > 253) return 'at most 253 characters';
  const labels = name.split('.');
  if (labels.length < 2) return 'a fully qualified name with at least one dot';
  if (!labels.every((label) => HOST_LABEL_PATTERN.test(label))) {
    return 'made of labels of 1 to 63 lowercase letters, digits or hyphens, none starting or ending with a hyphen (punycode xn--… for international names)';
  }
  if (!/^[a-z]{2,}$/.test(labels[labels.length - 1])) return 'ending in a top-level domain of two or more letters';
  if (name === 'fcapp.run' || name.endsWith('.fcapp.run')) return "of your own: FC's fcapp.run address is the one where browsers download the page";
  if (name === 'aliyuncs.com' || name.endsWith('.aliyuncs.com')) return 'of your own: *.aliyuncs.com is Alibaba Cloud\'s (the FC endpoint is what your name\'s CNAME points to)';
  return undefined;
}

/**
 * Turns raw stack configuration into a `StackConfig`, or throws one `StackConfigError` listing every problem,
 * each naming its key.
 */
export function parseStackConfig(raw: RawStackConfig, context: ParseContext): StackConfig {
  const r = new Reader(raw);
  const known = new Set<string>(Object.keys(CONFIG_KEYS));
  for (const key of Object.keys(raw).sort()) {
    if (!known.has(key)) r.issues.push({ key, message: `unknown key (known keys: ${[...known].join(', ')})` });
  }

  const region = r.string('region');
  if (region === undefined) r.fail('region', 'required: the Alibaba Cloud region id to deploy to, e.g. cn-hangzhou');
  else if (!REGION_PATTERN.test(region)) r.fail('region', `expected a region id like cn-hangzhou, got ${JSON.stringify(region)}`);

  const defaultPrefix = `pocketrun-${context.stack.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 32).replace(/-+$/, '');
  const namePrefix = r.string('namePrefix') ?? defaultPrefix;
  if (!NAME_PREFIX_PATTERN.test(namePrefix) || namePrefix.includes('--')) {
    r.fail(
      'namePrefix',
      `expected 3 to 32 lowercase letters, digits or single hyphens, starting with a letter and not ending with a hyphen, got ${JSON.stringify(namePrefix)}` +
        (raw.namePrefix === undefined ? ' (derived from the stack name; set pocketrun:namePrefix)' : ''),
    );
  }

  const runsLifecycleDays = r.int('runsLifecycleDays', 1, 1, 3650);
  const codeLifecycleDays = r.int('codeLifecycleDays', 7, 1, 3650);

  // Run limits, in the units people think in; the handlers get them in theirs.
  const runLimits = readRunLimits(r);
  const runTimeoutMaxSeconds = runLimits.timeoutMaxMs / STACK_UNITS.Seconds.factor;
  const runMemoryMaxMib = runLimits.memoryMaxBytes / STACK_UNITS.Mib.factor;

  // The executor function.
  const memoryRule = { min: FC_LIMITS.memoryMb.min, max: FC_LIMITS.memoryMb.max, integer: true, step: FC_LIMITS.memoryMb.step };
  const cpuRule = { min: FC_LIMITS.cpu.min, max: FC_LIMITS.cpu.max, step: FC_LIMITS.cpu.step };
  const executorMemoryMb = r.number('executorMemoryMb', 2048, memoryRule);
  const executorCpu = r.number('executorCpu', 1, cpuRule);
  checkCpuMemoryRatio(r, 'executorCpu', executorCpu, executorMemoryMb);
  if (runMemoryMaxMib + EXECUTOR_OVERHEAD_MIB > executorMemoryMb) {
    r.fail(
      'executorMemoryMb',
      `${executorMemoryMb} MB cannot hold a run of runMemoryMaxMib (${runMemoryMaxMib}) plus the executor's own ${EXECUTOR_OVERHEAD_MIB} MiB; ` +
        `use at least ${roundUp(runMemoryMaxMib + EXECUTOR_OVERHEAD_MIB, 64)}`,
    );
  }
  const executorDiskMb = readExecutorDisk(r, runLimits);
  const minExecutorTimeout = minExecutorTimeoutSeconds(runLimits.timeoutMaxMs);
  const executorTimeoutSeconds = r.int('executorTimeoutSeconds', minExecutorTimeout, FC_LIMITS.timeoutSeconds.min, FC_LIMITS.timeoutSeconds.max);
  if (executorTimeoutSeconds < minExecutorTimeout) {
    r.fail(
      'executorTimeoutSeconds',
      `${executorTimeoutSeconds} s is below the longest run: the compile step (${L.COMPILE_TIMEOUT_MS / 1000} s), then the program (runTimeoutMaxSeconds = ${runTimeoutMaxSeconds}), ` +
        `plus ${EXECUTOR_TIMEOUT_MARGIN_SECONDS} s for setup, the final flush and clean-up; use at least ${minExecutorTimeout}`,
    );
  }
  const executorConcurrency = r.int('executorConcurrency', 10, 1, 1000);
  const executorLayers = readLayers(r, region);

  // The API function.
  const apiMemoryMb = r.number('apiMemoryMb', 512, memoryRule);
  const apiCpu = r.number('apiCpu', 0.5, cpuRule);
  checkCpuMemoryRatio(r, 'apiCpu', apiCpu, apiMemoryMb);
  // A blocking POST /api/execute waits up to the judge's request budget plus its margin (core/limits.ts, judge section).
  const longestExecuteMs = L.JUDGE_REQUEST_WALL_MS + L.JUDGE_WAIT_MARGIN_MS;
  const minApiTimeout = Math.ceil(Math.max(L.MAX_LONG_POLL_MS, longestExecuteMs) / 1000) + 5;
  const apiTimeoutSeconds = r.int('apiTimeoutSeconds', L.API_TIMEOUT_DEFAULT_MS / 1000, 1, FC_LIMITS.timeoutSeconds.max);
  if (apiTimeoutSeconds < minApiTimeout) {
    r.fail('apiTimeoutSeconds', `${apiTimeoutSeconds} s would cut output long polls (up to ${L.MAX_LONG_POLL_MS / 1000} s) or blocking executions (up to ${longestExecuteMs / 1000} s) short; use at least ${minApiTimeout}`);
  }
  const apiInstanceConcurrency = r.int('apiInstanceConcurrency', 20, 2, FC_LIMITS.instanceConcurrency.max);

  // Access.
  const apiToken = r.string('apiToken');
  if (apiToken !== undefined && (apiToken.length < 32 || /\s/.test(apiToken))) {
    r.fail('apiToken', 'expected at least 32 characters without spaces (e.g. openssl rand -hex 24); the value is not shown');
  }
  const requireApiToken = r.bool('requireApiToken', false);
  if (requireApiToken && apiToken === undefined) {
    r.fail('apiToken', 'required by requireApiToken: set it with pulumi config set --secret apiToken <token>');
  }
  const corsOrigin = r.string('corsOrigin');
  if (corsOrigin !== undefined && !ORIGIN_PATTERN.test(corsOrigin)) {
    r.fail('corsOrigin', `expected one origin like https://contest.example.org (scheme and host, no path, no wildcard), got ${JSON.stringify(corsOrigin)}`);
  }
  const customDomain = readCustomDomain(r);
  const allowNetwork = r.bool('allowNetwork', false);
  const logging = r.bool('logging', true);
  const logRetentionDays = r.int('logRetentionDays', 7, 1, 3650);

  if (r.issues.length > 0) throw new StackConfigError(r.issues);
  return {
    region: region as string,
    namePrefix,
    runsLifecycleDays,
    codeLifecycleDays,
    executor: { memoryMb: executorMemoryMb, cpu: executorCpu, diskMb: executorDiskMb, timeoutSeconds: executorTimeoutSeconds, concurrency: executorConcurrency, layers: executorLayers },
    api: { memoryMb: apiMemoryMb, cpu: apiCpu, timeoutSeconds: apiTimeoutSeconds, instanceConcurrency: apiInstanceConcurrency },
    runLimits,
    apiToken,
    requireApiToken,
    corsOrigin,
    customDomain,
    allowNetwork,
    logging,
    logRetentionDays,
  };
}

/**
 * The custom domain and its certificate. Allowed: no domain (and no certificate key); a domain alone (HTTP only);
 * a domain with `customDomainCertificate` and `customDomainPrivateKey` together; or a domain with
 * `customDomainCertificateId`. A missing partner is reported on the missing key, and no message shows a
 * certificate or a key: they are long, and the key is a secret.
 */
function readCustomDomain(r: Reader): CustomDomainConfig | undefined {
  const name = r.string('customDomain');
  if (name !== undefined) {
    const problem = hostNameProblem(name);
    if (problem !== undefined) r.fail('customDomain', `expected a host name like run.example.org, ${problem}; got ${JSON.stringify(name)}`);
  }
  const certificate = pem(r.string('customDomainCertificate'));
  const privateKey = pem(r.string('customDomainPrivateKey'));
  const certificateId = r.string('customDomainCertificateId');

  if (certificate !== undefined) {
    if (/PRIVATE KEY-----/.test(certificate)) {
      r.fail('customDomainCertificate', 'holds a private key: it belongs in customDomainPrivateKey, as a secret (the value is not shown)');
    } else if (!PEM_CERTIFICATE_CHAIN.test(certificate)) {
      r.fail(
        'customDomainCertificate',
        'expected a PEM certificate chain (-----BEGIN CERTIFICATE----- blocks, the domain\'s own first), with real line breaks: ' +
          'pulumi config set customDomainCertificate < fullchain.pem (the value is not shown)',
      );
    }
  }
  if (privateKey !== undefined) {
    if (/ENCRYPTED PRIVATE KEY-----/.test(privateKey)) {
      r.fail('customDomainPrivateKey', 'the key is encrypted and FC needs it in clear: openssl pkey -in key.pem -out plain.pem, then set that as a secret (the value is not shown)');
    } else if (!PEM_PRIVATE_KEY.test(privateKey)) {
      r.fail(
        'customDomainPrivateKey',
        'expected one PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC), with real line breaks: ' +
          'pulumi config set --secret customDomainPrivateKey < key.pem (the value is not shown)',
      );
    }
  }
  if (certificateId !== undefined && !CERTIFICATE_ID_PATTERN.test(certificateId)) {
    r.fail('customDomainCertificateId', `expected the numeric certificate id from the Certificate Management Service console, e.g. 12345678, got ${JSON.stringify(certificateId)}`);
  }

  if (certificate !== undefined && privateKey === undefined) {
    r.fail('customDomainPrivateKey', 'required with customDomainCertificate: pulumi config set --secret customDomainPrivateKey < key.pem');
  }
  if (privateKey !== undefined && certificate === undefined) {
    r.fail('customDomainCertificate', 'required with customDomainPrivateKey: pulumi config set customDomainCertificate < fullchain.pem');
  }
  if (certificateId !== undefined && (certificate !== undefined || privateKey !== undefined)) {
    r.fail('customDomainCertificateId', 'either customDomainCertificateId or customDomainCertificate with customDomainPrivateKey, not both: remove one');
  }
  const tlsKeys = (['customDomainCertificate', 'customDomainPrivateKey', 'customDomainCertificateId'] as const).filter((key) => r.isSet(key));
  if (name === undefined && tlsKeys.length > 0) {
    r.fail('customDomain', `required by ${tlsKeys.join(' and ')}: a certificate is for a custom domain (pulumi config set customDomain run.example.org)`);
  }

  if (name === undefined) return undefined;
  if (certificate !== undefined && privateKey !== undefined) return { name, tls: { certificate, privateKey } };
  if (certificateId !== undefined) return { name, tls: { certificateId } };
  return { name };
}

/**
 * The executor's layers: well-formed version ARNs, at most FC's five, each layer once (two versions of one layer
 * would unpack over each other), and in the stack's region unless official (FC attaches a region's own layers).
 */
function readLayers(r: Reader, region: string | undefined): string[] {
  const arns = r.list('executorLayers');
  if (arns.length > FC_LIMITS.layers.max) {
    r.fail('executorLayers', `at most ${FC_LIMITS.layers.max} layers per function (FC's limit), got ${arns.length}: merge some into one layer`);
  }
  const seen = new Map<string, number>();
  arns.forEach((arn, i) => {
    const match = LAYER_ARN_PATTERN.exec(arn);
    if (!match) {
      r.fail(
        'executorLayers',
        `entry ${i + 1}: expected a layer version ARN like acs:fc:${region ?? 'cn-hangzhou'}:<account id>:layers/gcc/versions/1 ` +
          `(the console's layer version ARN), got ${JSON.stringify(arn)}`,
      );
      return;
    }
    const [, layerRegion, owner, name] = match;
    if (owner !== 'official' && region !== undefined && layerRegion !== region) {
      r.fail('executorLayers', `entry ${i + 1}: the layer is in ${layerRegion}, the stack in ${region}: publish the layer in ${region}`);
    }
    const id = `${owner}/${name}`;
    const first = seen.get(id);
    if (first !== undefined) r.fail('executorLayers', `entry ${i + 1}: layer ${name} is already entry ${first + 1}: give each layer once, in one version`);
    else seen.set(id, i);
  });
  return arns;
}

/** PEM text as FC takes it: Unix line breaks, no surrounding blank space. */
function pem(value: string | undefined): string | undefined {
  return value?.replace(/\r\n/g, '\n').trim();
}

/**
 * Each configurable limit's two keys, from its row of the run limits table: whole numbers from the limit's minimum
 * (in the key's unit) to the key's ceiling, the default no larger than the maximum (an unset default follows a
 * lower maximum down, as the handlers do).
 */
function readRunLimits(r: Reader): RunLimitSettings {
  const settings: Record<string, number> = {};
  for (const { spec, configurable } of configurableLimits()) {
    const { stack, env } = configurable;
    const keys = stack as { default: RunLimitKey; max: RunLimitKey };
    const { factor } = STACK_UNITS[stack.unit];
    const min = Math.max(1, Math.ceil(spec.min / factor));
    const max = r.int(keys.max, spec.max / factor, min, stack.ceiling);
    const def = r.int(keys.default, Math.min(spec.default / factor, max), min, stack.ceiling);
    if (def > max) r.fail(keys.default, `the default (${def}) is above ${keys.max} (${max})`);
    if (stack.written === 'always' || r.isSet(keys.max)) settings[runLimitField(env.max)] = max * factor;
    if (stack.written === 'always' || r.isSet(keys.default)) settings[runLimitField(env.default)] = def * factor;
  }
  return settings as RunLimitSettings;
}

/**
 * The executor's disk, one of FC's sizes, and the run disk limit it must hold: the largest `diskBytes` a run may
 * get (runDiskMaxMib, or the handlers' built-in maximum when unset) plus the executor's own margin
 * (EXECUTOR_DISK_MARGIN_MIB, core/runLimits.ts says what it holds). The default maximum (runDiskDefaultMib) is at
 * most the maximum already (readRunLimits).
 */
function readExecutorDisk(r: Reader, runLimits: RunLimitSettings): number {
  const sizes: readonly number[] = FUNCTION_DISK_SIZES_MIB;
  const diskMb = r.int('executorDiskMb', sizes[0], Math.min(...sizes), Math.max(...sizes));
  if (!sizes.includes(diskMb)) {
    r.fail('executorDiskMb', `FC gives a function ${sizes.join(' or ')} MB of disk, got ${diskMb}`);
    return diskMb;
  }
  const runDiskMaxMib = (runLimits.diskMaxBytes ?? RUN_LIMITS.diskBytes.max) / STACK_UNITS.Mib.factor;
  const bound = runDiskMaxMibFor(diskMb);
  if (runDiskMaxMib > bound) {
    const larger = sizes.find((size) => runDiskMaxMibFor(size) >= runDiskMaxMib);
    r.fail(
      'runDiskMaxMib',
      `${runDiskMaxMib} MiB leaves the executor less than its ${EXECUTOR_DISK_MARGIN_MIB} MiB on its ${diskMb} MB disk (executorDiskMb), where the run folders are; ` +
        `use at most ${bound}` + (larger !== undefined ? `, or executorDiskMb ${larger}` : ''),
    );
  }
  return diskMb;
}

function checkCpuMemoryRatio(r: Reader, key: ConfigKey, cpu: number, memoryMb: number): void {
  const gbPerCpu = memoryMb / 1024 / cpu;
  if (gbPerCpu < FC_LIMITS.gbPerCpu.min - 1e-9 || gbPerCpu > FC_LIMITS.gbPerCpu.max + 1e-9) {
    r.fail(
      key,
      `${cpu} vCPU with ${memoryMb} MB is ${gbPerCpu.toFixed(2)} GB per vCPU; FC needs between ${FC_LIMITS.gbPerCpu.min} and ${FC_LIMITS.gbPerCpu.max} ` +
        `(vCPU:GB from 1:1 to 1:4), so use ${(memoryMb / 1024 / FC_LIMITS.gbPerCpu.max).toFixed(2)} to ${(memoryMb / 1024 / FC_LIMITS.gbPerCpu.min).toFixed(2)} vCPU`,
    );
  }
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}

/**
 * Reads the `pocketrun:*` keys of the current stack (plaintext: secrets arrive decrypted, and only the token's hash
 * is ever used) and parses them. Called once, by `infra/index.ts`.
 */
export function readStackConfig(): StackConfig {
  // Imported here so that `parseStackConfig` stays usable without Pulumi loaded.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pulumi = require('@pulumi/pulumi') as typeof import('@pulumi/pulumi');
  const raw: RawStackConfig = {};
  const prefix = `${CONFIG_NAMESPACE}:`;
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (fullKey.startsWith(prefix)) raw[fullKey.slice(prefix.length)] = value;
  }
  return parseStackConfig(raw, { stack: pulumi.getStack() });
}
