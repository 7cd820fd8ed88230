/**
 * A judge run as Judge0 shows a submission: its field names and types (times as strings of seconds, memory in KB,
 * the exit signal as a number, empty streams as null), only the fields asked for (`fields=a,b`, `*` for all, else
 * Judge0's defaults), the texts base64-encoded when asked.
 *
 * A compile error is Judge0's app/jobs/isolate_job.rb `compile` failure branch: the compiler's output (or
 * "Compilation time limit exceeded." when it was stopped for time) and nothing else, time, wall time, memory, exit
 * code and signal, message and the streams all null, since nothing ran. A program that ran has the exit code and
 * signal isolate's meta gives Judge0 (judge0Exit.ts).
 *
 * The streams are the program's bytes (core/judge/streamText.ts): with `base64_encoded=true` their exact base64,
 * without it their text, or, where they are not UTF-8, NotUtf8 for the caller to answer as Judge0's controller does
 * (its serializer cannot render such a string and raises Encoding::UndefinedConversionError).
 */
import { isUtf8 } from 'buffer';
import { ApiError } from '../../core/apiError';
import type { JudgeOutcome } from '../../core/runService';
import type { RuntimeInfo } from '../../core/protocol';
import { findJudge0Language, judge0LanguageName, primaryJudge0Id } from './judge0Languages';
import { compileTimedOut } from '../../core/judge/compileVerdict';
import { judge0Exit } from './judge0Exit';
import { judge0StatusOf, status } from './judge0Statuses';
import type { Judge0Note } from './judge0Submission';
import { streamBytes } from '../../core/judge/streamText';

/** What Judge0 answers without `fields`. */
export const DEFAULT_FIELDS = ['token', 'stdout', 'stderr', 'compile_output', 'message', 'status', 'time', 'memory'];

export const ALL_FIELDS = [
  'source_code', 'language_id', 'stdin', 'expected_output', 'stdout', 'status_id', 'created_at', 'finished_at', 'time',
  'memory', 'stderr', 'token', 'number_of_runs', 'cpu_time_limit', 'cpu_extra_time', 'wall_time_limit', 'memory_limit',
  'stack_limit', 'max_processes_and_or_threads', 'enable_per_process_and_thread_time_limit',
  'enable_per_process_and_thread_memory_limit', 'max_file_size', 'compile_output', 'exit_code', 'exit_signal',
  'message', 'wall_time', 'compiler_options', 'command_line_arguments', 'redirect_stderr_to_stdout', 'callback_url',
  'additional_files', 'enable_network', 'status', 'language',
];

/** The texts Judge0 encodes with `base64_encoded=true`. */
const TEXT_FIELDS = new Set(['source_code', 'stdin', 'expected_output', 'stdout', 'stderr', 'compile_output', 'message']);

/** `fields=` → the list; 400 naming the unknown ones, as Judge0 does. */
export function parseFields(value: string | null): string[] {
  if (value === null || value.trim() === '') return DEFAULT_FIELDS;
  const asked = value.split(',').map((f) => f.trim()).filter((f) => f !== '');
  if (asked.includes('*')) return ALL_FIELDS;
  const unknown = asked.filter((f) => !ALL_FIELDS.includes(f));
  if (unknown.length > 0) throw new ApiError(400, 'invalid_request', `invalid fields: [${unknown.join(', ')}]`);
  return asked;
}

/** What Judge0 puts in `compile_output` when the compiler ran out of time (isolate_job.rb). */
const COMPILE_TIME_LIMIT = 'Compilation time limit exceeded.';

/** A field asked for without base64 holds bytes that are not UTF-8. */
export class NotUtf8 extends Error {
  constructor(readonly field: string) {
    super(`${field} is not valid UTF-8`);
  }
}

/** A stream's bytes (the program's, or the stdin it was given), null when empty, as Judge0 leaves an empty stream. */
const streamOrNull = (text: string | undefined, base64: string | undefined): Buffer | null => {
  const bytes = streamBytes(text ?? '', base64);
  return bytes.length === 0 ? null : bytes;
};

const seconds = (ms: number) => String(Number((ms / 1000).toFixed(3)));
const orNull = (s: string | undefined | null) => (s === undefined || s === null || s === '' ? null : s);

export interface ResponseOptions {
  fields: string[];
  base64: boolean;
  /** The executors' runtimes, for the language's name (`fields=language`); null before any has reported. */
  runtimes: RuntimeInfo[] | null;
}

export function judge0Response(token: string, outcome: JudgeOutcome, options: ResponseOptions): Record<string, unknown> {
  const { manifest, result } = outcome;
  const note = (manifest.client?.api === 'judge0' ? manifest.client : {}) as Partial<Judge0Note>;
  const languageId = note.languageId ?? primaryJudge0Id(manifest.language) ?? null;
  const test = manifest.judge?.tests[0];
  const st = result ? judge0StatusOf(result) : status(outcome.state === 'queued' ? 1 : 2);
  let stdout = result ? streamOrNull(result.stdout, result.stdoutBase64) : null;
  let stderr = result ? streamOrNull(result.stderr, result.stderrBase64) : null;
  if (result && note.redirectStderrToStdout) {
    // The streams are kept apart by the run; merged here, stdout first (their interleaving is not recorded).
    stdout = stdout && stderr ? Buffer.concat([stdout, stderr]) : (stdout ?? stderr);
    stderr = null;
  }
  // Nothing ran: no figures, no exit, no message (isolate_job.rb's compile failure sets them all to nil).
  const ran = result != null && result.status !== 'compile_error';
  const exit = ran ? judge0Exit(result, st.id) : { exit_code: null, exit_signal: null };
  const compileOutput = !result ? null : !ran && compileTimedOut(result.message) ? COMPILE_TIME_LIMIT : streamOrNull(result.compileOutput, result.compileOutputBase64);
  const lang = languageId === null ? undefined : findJudge0Language(languageId);
  const runtime = lang && options.runtimes?.find((r) => r.language === lang.language);
  const all: Record<string, unknown> = {
    source_code: manifest.code,
    language_id: languageId,
    // The bytes sent: with base64_encoded=true a stdin that is not UTF-8 comes back as it went in.
    stdin: test ? streamOrNull(test.stdin, test.stdinBase64) : null,
    expected_output: test?.expectedOutput ?? null,
    stdout,
    status_id: st.id,
    created_at: manifest.createdAt,
    finished_at: outcome.finishedAt ?? null,
    time: ran ? seconds(result.cpuMs) : null,
    memory: ran ? result.memoryKb : null,
    stderr,
    token,
    number_of_runs: 1,
    cpu_time_limit: seconds(manifest.limits.cpuMs),
    cpu_extra_time: '0',
    wall_time_limit: seconds(manifest.limits.timeoutMs),
    memory_limit: Math.round(manifest.limits.memoryBytes / 1024),
    stack_limit: null,
    max_processes_and_or_threads: manifest.limits.processes,
    enable_per_process_and_thread_time_limit: false,
    enable_per_process_and_thread_memory_limit: false,
    max_file_size: Math.round(manifest.limits.fileBytes / 1024),
    compile_output: compileOutput,
    ...exit,
    message: ran ? orNull(result.message) : null,
    wall_time: ran ? seconds(result.wallMs) : null,
    compiler_options: null,
    command_line_arguments: note.commandLineArguments ?? null,
    redirect_stderr_to_stdout: note.redirectStderrToStdout ?? false,
    callback_url: null,
    additional_files: null,
    enable_network: false,
    status: st,
    language: lang ? { id: lang.id, name: runtime ? judge0LanguageName(lang, runtime) : lang.label.replace(/ \(.*$/, '') } : null,
  };
  const out: Record<string, unknown> = {};
  for (const field of options.fields) {
    const value = all[field];
    if (Buffer.isBuffer(value)) {
      if (!options.base64 && !isUtf8(value)) throw new NotUtf8(field);
      out[field] = value.toString(options.base64 ? 'base64' : 'utf8');
    } else {
      out[field] = options.base64 && TEXT_FIELDS.has(field) && typeof value === 'string' ? Buffer.from(value, 'utf8').toString('base64') : value;
    }
  }
  return out;
}
