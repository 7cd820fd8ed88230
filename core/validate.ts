/**
 * Request bodies → typed requests, or an ApiError naming the field. Nothing here trusts the shape of its input.
 */
import { ApiError, badRequest } from './apiError';
import { clampLimits } from './clampLimits';
import { DEFAULT_LANGUAGE, findLanguage, LANGUAGES } from './languages';
import type { LimitPolicy } from './limitPolicy';
import * as L from './limits';
import type { RunLimits } from './protocol';
import { utf8Problem } from './utf8';

export interface CreateRunRequest {
  language: string;
  code: string;
  args: string[];
  limits: RunLimits;
  cols: number;
  rows: number;
  /** Initial stdin, sent before the program starts (blocking form). */
  stdin: string;
  /**
   * false: the program's stdin and output are pipes, not a terminal (no echo, no line editing): `stdin` is all it
   * reads, then end of file, as with `prog < file`. Default true: a terminal, as in an interactive session.
   */
  tty: boolean;
}

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A request body as JSON. Its bytes must be UTF-8 (RFC 8259 8.1): decoded as they are, others would become U+FFFD
 * unnoticed and the program would get code or stdin that nobody sent. No route takes raw bytes: input to a running
 * program is `{data}`, a JSON string, so binary stdin never reached it as sent (it was silently replaced before this
 * check, not accepted), and the page and the CLI send JSON.stringify'd strings, which are always UTF-8. Bytes that
 * are not text come in base64 (`POST /api/execute`'s `stdinBase64` and `encoding: "base64"`, core/executeRequest.ts).
 */
export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw badRequest('body', 'expected a JSON object, got an empty body');
  const problem = utf8Problem(raw);
  if (problem) throw badRequest('body', problem);
  const text = raw.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('body', 'malformed JSON');
  }
  const lone = loneSurrogateOf(text, value);
  if (lone) throw badRequest(lone.path || 'body', loneSurrogateProblem(lone.unit));
  return value;
}

/**
 * `loneSurrogate` of a value parsed from JSON `text`, walked only when the text holds a surrogate's `\u` escape at
 * all: UTF-8 cannot carry a surrogate as such, so an escape is the only way one gets in, and nearly every body (each
 * piece of typed input among them) has none, which one scan of the text tells without walking the value.
 */
export function loneSurrogateOf(text: string, value: unknown): { path: string; unit: string } | null {
  return SURROGATE_ESCAPE.test(text) ? loneSurrogate(value, '') : null;
}

/** `\uD800`–`\uDFFF`, either case (an escaped backslash before `u` matches too: the walk then finds nothing). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** The one wording of a lone surrogate's refusal, after the field it names (a body's, a Piston socket message's). */
export const loneSurrogateProblem = (unit: string) => `contains a lone surrogate escape (\\u${unit}), which is no character: written out as UTF-8 it would become U+FFFD`;

const SURROGATE = /\p{Cs}/u;

/**
 * The first string of a JSON value (keys included) holding half a UTF-16 surrogate pair, with its path
 * (`tests[0].stdin`), or null. Valid UTF-8 can still carry one as an escape (`"\ud800"`), and what reaches a program
 * is UTF-8: it would arrive as U+FFFD, another text than the one sent. The walk keeps its own stack: JSON.parse takes
 * a body of 100 000 nested arrays, and a recursive walk would overflow the call stack on it (a 500, or on the Piston
 * socket, where nothing catches it, the end of the API process).
 */
export function loneSurrogate(value: unknown, path: string): { path: string; unit: string } | null {
  // Pushed in reverse, so that values pop in document order and the first one found is the first one sent.
  const pending: Array<{ value: unknown; path: string }> = [{ value, path }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value: v, path: at } = next;
    if (typeof v === 'string') {
      const m = SURROGATE.exec(v);
      if (m) return { path: echoed(at), unit: m[0].charCodeAt(0).toString(16) };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) pending.push({ value: v[i], path: `${at}[${i}]` });
    } else if (isObject(v)) {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, item] = entries[i];
        const keyPath = at ? `${at}.${key}` : key;
        pending.push({ value: item, path: keyPath }, { value: key, path: keyPath });
      }
    }
  }
  return null;
}

function optionalInt(obj: Json, field: string, path: string, min: number, max: number): number | undefined {
  return optionalInteger(obj[field], `${path}${field}`, min, max);
}

function optionalInteger(value: unknown, field: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(field, 'expected an integer');
  if (value < min) throw badRequest(field, `must be at least ${min}`);
  // Above the maximum is clamped, not refused: a client asking for "as much as allowed" should get it.
  return Math.min(value, max);
}

/** `limits` of `POST /api/runs`: refused when a value no run may have is asked for (see core/clampLimits.ts). */
export function parseLimits(value: unknown, policy: LimitPolicy): RunLimits {
  return clampLimits(value, policy, { onInvalid: 'refuse' });
}

/**
 * Reads one field: gets what the caller sent (`undefined` when the field is absent) and the name to give in an
 * error, which is the name the caller used.
 */
type FieldReader<T> = (value: unknown, field: string) => T;
type FieldReaders = Record<string, FieldReader<unknown>>;
type FieldsRead<R extends FieldReaders> = { [K in keyof R]: ReturnType<R[K]> };

/** Field names and paths echoed in errors are cut here: a caller may send a key of 200 KiB, or 100 000 nested arrays. */
const FIELD_ECHO_MAX = 64;

function echoed(name: string): string {
  return name.length > FIELD_ECHO_MAX ? `${name.slice(0, FIELD_ECHO_MAX)}…` : name;
}

/**
 * Reads a JSON object field by field, so that an error names the field the caller got wrong: first the fields
 * sent, in the order sent (the first unknown or bad one is named), then those left out (a required one is named
 * missing, the others get their defaults). An unknown field is refused rather than ignored: `{"lang": "bash"}`
 * must not quietly run Python.
 */
function readFields<R extends FieldReaders>(body: unknown, readers: R): FieldsRead<R> {
  if (!isObject(body)) throw badRequest('body', 'expected a JSON object');
  const read: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    // Own keys only: `constructor` or `__proto__` are unknown fields like any other.
    if (!Object.hasOwn(readers, key)) {
      throw badRequest(echoed(key), `unknown field (known: ${Object.keys(readers).join(', ')})`);
    }
    read[key] = readers[key](body[key], key);
  }
  for (const key of Object.keys(readers)) if (!Object.hasOwn(body, key)) read[key] = readers[key](undefined, key);
  return read as FieldsRead<R>;
}

function required<T>(reader: FieldReader<T>): FieldReader<T> {
  return (value, field) => {
    if (value === undefined) throw badRequest(field, 'is required');
    return reader(value, field);
  };
}

const integerIn =
  (min: number, max: number): FieldReader<number | undefined> =>
  (value, field) =>
    optionalInteger(value, field, min, max);

const readCols = integerIn(10, 500);
const readRows = integerIn(2, 200);

export function parseCode(value: unknown, field = 'code'): string {
  if (value === undefined || value === null) throw badRequest(field, 'is required');
  if (typeof value !== 'string') throw badRequest(field, 'expected a string');
  if (Buffer.byteLength(value, 'utf8') > L.MAX_CODE_BYTES) {
    throw new ApiError(413, 'payload_too_large', `${field}: larger than ${L.MAX_CODE_BYTES} bytes`);
  }
  return value;
}

function parseLanguage(value: unknown, field = 'language'): string {
  if (value === undefined || value === null) return DEFAULT_LANGUAGE;
  if (typeof value !== 'string') throw badRequest(field, 'expected a string');
  // Any case, any alias (`py`, `C++`, `golang`): the manifest gets the language's id.
  const language = findLanguage(value);
  if (!language) {
    throw badRequest(field, `unknown language ${JSON.stringify(value)} (known: ${[...LANGUAGES.keys()].join(', ')})`);
  }
  return language.id;
}

export function parseArgs(value: unknown, field = 'args'): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(field, 'expected an array of strings');
  if (value.length > L.MAX_ARGS) throw badRequest(field, `at most ${L.MAX_ARGS} arguments`);
  return value.map((arg, i) => {
    const problem = argProblem(arg);
    if (problem) throw badRequest(`${field}[${i}]`, problem);
    return arg as string;
  });
}

/**
 * What is wrong with one program argument, or null: the rule of every API's arguments (`args` here and in Piston,
 * Judge0's split `command_line_arguments`), each saying it in its own error shape. A NUL cannot reach a program
 * through exec at all, so it is refused with the request rather than left to fail the run.
 */
export function argProblem(arg: unknown): string | null {
  if (typeof arg !== 'string') return 'expected a string';
  if (arg.includes('\0')) return 'must not contain NUL';
  if (Buffer.byteLength(arg) > L.MAX_ARG_BYTES) return `longer than ${L.MAX_ARG_BYTES} bytes`;
  return null;
}

export function parseStdin(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw badRequest(field, 'expected a string');
  if (Buffer.byteLength(value) > L.MAX_INPUT_CHUNK_BYTES) {
    throw new ApiError(413, 'payload_too_large', `${field}: larger than ${L.MAX_INPUT_CHUNK_BYTES} bytes`);
  }
  return value;
}

/** A chunk of stdin for a running program: something must be sent. */
function parseInputChunk(value: unknown, field: string): string {
  const data = parseStdin(value, field);
  if (data.length === 0) throw badRequest(field, 'must not be empty');
  return data;
}

/** A run request from the fields read; what was left out gets its default. */
function runRequest(policy: LimitPolicy, fields: Partial<CreateRunRequest> & { code: string; language: string }): CreateRunRequest {
  return {
    args: [],
    stdin: '',
    tty: true,
    ...fields,
    limits: fields.limits ?? parseLimits(undefined, policy),
    cols: fields.cols ?? L.DEFAULT_COLS,
    rows: fields.rows ?? L.DEFAULT_ROWS,
  };
}

/** `POST /api/runs` */
export function parseCreateRun(body: unknown, policy: LimitPolicy): CreateRunRequest {
  return runRequest(
    policy,
    readFields(body, {
      language: parseLanguage,
      code: parseCode,
      args: parseArgs,
      limits: (value) => parseLimits(value, policy),
      cols: readCols,
      rows: readRows,
      stdin: parseStdin,
      tty: parseTty,
    }),
  );
}

function parseTty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== 'boolean') throw badRequest('tty', 'expected true or false');
  return value;
}

/** `POST /api/runs/:id/input` */
export function parseInput(body: unknown): string {
  return readFields(body, { data: required(parseInputChunk) }).data;
}

/** `POST /api/runs/:id/resize` */
export function parseResize(body: unknown): { cols: number; rows: number } {
  const { cols, rows } = readFields(body, { cols: required(readCols), rows: required(readRows) });
  return { cols: cols ?? L.DEFAULT_COLS, rows: rows ?? L.DEFAULT_ROWS };
}

/** A request of the seed's protocol at `POST /` (see `parseSeedRequest`). */
export type SeedRequest =
  | { type: 'run'; run: CreateRunRequest }
  | { type: 'input'; id: string; data: string }
  | { type: 'output'; id: string }
  | { type: 'blocking'; run: CreateRunRequest };

function parseSeedId(value: unknown, field: string): string {
  if (typeof value !== 'string') throw badRequest(field, 'expected a run id string');
  return value;
}

/** The seed sent a line without its newline and its executor added one (pexpect sendline); so do we. */
function parseSeedLine(value: unknown, field: string): string {
  return parseInputChunk(typeof value === 'string' && !value.endsWith('\n') ? value + '\n' : value, field);
}

/** `type` chose the form before its fields are read; it is one of them. */
const seedType: FieldReader<undefined> = () => undefined;

/**
 * The seed's protocol, for its existing clients: `{type: "run", code, language?}`, `{type: "input", id, input}`,
 * `{type: "output", id}`, and its first, blocking form `{code, input?, language?}` (no `type`). Errors name the
 * seed's own fields (`input`, not the `/api` names `data` or `stdin`).
 */
export function parseSeedRequest(body: unknown, policy: LimitPolicy): SeedRequest {
  if (!isObject(body)) throw badRequest('body', 'expected a JSON object');
  switch (body.type) {
    case 'run': {
      const { code, language } = readFields(body, { type: seedType, code: parseCode, language: parseLanguage });
      return { type: 'run', run: runRequest(policy, { code, language }) };
    }
    case 'input': {
      const { id, input } = readFields(body, { type: seedType, id: parseSeedId, input: required(parseSeedLine) });
      return { type: 'input', id, data: input };
    }
    case 'output':
      return { type: 'output', id: readFields(body, { type: seedType, id: parseSeedId }).id };
    case undefined: {
      const { code, language, input } = readFields(body, { code: parseCode, input: parseStdin, language: parseLanguage });
      return { type: 'blocking', run: runRequest(policy, { code, language, stdin: input }) };
    }
    default:
      throw badRequest('type', 'expected "run", "input" or "output"');
  }
}

/** Query parameters of `GET /output`. */
export function parseOutputQuery(query: URLSearchParams): { offset: number; waitMs: number; encoding: 'utf8' | 'base64' } {
  const intParam = (name: string, max: number): number => {
    const raw = query.get(name);
    if (raw === null || raw === '') return 0;
    if (!/^\d{1,15}$/.test(raw)) throw badRequest(name, 'expected a non-negative integer');
    return Math.min(Number(raw), max);
  };
  const encoding = query.get('encoding') ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'base64') throw badRequest('encoding', 'expected utf8 or base64');
  return { offset: intParam('offset', Number.MAX_SAFE_INTEGER), waitMs: intParam('waitMs', L.MAX_LONG_POLL_MS), encoding };
}
