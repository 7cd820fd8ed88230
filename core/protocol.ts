/**
 * The run protocol: how the API and the executor talk through the two buckets. `docs/protocol.md` is the prose
 * version of this file; keep them together.
 */

import type { CompileBudget } from './compileLimits';
import type { JudgeFile, JudgeSpec } from './judge/judgeSpec';
import type { ExecuteResult } from './judge/executeResult';
import type { RunLimits } from './runLimits';

/** The manifest's `limits`: one number per row of the run limits table. */
export type { RunLimits };

/** 18 random bytes → 24 URL-safe base64 characters: 144 bits, no padding. */
export const RUN_ID_BYTES = 18;
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{24}$/;

export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID_PATTERN.test(value);
}

/** Code bucket: one manifest per run. The OSS trigger's filter is exactly this prefix and suffix. */
export const MANIFEST_PREFIX = 'manifests/';
export const MANIFEST_SUFFIX = '.json';
/** Runs bucket: every object of a run lives under this prefix (lifecycle rules expire it). */
export const RUNS_PREFIX = 'runs/';

/**
 * Every object of the protocol. The functions' RAM policies grant writes key by key from these (infra/stack.ts
 * `WRITES`, `*` for the run id): a key a function newly writes must be added there, or OSS refuses the write.
 */
export const keys = {
  manifest: (id: string) => `${MANIFEST_PREFIX}${id}${MANIFEST_SUFFIX}`,
  /** Written once, with overwrite forbidden: whoever creates it owns the run. */
  claim: (id: string) => `${RUNS_PREFIX}${id}/claim`,
  status: (id: string) => `${RUNS_PREFIX}${id}/status.json`,
  /**
   * Appendable: the program's terminal output, raw bytes, complete before the final status; for a run with
   * `streams: 'split'`, frames (core/outputFrames.ts) keeping stdout and stderr apart, so one read still serves both.
   * A long poll reads it beside the status and once more after a `finished` status (core/runService.ts `output`).
   */
  output: (id: string) => `${RUNS_PREFIX}${id}/output`,
  /**
   * Appendable: newline-delimited JSON control records (stdin, kill, signal, resize), in the order the API accepted
   * them. Appended without a HEAD (at the writer's last known end; a PositionMismatch carries the real one); read by
   * the executor at the rates of core/controlPollPeriod.ts.
   */
  control: (id: string) => `${RUNS_PREFIX}${id}/control`,
  /**
   * Judge mode, as executors before the answer moved into the final status (StatusDoc.answer) put it: the whole
   * answer, once, before that status. Read only where a finished status carries no answer.
   */
  result: (id: string) => `${RUNS_PREFIX}${id}/result.json`,
  /**
   * What the newest executor instance found its host allows (SandboxReport and when), written at its start, so
   * that `/api/health` can say it in FC too, where the API never sees an executor. Not a run id (24 characters).
   */
  executorReport: () => `${RUNS_PREFIX}_executor/sandbox.json`,
  /**
   * The languages the executor instances can run and their versions (RuntimesDoc), probed by an idle instance when
   * the list is missing or stale (handlers/runtimesReport.ts), for `GET /api/runtimes`: in FC the API function never
   * sees a toolchain.
   */
  runtimes: () => `${RUNS_PREFIX}_executor/runtimes.json`,
};

/** The run id a manifest key names, or null when the key is not a manifest key. */
export function runIdFromManifestKey(key: string): string | null {
  if (!key.startsWith(MANIFEST_PREFIX) || !key.endsWith(MANIFEST_SUFFIX)) return null;
  const id = key.slice(MANIFEST_PREFIX.length, key.length - MANIFEST_SUFFIX.length);
  return isRunId(id) ? id : null;
}

export interface Manifest {
  version: 1;
  id: string;
  language: string;
  code: string;
  args: string[];
  limits: RunLimits;
  /** `true` for the blocking (judge-style) form; the program still runs under the same path. */
  interactive: boolean;
  cols: number;
  rows: number;
  createdAt: string;
  /** Present for judge mode (`POST /api/execute`): the tests and extra files; the program runs on pipes. */
  judge?: JudgeSpec;
  /**
   * Interactive runs only. `split`: the program runs on pipes, not a terminal (no echo, `\n` stays `\n`), its stdin
   * open to the control stream as on a terminal, and its output object holds frames that keep stdout and stderr
   * apart and mark where the program starts after a compile step (core/outputFrames.ts). Absent: the terminal.
   */
  streams?: 'split';
  /** Interactive runs: extra files written beside the program (judge runs carry theirs in `judge`). */
  files?: JudgeFile[];
  /** A lower compile budget than the built-in one (Piston's `compile_*`; core/compileLimits.ts): never raises it. */
  compileLimits?: CompileBudget;
  /**
   * What a compatibility API (handlers/judge0, handlers/piston) noted about the request to answer it later from any
   * instance, e.g. the Judge0 language id it was sent with. Opaque to the executor, which ignores it.
   */
  client?: Record<string, unknown>;
}

export type RunState = 'queued' | 'running' | 'finished';

export type RunStatus =
  | 'ok'
  /** Judge mode only (core/judge/executeResult.ts): the top-level status of the answer. */
  | 'accepted'
  | 'wrong_answer'
  | 'compile_error'
  | 'runtime_error'
  | 'timeout'
  | 'output_limit'
  /** The run wrote more than `limits.diskBytes` in files. */
  | 'disk_limit'
  | 'memory_limit'
  /** The compile step failed (or, for TypeScript, the code did not parse): its output says why. */
  | 'compile_error'
  | 'killed'
  | 'internal_error';

export interface RunResult {
  status: RunStatus;
  exitCode: number | null;
  /** Signal name, e.g. `SIGSEGV`, when the program died of a signal. */
  signal: string | null;
  wallMs: number;
  /** Wall time of the compile step, for compiled languages (`wallMs` is the program's, or the compiler's on `compile_error`). */
  compileMs?: number;
  /**
   * Present for `internal_error`, and for a compile step stopped by its own limits: what went wrong, never anything
   * from the program.
   */
  message?: string;
}

/** One language this platform's executors can run (`GET /api/runtimes`). */
export interface RuntimeInfo {
  language: string;
  name: string;
  /** The toolchain's own version, e.g. `3.11.2` (TypeScript: Node's). */
  version: string;
  aliases: string[];
  /** Whether a compile step runs first (its errors end the run as `compile_error`). */
  compiled: boolean;
  /** The page's editor mode. */
  editorMode: string;
}

/** What `keys.runtimes()` holds. */
export interface RuntimesDoc {
  executor: string;
  /** The executor build that probed it (handlers/runtimesReport.ts executorBuild): another build probes again. */
  build?: string;
  at: string;
  runtimes: RuntimeInfo[];
}

export interface StatusDoc {
  id: string;
  state: Exclude<RunState, 'queued'>;
  /** Which executor instance owns the run (for logs; never shown to other users). */
  executor: string;
  startedAt: string;
  /** Rewritten every HEARTBEAT_INTERVAL_MS while running. */
  heartbeatAt: string;
  finishedAt?: string;
  result?: RunResult;
  /**
   * Judge mode, in the final status only: the whole answer (core/judge/executeResult.ts), whose top level `result`
   * repeats. One object, so the executor puts one and the waiting API reads one once the run is finished.
   */
  answer?: ExecuteResult;
  /** The isolation the program ran under: `bwrap` or `uid`. */
  isolation?: string;
}

export interface ClaimDoc {
  id: string;
  executor: string;
  requestId: string;
  claimedAt: string;
}

export type ControlRecord = {
  /** The client's idempotency key (core/idempotencyKey.ts): a record whose key the stream carried before is a retry, applied once. */
  k?: string;
} & (
  | { t: 'in'; d: string }
  | { t: 'kill' }
  /** A signal for the program's processes (not the sandbox's wrappers), one of SIGNAL_NAMES (core/signals.ts). */
  | { t: 'signal'; name: string }
  | { t: 'resize'; cols: number; rows: number }
);

/** The OSS event the trigger delivers (the fields the executor reads). */
export interface OssEvent {
  events: Array<{
    eventName: string;
    eventTime?: string;
    region?: string;
    oss: {
      bucket: { name: string; arn?: string };
      object: { key: string; size?: number; eTag?: string };
    };
  }>;
}

/** Builds the event OSS would send for an object created in `bucket` (used by the local trigger emulation). */
export function ossPutEvent(bucket: string, key: string, size: number, eTag: string, region = 'local'): OssEvent {
  return {
    events: [
      {
        eventName: 'ObjectCreated:PutObject',
        eventSource: 'acs:oss',
        eventTime: new Date().toISOString(),
        eventVersion: '1.0',
        region,
        oss: {
          bucket: { name: bucket, arn: `acs:oss:${region}:local:${bucket}` },
          object: { key, size, eTag, deltaSize: size },
          ossSchemaVersion: '1.0',
        },
      } as OssEvent['events'][number],
    ],
  };
}

/** A fresh run id from `RUN_ID_BYTES` random bytes (the caller supplies the randomness: the core has no RNG). */
export function newRunId(randomBytes: (n: number) => Uint8Array): string {
  return Buffer.from(randomBytes(RUN_ID_BYTES)).toString('base64url');
}
