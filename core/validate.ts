/**
 * Request bodies → typed requests, or an ApiError naming the field. Nothing here trusts the shape of its input.
 */
import { ApiError, badRequest } from './apiError';
import type { LimitPolicy } from './config';
import { DEFAULT_LANGUAGE, findLanguage, LANGUAGES } from './languages';
import * as L from './limits';
import type { RunLimits } from './protocol';

export interface CreateRunRequest {
  language: string;
  code: string;
  args: string[];
  limits: RunLimits;
  cols: number;
  rows: number;
  /** Initial stdin, sent before the program starts (blocking form). */
  stdin: string;
}

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw badRequest('body', 'expected a JSON object, got an empty body');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw badRequest('body', 'malformed JSON');
  }
}

function optionalInt(obj: Json, field: string, path: string, min: number, max: number): number | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(`${path}${field}`, 'expected an integer');
  if (value < min) throw badRequest(`${path}${field}`, `must be at least ${min}`);
  // Above the maximum is clamped, not refused: a client asking for "as much as allowed" should get it.
  return Math.min(value, max);
}

function clampLimit(obj: Json, field: keyof RunLimits, policy: LimitPolicy, min: number): number {
  return optionalInt(obj, field, 'limits.', min, policy[field].max) ?? policy[field].default;
}

export function parseLimits(value: unknown, policy: LimitPolicy): RunLimits {
  if (value !== undefined && value !== null && !isObject(value)) throw badRequest('limits', 'expected an object');
  const obj = (value ?? {}) as Json;
  const known = new Set(['timeoutMs', 'outputBytes', 'memoryBytes', 'cpuMs', 'processes', 'fileBytes', 'openFiles', 'diskBytes']);
  for (const key of Object.keys(obj)) if (!known.has(key)) throw badRequest(`limits.${key}`, 'unknown limit');
  return {
    timeoutMs: clampLimit(obj, 'timeoutMs', policy, L.MIN_TIMEOUT_MS),
    outputBytes: clampLimit(obj, 'outputBytes', policy, 1),
    memoryBytes: clampLimit(obj, 'memoryBytes', policy, 16 * 1024 * 1024),
    cpuMs: clampLimit(obj, 'cpuMs', policy, 100),
    processes: clampLimit(obj, 'processes', policy, 1),
    fileBytes: clampLimit(obj, 'fileBytes', policy, 0),
    openFiles: clampLimit(obj, 'openFiles', policy, 16),
    diskBytes: clampLimit(obj, 'diskBytes', policy, 1024 * 1024),
  };
}

export function parseCode(value: unknown, field = 'code'): string {
  if (value === undefined || value === null) throw badRequest(field, 'is required');
  if (typeof value !== 'string') throw badRequest(field, 'expected a string');
  if (Buffer.byteLength(value, 'utf8') > L.MAX_CODE_BYTES) {
    throw new ApiError(413, 'payload_too_large', `${field}: larger than ${L.MAX_CODE_BYTES} bytes`);
  }
  return value;
}

function parseLanguage(value: unknown): string {
  if (value === undefined || value === null) return DEFAULT_LANGUAGE;
  if (typeof value !== 'string') throw badRequest('language', 'expected a string');
  if (!findLanguage(value)) {
    throw badRequest('language', `unknown language ${JSON.stringify(value)} (known: ${[...LANGUAGES.keys()].join(', ')})`);
  }
  return value;
}

export function parseArgs(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('args', 'expected an array of strings');
  if (value.length > L.MAX_ARGS) throw badRequest('args', `at most ${L.MAX_ARGS} arguments`);
  return value.map((arg, i) => {
    if (typeof arg !== 'string') throw badRequest(`args[${i}]`, 'expected a string');
    if (arg.includes('\0')) throw badRequest(`args[${i}]`, 'must not contain NUL');
    if (Buffer.byteLength(arg) > L.MAX_ARG_BYTES) throw badRequest(`args[${i}]`, `longer than ${L.MAX_ARG_BYTES} bytes`);
    return arg;
  });
}

function parseTerminalSize(obj: Json): { cols: number; rows: number } {
  return {
    cols: optionalInt(obj, 'cols', '', 10, 500) ?? L.DEFAULT_COLS,
    rows: optionalInt(obj, 'rows', '', 2, 200) ?? L.DEFAULT_ROWS,
  };
}

export function parseStdin(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw badRequest(field, 'expected a string');
  if (Buffer.byteLength(value) > L.MAX_INPUT_CHUNK_BYTES) {
    throw new ApiError(413, 'payload_too_large', `${field}: larger than ${L.MAX_INPUT_CHUNK_BYTES} bytes`);
  }
  return value;
}

/** `POST /api/runs` */
export function parseCreateRun(body: unknown, policy: LimitPolicy): CreateRunRequest {
  if (!isObject(body)) throw badRequest('body', 'expected a JSON object');
  return {
    language: parseLanguage(body.language),
    code: parseCode(body.code),
    args: parseArgs(body.args),
    limits: parseLimits(body.limits, policy),
    ...parseTerminalSize(body),
    stdin: parseStdin(body.stdin, 'stdin'),
  };
}

/** `POST /api/runs/:id/input` */
export function parseInput(body: unknown): string {
  if (!isObject(body)) throw badRequest('body', 'expected a JSON object');
  if (body.data === undefined) throw badRequest('data', 'is required');
  const data = parseStdin(body.data, 'data');
  if (data.length === 0) throw badRequest('data', 'must not be empty');
  return data;
}

/** `POST /api/runs/:id/resize` */
export function parseResize(body: unknown): { cols: number; rows: number } {
  if (!isObject(body)) throw badRequest('body', 'expected a JSON object');
  if (body.cols === undefined) throw badRequest('cols', 'is required');
  if (body.rows === undefined) throw badRequest('rows', 'is required');
  return parseTerminalSize(body);
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
