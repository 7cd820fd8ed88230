/**
 * A Judge0 submission (the body of `POST /submissions`, or one of a batch) → pocketrun's judge request, the very one
 * `POST /api/execute` makes. What Judge0 sets per request and pocketrun takes: the code, language, stdin, expected
 * output, CPU and wall time, memory, arguments, stderr into stdout. Judge0's other tuning knobs (extra CPU time,
 * stack, processes, file size, number of runs, the per-process flags) are accepted and ignored: pocketrun's own
 * limits hold there (they must still be numbers or booleans). What cannot be honoured is refused with 422 rather
 * than silently dropped: callbacks, extra files, network, compiler options. Numbers and booleans are read as Rails
 * casts them (railsCast.ts): `"128000"` is 128000.
 *
 * Limits: above the maximum (judge mode's, under the run policy: core/judge/judgeLimitRanges.ts) is refused, as
 * Judge0 refuses more than its configured maximum; zero or less is refused; a positive value below pocketrun's
 * minimum (0.1 s of CPU or wall time, 16 MiB of memory: below them a program does not even start, while Judge0's
 * isolate goes down to 2048 KB) is raised to it, the same way for the three.
 */
import type { ExecuteRequest } from '../../core/executeRequest';
import { parseJudgeLimits } from '../../core/executeRequest';
import { argProblem, isObject } from '../../core/validate';
import { ApiError } from '../../core/apiError';
import type { LimitPolicy } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import { judgeLimitRanges, type LimitRange } from '../../core/judge/judgeLimitRanges';
import { decodeBase64Lenient } from '../../core/decodeBase64Lenient';
import { stdinOf } from '../../core/judge/judgeInput';
import { invalid } from './judge0Errors';
import { findJudge0Language } from './judge0Languages';
import { railsBoolean, railsNumber } from './railsCast';
import { shellWords } from './shellWords';

/** What the manifest keeps (`client`) to answer GET like the POST would have. */
export interface Judge0Note {
  api: 'judge0';
  languageId: number;
  redirectStderrToStdout: boolean;
  commandLineArguments: string | null;
}

/**
 * Judge0's knobs taken and ignored, its numbers and its booleans: still checked to be one (Judge0 refuses them
 * otherwise), then dropped.
 */
const IGNORED_NUMBERS = ['cpu_extra_time', 'stack_limit', 'max_processes_and_or_threads', 'max_file_size', 'number_of_runs'];
const IGNORED_BOOLEANS = ['enable_per_process_and_thread_time_limit', 'enable_per_process_and_thread_memory_limit'];
/** Documentation: the fields this module knows of. */
export const IGNORED = [...IGNORED_NUMBERS, ...IGNORED_BOOLEANS];
export const TAKEN = [
  'source_code', 'language_id', 'stdin', 'expected_output', 'cpu_time_limit', 'wall_time_limit', 'memory_limit',
  'command_line_arguments', 'redirect_stderr_to_stdout',
];
/** Refused when set to anything but Judge0's default (null / empty). */
const UNSUPPORTED: Record<string, string> = {
  callback_url: 'callbacks are not supported here; poll GET /submissions/{token}',
  additional_files: 'additional files are not supported here',
  compiler_options: 'compiler options are not supported here',
};

/** A field's bytes, decoded from base64 when the request says so (else its text's UTF-8); null when absent. */
function bytes(body: Record<string, unknown>, field: string, base64: boolean): Buffer | null {
  const value = body[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  if (!base64) return Buffer.from(value, 'utf8');
  const decoded = decodeBase64Lenient(value);
  if (!decoded) throw new ApiError(400, 'invalid_request', `${field}: not valid base64 (sent with base64_encoded=true)`);
  return decoded;
}

/** A field pocketrun keeps as text (the code, the expected output): bytes that are not UTF-8 become U+FFFD. */
function text(body: Record<string, unknown>, field: string, base64: boolean): string | null {
  return bytes(body, field, base64)?.toString('utf8') ?? null;
}

/** Seconds (Judge0 takes floats) → ms, within (0, max], raised to the minimum; undefined (the default) when absent. */
function seconds(body: Record<string, unknown>, field: string, range: LimitRange): number | undefined {
  const n = railsNumber(body, field);
  if (n === undefined) return undefined;
  if (n <= 0) throw invalid(field, 'must be greater than 0');
  if (n * 1000 > range.max) throw invalid(field, `must be less than or equal to ${range.max / 1000}`);
  return Math.max(range.min, Math.round(n * 1000));
}

/** `memory_limit`, KB → MiB, within (0, max], raised to the minimum; undefined (the default) when absent. */
function memoryMb(body: Record<string, unknown>, range: LimitRange): number | undefined {
  const n = railsNumber(body, 'memory_limit');
  if (n === undefined) return undefined;
  // Judge0's column is an integer: Rails drops a fraction.
  const kb = Math.trunc(n);
  if (kb <= 0) throw invalid('memory_limit', 'must be greater than 0');
  if (kb > range.max * 1024) throw invalid('memory_limit', `must be less than or equal to ${range.max * 1024}`);
  return Math.max(range.min, Math.ceil(kb / 1024));
}

export function parseJudge0Submission(body: unknown, base64: boolean, policy: LimitPolicy): ExecuteRequest {
  if (!isObject(body)) throw new ApiError(400, 'invalid_request', 'body: expected a JSON object');
  // Judge0 (Rails' strong parameters) drops what it does not know, TAKEN and IGNORED aside; so does this.
  for (const [key, why] of Object.entries(UNSUPPORTED)) {
    const v = body[key];
    if (v !== undefined && v !== null && v !== '') throw invalid(key, why);
  }
  if (railsBoolean(body, 'enable_network')) throw invalid('enable_network', 'programs have no network here');
  for (const field of IGNORED_NUMBERS) railsNumber(body, field);
  for (const field of IGNORED_BOOLEANS) railsBoolean(body, field);
  const code = text(body, 'source_code', base64);
  if (code === null || code === '') throw invalid('source_code', "can't be blank");
  if (Buffer.byteLength(code) > L.MAX_CODE_BYTES) throw invalid('source_code', `is longer than ${L.MAX_CODE_BYTES} bytes`);
  const rawId = body.language_id;
  const id = railsNumber(body, 'language_id');
  if (id === undefined) throw invalid('language_id', "can't be blank");
  const language = Number.isInteger(id) ? findJudge0Language(id) : undefined;
  if (!language) throw invalid('language_id', `language with id ${JSON.stringify(rawId)} doesn't exist`);

  // Stdin as bytes: the program reads exactly what was sent, UTF-8 or not (Judge0 keeps them too).
  const stdin = bytes(body, 'stdin', base64) ?? Buffer.alloc(0);
  const expected = text(body, 'expected_output', base64);
  for (const [field, size] of [['stdin', stdin.length], ['expected_output', Buffer.byteLength(expected ?? '')]] as const) {
    if (size > L.JUDGE_MAX_TEST_FIELD_BYTES) throw invalid(field, `is longer than ${L.JUDGE_MAX_TEST_FIELD_BYTES} bytes`);
  }
  const cla = body.command_line_arguments;
  if (cla !== undefined && cla !== null && typeof cla !== 'string') throw invalid('command_line_arguments', 'must be a string');
  const args = typeof cla === 'string' ? shellWords(cla) : [];
  if (!args) throw invalid('command_line_arguments', 'has an unclosed quote');
  if (args.length > L.MAX_ARGS) throw invalid('command_line_arguments', `has more than ${L.MAX_ARGS} arguments`);
  for (const [i, arg] of args.entries()) {
    const problem = argProblem(arg);
    if (problem) throw invalid('command_line_arguments', `argument ${i + 1}: ${problem}`);
  }
  const redirect = railsBoolean(body, 'redirect_stderr_to_stdout');

  const ranges = judgeLimitRanges(policy);
  const limits = parseJudgeLimits(
    {
      cpuMs: seconds(body, 'cpu_time_limit', ranges.cpuMs),
      timeoutMs: seconds(body, 'wall_time_limit', ranges.timeoutMs),
      memoryMb: memoryMb(body, ranges.memoryMb),
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
    tests: [expected === null ? stdinOf(stdin) : { ...stdinOf(stdin), expectedOutput: expected }],
    batch: false,
    client: { ...note },
  };
}
