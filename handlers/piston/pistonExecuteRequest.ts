/**
 * Piston v2's job (the body of `POST /api/v2/execute`, and the `init` message of its WebSocket) → pocketrun's
 * requests, with Piston's defaults (run: 3 s wall, 3 s CPU; memory -1: the platform's default) and its messages for
 * what is wrong. The first file is the program; the others are written beside it. `parsePistonJob` reads what both
 * share; `parsePistonExecute` makes the judge request `POST /api/execute` makes, `pistonSocketRun` the interactive
 * run of the socket. `compile_timeout`, `compile_cpu_time` and `compile_memory_limit` lower the compile budget
 * (core/compileLimits.ts; above it is refused, as Piston refuses more than its configured limit); left out, the
 * compile step has pocketrun's own budget (README, *Languages*), not Piston's 10 s.
 */
import type { ExecuteRequest } from '../../core/executeRequest';
import type { JudgeFile } from '../../core/judge/judgeSpec';
import type { CompileBudget } from '../../core/compileLimits';
import { fileNameProblem, parseJudgeLimits } from '../../core/executeRequest';
import { findLanguage } from '../../core/languages';
import type { LimitPolicy } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import type { RuntimeInfo } from '../../core/protocol';
import { RUN_LIMITS } from '../../core/runLimits';
import { clampLimits } from '../../core/clampLimits';
import { argProblem, isObject, type CreateRunRequest } from '../../core/validate';
import { judgeLimitRanges } from '../../core/judge/judgeLimitRanges';
import { fileOf } from '../../core/judge/judgeInput';
import { decodeBase64Lenient } from '../../core/decodeBase64Lenient';
import { pistonError } from './pistonErrors';
import { resolvePistonRuntime } from './pistonRuntimes';

const MiB = 1024 * 1024;

export const PISTON_DEFAULTS = { compile_timeout: 10_000, run_timeout: 3_000, compile_cpu_time: 10_000, run_cpu_time: 3_000 };

export interface PistonRequest {
  runtime: RuntimeInfo;
  request: ExecuteRequest;
}

/** What a Piston job asks for, checked; a time or memory left out (or `-1`) is undefined. */
export interface PistonJob {
  runtime: RuntimeInfo;
  code: string;
  /** The files after the first, written beside the program. */
  files: JudgeFile[];
  stdin: string;
  args: string[];
  run: { timeoutMs?: number; cpuMs?: number; memoryBytes?: number };
  /** `compile_*`: lower the compile budget (core/compileLimits.ts); undefined when none was asked. */
  compile?: CompileBudget;
}

/** The most each `run_*` field may ask for: the REST form's are judge mode's, the socket's an interactive run's. */
export interface PistonMaxima {
  timeoutMs: number;
  cpuMs: number;
  memoryBytes: number;
}

/**
 * A file's bytes in its encoding; Piston's three. Bytes, not text: a data file the program reads must be on disk as
 * sent, UTF-8 or not, as Piston writes it.
 */
function decode(content: string, encoding: unknown, index: number): Buffer {
  switch (encoding ?? 'utf8') {
    case 'utf8':
      return Buffer.from(content, 'utf8');
    case 'base64': {
      const bytes = decodeBase64Lenient(content);
      if (!bytes) throw pistonError(`files[${index}].content is not valid base64`);
      return bytes;
    }
    case 'hex':
      if (!/^([0-9a-fA-F]{2})*$/.test(content)) throw pistonError(`files[${index}].content is not valid hex`);
      return Buffer.from(content, 'hex');
    default:
      throw pistonError(`files[${index}].encoding must be one of utf8, base64, hex`);
  }
}

/** A time or memory field: an integer, `-1` (or absent) for the default, at most `max`. */
function number(body: Record<string, unknown>, field: string, max: number): number | undefined {
  const value = body[field];
  if (value === undefined || value === null || value === -1) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw pistonError(`${field} must be a number`);
  if (value < 0) throw pistonError(`${field} must be a positive number`);
  if (value > max) throw pistonError(`${field} cannot exceed the configured limit of ${max}`);
  return Math.round(value);
}

export function parsePistonJob(body: unknown, runtimes: readonly RuntimeInfo[], maxima: PistonMaxima): PistonJob {
  if (!isObject(body)) throw pistonError('body must be a JSON object');
  const { language, version, files } = body;
  if (typeof language !== 'string') throw pistonError('language is required as a string');
  if (typeof version !== 'string') throw pistonError('version is required as a string');
  if (!Array.isArray(files)) throw pistonError('files is required as an array');
  if (files.length === 0) throw pistonError('files must contain at least one file');
  if (files.length > L.JUDGE_MAX_FILES + 1) throw pistonError(`files must contain at most ${L.JUDGE_MAX_FILES + 1} files`);
  const decoded = files.map((file, i) => {
    if (!isObject(file)) throw pistonError(`files[${i}] must be an object`);
    if (typeof file.content !== 'string') throw pistonError(`files[${i}].content is required as a string`);
    if (file.name !== undefined && file.name !== null && typeof file.name !== 'string') throw pistonError(`files[${i}].name must be a string`);
    return { name: typeof file.name === 'string' ? file.name : undefined, bytes: decode(file.content, file.encoding, i) };
  });
  // The request's own fields before the runtime: whether they are well-formed does not depend on what runs here.
  const stdin = body.stdin ?? '';
  if (typeof stdin !== 'string') throw pistonError('stdin must be a string');
  if (Buffer.byteLength(stdin) > L.JUDGE_MAX_TEST_FIELD_BYTES) throw pistonError(`stdin is larger than ${L.JUDGE_MAX_TEST_FIELD_BYTES} bytes`, 413);
  const args = body.args ?? [];
  if (!Array.isArray(args)) throw pistonError('args must be an array of strings');
  if (args.length > L.MAX_ARGS) throw pistonError(`args must contain at most ${L.MAX_ARGS} arguments`);
  for (const [i, arg] of args.entries()) {
    const problem = argProblem(arg);
    if (problem) throw pistonError(`args[${i}] ${problem === 'expected a string' ? 'must be a string' : problem}`);
  }
  const compile = {
    timeoutMs: number(body, 'compile_timeout', L.COMPILE_TIMEOUT_MS),
    cpuMs: number(body, 'compile_cpu_time', L.COMPILE_CPU_MS),
    memoryBytes: number(body, 'compile_memory_limit', L.COMPILE_MEMORY_BYTES),
  };
  const run = {
    timeoutMs: number(body, 'run_timeout', maxima.timeoutMs),
    cpuMs: number(body, 'run_cpu_time', maxima.cpuMs),
    memoryBytes: number(body, 'run_memory_limit', maxima.memoryBytes),
  };

  const runtime = resolvePistonRuntime(runtimes, language, version);
  if (!runtime) throw pistonError(`${language}-${version} runtime is unknown`);
  const lang = findLanguage(runtime.language)!;

  // The program is source code, text (as `code` of /api): bytes of it that are not UTF-8 become U+FFFD.
  const code = decoded[0].bytes.toString('utf8');
  if (decoded[0].bytes.length > L.MAX_CODE_BYTES) throw pistonError(`files[0].content is larger than ${L.MAX_CODE_BYTES} bytes`, 413);
  const programFile = lang.source(code).fileName;
  const extra = decoded.slice(1).map((file, n) => {
    const i = n + 1;
    // Piston names unnamed files file0.code, file1.code, …
    const name = file.name ?? `file${i}.code`;
    const problem = fileNameProblem(name);
    if (problem) throw pistonError(`files[${i}].name ${problem}`);
    if (name === programFile) throw pistonError(`files[${i}].name ${JSON.stringify(name)} is the program's own file`);
    return fileOf(name, file.bytes);
  });
  if (new Set(extra.map((f) => f.name)).size !== extra.length) throw pistonError('files must have distinct names');
  // What lands on disk counts: the decoded bytes.
  if (decoded.reduce((n, f) => n + f.bytes.length, 0) > L.MAX_CODE_BYTES) {
    throw pistonError(`the files together are larger than ${L.MAX_CODE_BYTES} bytes`, 413);
  }

  const asked = Object.fromEntries(Object.entries(compile).filter(([, v]) => v !== undefined)) as CompileBudget;
  return {
    ...(Object.keys(asked).length ? { compile: asked } : {}),
    runtime,
    code,
    files: extra,
    stdin,
    args: args as string[],
    run,
  };
}

/**
 * The stdin Piston hands its program: with a final newline added when it has none (an empty stdin becomes one empty
 * line), as its api/src/job.js Job constructor does. Without it a `while read l` loop in bash never sees the last
 * line, and programs written against Piston count on it.
 */
function pistonStdin(stdin: string): string {
  return stdin.endsWith('\n') ? stdin : `${stdin}\n`;
}

/** `POST /api/v2/execute`: a judge run with one test, the job's stdin (with Piston's final newline). */
export function parsePistonExecute(body: unknown, runtimes: readonly RuntimeInfo[], policy: LimitPolicy): PistonRequest {
  const ranges = judgeLimitRanges(policy);
  const job = parsePistonJob(body, runtimes, {
    timeoutMs: ranges.timeoutMs.max,
    cpuMs: ranges.cpuMs.max,
    memoryBytes: ranges.memoryMb.max * MiB,
  });
  const wall = job.run.timeoutMs ?? PISTON_DEFAULTS.run_timeout;
  const cpu = job.run.cpuMs ?? PISTON_DEFAULTS.run_cpu_time;
  const memory = job.run.memoryBytes;
  const limits = parseJudgeLimits(
    {
      timeoutMs: Math.max(wall, ranges.timeoutMs.min),
      cpuMs: Math.max(cpu, ranges.cpuMs.min),
      memoryMb: memory === undefined ? undefined : Math.max(ranges.memoryMb.min, Math.ceil(memory / MiB)),
    },
    policy,
  );
  return {
    runtime: job.runtime,
    request: {
      language: job.runtime.language,
      code: job.code,
      args: job.args,
      files: job.files,
      limits,
      tests: [{ stdin: pistonStdin(job.stdin) }],
      batch: false,
      client: { api: 'piston' },
      ...(job.compile ? { compileLimits: job.compile } : {}),
    },
  };
}

/** The socket's `init` (handlers/piston/pistonSocket.ts): the job and the interactive run it becomes. */
export interface PistonSocketRun {
  job: PistonJob;
  request: CreateRunRequest;
}

/**
 * The socket's interactive run: `run_timeout` is its busy time (time blocked on stdin is not counted), the run's
 * interactive wall limit (the policy's default, or `run_timeout` when longer) bounds the session; `run_cpu_time` and
 * `run_memory_limit` as in the REST form. The job's `stdin` is written before the program starts (Piston's socket
 * drops it).
 */
export function pistonSocketRun(body: unknown, runtimes: readonly RuntimeInfo[], policy: LimitPolicy): PistonSocketRun {
  const job = parsePistonJob(body, runtimes, { timeoutMs: policy.timeoutMs.max, cpuMs: policy.cpuMs.max, memoryBytes: policy.memoryBytes.max });
  const busy = Math.max(job.run.timeoutMs ?? PISTON_DEFAULTS.run_timeout, RUN_LIMITS.busyTimeoutMs.min);
  const limits = clampLimits(
    {
      busyTimeoutMs: busy,
      timeoutMs: Math.max(policy.timeoutMs.default, busy),
      cpuMs: job.run.cpuMs ?? PISTON_DEFAULTS.run_cpu_time,
      ...(job.run.memoryBytes === undefined ? {} : { memoryBytes: job.run.memoryBytes }),
    },
    policy,
    // Raised to a minimum rather than refused, as the REST form does: Piston takes any positive number.
    { onInvalid: 'repair' },
  );
  return {
    job,
    request: { language: job.runtime.language, code: job.code, args: job.args, stdin: job.stdin, limits, tty: false, cols: L.DEFAULT_COLS, rows: L.DEFAULT_ROWS },
  };
}
