/**
 * The body of `POST /api/execute` → a typed request, or an ApiError naming the field (`tests[3].stdin`): 400 for
 * what is wrong, 413 for what is too large. Nothing here trusts the shape of its input.
 */
import { ApiError, badRequest } from './apiError';
import type { LimitPolicy } from './limitPolicy';
import type { JudgeFile, JudgeTest } from './judge/judgeSpec';
import { fileOf, stdinOf } from './judge/judgeInput';
import { decodeBase64Lenient } from './decodeBase64Lenient';
import { findLanguage, LANGUAGES } from './languages';
import * as L from './limits';
import type { RunLimits } from './protocol';
import type { CompileBudget } from './compileLimits';
import { judgeLimitRanges, type JudgeLimitRanges, type LimitRange } from './judge/judgeLimitRanges';
import { isObject, parseArgs, parseCode } from './validate';

/** The limits a judge request may set; the others are the run policy's defaults. */
export type JudgeLimits = Pick<RunLimits, 'timeoutMs' | 'cpuMs' | 'memoryBytes' | 'outputBytes'>;

export interface ExecuteRequest {
  language: string;
  code: string;
  args: string[];
  files: JudgeFile[];
  limits: JudgeLimits;
  /** One test for the single form (`stdin`, `expectedOutput`), else the request's `tests`. */
  tests: JudgeTest[];
  /** The request gave `tests`: the answer lists each one. */
  batch: boolean;
  /** Recorded in the manifest as `client` (see Manifest): set by the compatibility APIs only. */
  client?: Record<string, unknown>;
  /** A lower compile budget (the manifest's `compileLimits`): set by the compatibility APIs only. */
  compileLimits?: CompileBudget;
}

type Json = Record<string, unknown>;

const MiB = 1024 * 1024;
const BODY_FIELDS = ['language', 'code', 'stdin', 'stdinBase64', 'args', 'files', 'limits', 'expectedOutput', 'tests'];
const LIMIT_FIELDS = ['timeoutMs', 'cpuMs', 'memoryMb', 'outputBytes'];
const TEST_FIELDS = ['stdin', 'stdinBase64', 'expectedOutput'];
const FILE_FIELDS = ['name', 'content', 'encoding'];

const tooLarge = (field: string, message: string) => new ApiError(413, 'payload_too_large', `${field}: ${message}`);

function rejectUnknown(obj: Json, known: string[], path: string): void {
  for (const key of Object.keys(obj)) if (!known.includes(key)) throw badRequest(`${path}${key}`, 'unknown field');
}

/** A string field no larger than `maxBytes`; undefined when absent (or null). */
function optionalText(value: unknown, field: string, maxBytes: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(field, 'expected a string');
  if (Buffer.byteLength(value, 'utf8') > maxBytes) throw tooLarge(field, `larger than ${maxBytes} bytes`);
  return value;
}

const given = (value: unknown) => value !== undefined && value !== null;

/** Base64 (core/decodeBase64Lenient.ts) → its bytes, or a 400 naming the field. */
function base64Bytes(value: unknown, field: string): Buffer {
  if (typeof value !== 'string') throw badRequest(field, 'expected a string of base64');
  const bytes = decodeBase64Lenient(value);
  if (!bytes) throw badRequest(field, 'not valid base64');
  return bytes;
}

/**
 * A test's stdin, from `stdin` (text) or `stdinBase64` (any bytes), never both; undefined when neither. The size
 * limit counts what the program reads: the decoded bytes.
 */
function parseStdin(obj: Json, path: string): Pick<JudgeTest, 'stdin' | 'stdinBase64'> | undefined {
  if (!given(obj.stdinBase64)) {
    const stdin = optionalText(obj.stdin, `${path}stdin`, L.JUDGE_MAX_TEST_FIELD_BYTES);
    return stdin === undefined ? undefined : { stdin };
  }
  if (given(obj.stdin)) throw badRequest(`${path}stdinBase64`, 'not allowed beside stdin: give one of them');
  const bytes = base64Bytes(obj.stdinBase64, `${path}stdinBase64`);
  if (bytes.length > L.JUDGE_MAX_TEST_FIELD_BYTES) throw tooLarge(`${path}stdinBase64`, `decodes to more than ${L.JUDGE_MAX_TEST_FIELD_BYTES} bytes`);
  return stdinOf(bytes);
}

/** Any case, any alias (`py`, `C++`): the manifest gets the language's id. */
function parseLanguage(value: unknown): string {
  if (value === undefined || value === null) throw badRequest('language', 'is required');
  if (typeof value !== 'string') throw badRequest('language', 'expected a string');
  const language = findLanguage(value);
  if (!language) throw badRequest('language', `unknown language ${JSON.stringify(value)} (known: ${[...LANGUAGES.keys()].join(', ')})`);
  return language.id;
}

/** One limit: an integer at least its minimum; above the maximum it is clamped, as `POST /api/runs` does. */
function limit(obj: Json, field: keyof JudgeLimitRanges, range: LimitRange): number {
  const value = obj[field];
  if (value === undefined || value === null) return range.default;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(`limits.${field}`, 'expected an integer');
  if (value < range.min) throw badRequest(`limits.${field}`, `must be at least ${range.min}`);
  return Math.min(value, range.max);
}

/** The judge's own defaults and maxima (core/limits.ts, judge section), never above the run policy's maxima. */
export function parseJudgeLimits(value: unknown, policy: LimitPolicy): JudgeLimits {
  if (value !== undefined && value !== null && !isObject(value)) throw badRequest('limits', 'expected an object');
  const obj = (value ?? {}) as Json;
  rejectUnknown(obj, LIMIT_FIELDS, 'limits.');
  const ranges = judgeLimitRanges(policy);
  return {
    timeoutMs: limit(obj, 'timeoutMs', ranges.timeoutMs),
    cpuMs: limit(obj, 'cpuMs', ranges.cpuMs),
    memoryBytes: limit(obj, 'memoryMb', ranges.memoryMb) * MiB,
    outputBytes: limit(obj, 'outputBytes', ranges.outputBytes),
  };
}

function parseTest(value: unknown, path: string): JudgeTest {
  if (!isObject(value)) throw badRequest(path, 'expected an object {stdin, expectedOutput?}');
  rejectUnknown(value, TEST_FIELDS, `${path}.`);
  const stdin = parseStdin(value, `${path}.`);
  if (!stdin) throw badRequest(`${path}.stdin`, 'is required (an empty string for no input; stdinBase64 for bytes)');
  const expectedOutput = optionalText(value.expectedOutput, `${path}.expectedOutput`, L.JUDGE_MAX_TEST_FIELD_BYTES);
  return expectedOutput === undefined ? stdin : { ...stdin, expectedOutput };
}

function parseTests(body: Json): { tests: JudgeTest[]; batch: boolean } {
  if (body.tests === undefined || body.tests === null) {
    const stdin = parseStdin(body, '') ?? { stdin: '' };
    const expectedOutput = optionalText(body.expectedOutput, 'expectedOutput', L.JUDGE_MAX_TEST_FIELD_BYTES);
    return { tests: [expectedOutput === undefined ? stdin : { ...stdin, expectedOutput }], batch: false };
  }
  for (const field of ['stdin', 'stdinBase64', 'expectedOutput']) {
    if (body[field] !== undefined && body[field] !== null) throw badRequest(field, 'not allowed beside tests: each test has its own');
  }
  if (!Array.isArray(body.tests)) throw badRequest('tests', 'expected an array of {stdin, expectedOutput?}');
  if (body.tests.length === 0) throw badRequest('tests', 'expected at least one test');
  if (body.tests.length > L.JUDGE_MAX_TESTS) throw badRequest('tests', `at most ${L.JUDGE_MAX_TESTS} tests, got ${body.tests.length}`);
  return { tests: body.tests.map((test, i) => parseTest(test, `tests[${i}]`)), batch: true };
}

/**
 * Why `name` cannot be an extra file's name, or null when it can: a relative path of plain segments, which the
 * sandbox writes as a new regular file inside the run's folder (never through a link: every folder on the way is
 * made by the executor, and the file is opened with O_NOFOLLOW | O_EXCL).
 */
export function fileNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (Buffer.byteLength(name) > L.JUDGE_MAX_FILE_NAME_BYTES) return `longer than ${L.JUDGE_MAX_FILE_NAME_BYTES} bytes`;
  // Control characters (NUL above all) and backslashes mean something else to somebody on the way.
  if (/[\u0000-\u001f\u007f\\]/.test(name)) return 'must not contain control characters or backslashes';
  if (name.startsWith('/')) return 'must be a relative path, not an absolute one';
  const segments = name.split('/');
  if (segments.includes('..')) return 'must not contain ".." (it would lead out of the run\'s folder)';
  if (segments.some((s) => s === '' || s === '.')) return 'must be a normal path (no empty or "." segments, no trailing slash)';
  return null;
}

function parseFiles(value: unknown, programFile: string, codeBytes: number): JudgeFile[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('files', 'expected an array of {name, content}');
  if (value.length > L.JUDGE_MAX_FILES) throw badRequest('files', `at most ${L.JUDGE_MAX_FILES} files, got ${value.length}`);
  // Paths taken so far, and the folders they imply: a file cannot also be a folder of another.
  const files = new Set<string>([programFile]);
  const folders = new Set<string>();
  let total = codeBytes;
  return value.map((file, i) => {
    const path = `files[${i}]`;
    if (!isObject(file)) throw badRequest(path, 'expected an object {name, content}');
    rejectUnknown(file, FILE_FIELDS, `${path}.`);
    if (typeof file.name !== 'string') throw badRequest(`${path}.name`, file.name === undefined ? 'is required' : 'expected a string');
    const problem = fileNameProblem(file.name);
    if (problem) throw badRequest(`${path}.name`, problem);
    const parents = file.name.split('/').slice(0, -1).map((_, n, all) => all.slice(0, n + 1).join('/'));
    if (file.name === programFile) throw badRequest(`${path}.name`, `${JSON.stringify(programFile)} is the program's own file`);
    if (files.has(file.name) || folders.has(file.name) || parents.some((p) => files.has(p))) {
      throw badRequest(`${path}.name`, `${JSON.stringify(file.name)} clashes with another file`);
    }
    if (typeof file.content !== 'string') throw badRequest(`${path}.content`, file.content === undefined ? 'is required' : 'expected a string');
    if (given(file.encoding) && file.encoding !== 'utf8' && file.encoding !== 'base64') {
      throw badRequest(`${path}.encoding`, 'expected "utf8" (the default: content is the text) or "base64" (content is the bytes in base64)');
    }
    const bytes = file.encoding === 'base64' ? base64Bytes(file.content, `${path}.content`) : null;
    // What lands on disk counts: the decoded bytes, not the base64.
    total += bytes ? bytes.length : Buffer.byteLength(file.content);
    if (total > L.MAX_CODE_BYTES) throw tooLarge(`${path}.content`, `the code and files together are larger than ${L.MAX_CODE_BYTES} bytes`);
    files.add(file.name);
    for (const p of parents) folders.add(p);
    return bytes ? fileOf(file.name, bytes) : { name: file.name, content: file.content };
  });
}

/** `POST /api/execute` */
export function parseExecuteRequest(body: unknown, policy: LimitPolicy): ExecuteRequest {
  if (!isObject(body)) throw badRequest('body', 'expected a JSON object');
  rejectUnknown(body, BODY_FIELDS, '');
  const language = parseLanguage(body.language);
  const code = parseCode(body.code);
  const args = parseArgs(body.args);
  // The program's own file name can depend on the code (Java: its public class).
  const files = parseFiles(body.files, findLanguage(language)!.source(code).fileName, Buffer.byteLength(code));
  const limits = parseJudgeLimits(body.limits, policy);
  return { language, code, args, files, limits, ...parseTests(body) };
}
