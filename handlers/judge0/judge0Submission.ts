/**
 * A Judge0 submission (the body of `POST /submissions`, or one of a batch) → pocketrun's judge request, the very one
 * `POST /api/execute` makes. What Judge0 sets per request and pocketrun takes: the code, language, stdin, expected
 * output, CPU and wall time, memory, arguments, stderr into stdout. Judge0's other tuning knobs (extra CPU time,
 * stack, processes, file size, number of runs) are accepted and ignored: pocketrun's own limits hold there. What
 * cannot be honoured is refused with 422 rather than silently dropped: callbacks, extra files, network, compiler
 * options.
 */
import type { ExecuteRequest } from '../../core/executeRequest';
import { parseJudgeLimits } from '../../core/executeRequest';
import { isObject } from '../../core/validate';
import { ApiError } from '../../core/apiError';
import type { LimitPolicy } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import { RUN_LIMITS } from '../../core/runLimits';
import { decodeBase64Lenient } from './decodeBase64Lenient';
import { invalid } from './judge0Errors';
import { findJudge0Language } from './judge0Languages';
import { shellWords } from './shellWords';

/** What the manifest keeps (`client`) to answer GET like the POST would have. */
export interface Judge0Note {
  api: 'judge0';
  languageId: number;
  redirectStderrToStdout: boolean;
  commandLineArguments: string | null;
}

/** Judge0's knobs taken as sent and ignored (documentation: the fields this module knows of). */
export const IGNORED = [
  'cpu_extra_time', 'stack_limit', 'max_processes_and_or_threads', 'enable_per_process_and_thread_time_limit',
  'enable_per_process_and_thread_memory_limit', 'max_file_size', 'number_of_runs',
];
export const TAKEN = [
  'source_code', 'language_id', 'stdin', 'expected_output', 'cpu_time_limit', 'wall_time_limit', 'memory_limit',
  'command_line_arguments', 'redirect_stderr_to_stdout',
];
/** Refused when set to anything but Judge0's default (null / false). */
const UNSUPPORTED: Record<string, string> = {
  callback_url: 'callbacks are not supported here; poll GET /submissions/{token}',
  additional_files: 'additional files are not supported here',
  enable_network: 'programs have no network here',
  compiler_options: 'compiler options are not supported here',
};

/** A text field, decoded from base64 when the request says so; null when absent. */
function text(body: Record<string, unknown>, field: string, base64: boolean): string | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  if (!base64) return value;
  const bytes = decodeBase64Lenient(value);
  if (!bytes) throw new ApiError(400, 'invalid_request', `${field}: not valid base64 (sent with base64_encoded=true)`);
  return bytes.toString('utf8');
}

/** Seconds (Judge0 takes floats) → ms, within (0, maxMs]; the default when absent. */
function seconds(body: Record<string, unknown>, field: string, maxMs: number): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(field, 'is not a number');
  if (n <= 0) throw invalid(field, 'must be greater than 0');
  if (n * 1000 > maxMs) throw invalid(field, `must be less than or equal to ${maxMs / 1000}`);
  return Math.max(1, Math.round(n * 1000));
}

const atLeast = (ms: number | undefined, min: number) => (ms === undefined ? undefined : Math.max(ms, min));

export function parseJudge0Submission(body: unknown, base64: boolean, policy: LimitPolicy): ExecuteRequest {
  if (!isObject(body)) throw new ApiError(400, 'invalid_request', 'body: expected a JSON object');
  // Judge0 (Rails' strong parameters) drops what it does not know, TAKEN and IGNORED aside; so does this.
  for (const [key, why] of Object.entries(UNSUPPORTED)) {
    const v = body[key];
    if (v !== undefined && v !== null && v !== false && v !== '') throw invalid(key, why);
  }
  const code = text(body, 'source_code', base64);
  if (code === null || code === '') throw invalid('source_code', "can't be blank");
  if (Buffer.byteLength(code) > L.MAX_CODE_BYTES) throw invalid('source_code', `is longer than ${L.MAX_CODE_BYTES} bytes`);
  const rawId = body.language_id;
  if (rawId === undefined || rawId === null || rawId === '') throw invalid('language_id', "can't be blank");
  const id = typeof rawId === 'string' && /^\d+$/.test(rawId) ? Number(rawId) : rawId;
  const language = typeof id === 'number' && Number.isInteger(id) ? findJudge0Language(id) : undefined;
  if (!language) throw invalid('language_id', `language with id ${JSON.stringify(rawId)} doesn't exist`);

  const stdin = text(body, 'stdin', base64) ?? '';
  const expected = text(body, 'expected_output', base64);
  for (const [field, value] of [['stdin', stdin], ['expected_output', expected ?? '']] as const) {
    if (Buffer.byteLength(value) > L.JUDGE_MAX_TEST_FIELD_BYTES) throw invalid(field, `is longer than ${L.JUDGE_MAX_TEST_FIELD_BYTES} bytes`);
  }
  const cla = body.command_line_arguments;
  if (cla !== undefined && cla !== null && typeof cla !== 'string') throw invalid('command_line_arguments', 'must be a string');
  const args = typeof cla === 'string' ? shellWords(cla) : [];
  if (!args) throw invalid('command_line_arguments', 'has an unclosed quote');
  if (args.length > L.MAX_ARGS) throw invalid('command_line_arguments', `has more than ${L.MAX_ARGS} arguments`);
  const redirect = body.redirect_stderr_to_stdout;
  if (redirect !== undefined && redirect !== null && typeof redirect !== 'boolean') throw invalid('redirect_stderr_to_stdout', 'must be true or false');

  const memoryKb = body.memory_limit;
  if (memoryKb !== undefined && memoryKb !== null && (typeof memoryKb !== 'number' || !Number.isInteger(memoryKb) || memoryKb <= 0)) {
    throw invalid('memory_limit', 'must be a positive integer (KB)');
  }
  const maxMemoryKb = Math.min(L.JUDGE_MAX_MEMORY_MB * 1024, Math.floor(policy.memoryBytes.max / 1024));
  if (typeof memoryKb === 'number' && memoryKb > maxMemoryKb) throw invalid('memory_limit', `must be less than or equal to ${maxMemoryKb}`);
  if (typeof memoryKb === 'number' && memoryKb < L.JUDGE_MIN_MEMORY_MB * 1024) throw invalid('memory_limit', `must be greater than or equal to ${L.JUDGE_MIN_MEMORY_MB * 1024}`);
  const limits = parseJudgeLimits(
    {
      // Judge0 allows tiny limits; below pocketrun's minimum they are raised to it (a program cannot even start).
      cpuMs: atLeast(seconds(body, 'cpu_time_limit', Math.min(L.JUDGE_MAX_CPU_MS, policy.cpuMs.max)), L.JUDGE_MIN_CPU_MS),
      timeoutMs: atLeast(seconds(body, 'wall_time_limit', Math.min(L.JUDGE_MAX_TIMEOUT_MS, policy.timeoutMs.max)), RUN_LIMITS.timeoutMs.min),
      memoryMb: typeof memoryKb === 'number' ? Math.ceil(memoryKb / 1024) : undefined,
    },
    policy,
  );
  const note: Judge0Note = {
    api: 'judge0',
    languageId: language.id,
    redirectStderrToStdout: redirect === true,
    commandLineArguments: typeof cla === 'string' ? cla : null,
  };
  return {
    language: language.language,
    code,
    args,
    files: [],
    limits,
    tests: [expected === null ? { stdin } : { stdin, expectedOutput: expected }],
    batch: false,
    client: { ...note },
  };
}
