/**
 * The bench's JSON (`npm run bench -- --json=<file>`: `{figures: [{section, name, unit, column, value}], ...}`) as
 * measured requests. Its `storage` section has, per target column (`local`, `cloud 5 ms`, ...):
 * - `<run>: API` and `<run>: executor`, requests of one run by kind (`"GET 3, PUT 1"`), for the runs
 *   `judge hello world` and `input session (3 lines)`;
 * - `while it computes: executor`, `while it computes: API, one watching client` (and `sleeps`), requests a second;
 * - `while it waits for input, <from>–<to> s: executor`, a rate per window of the wait, and
 *   `while it waits for input: API, one watching client`.
 * Rates carry no kind: they are taken as GETs (polls), which OSS prices as PUTs anyway.
 */
import { addCount, MeasuredError, operationNamed, type MeasuredOps, type MeasuredRequests, type RateSteps } from './measuredRequests';

interface Figure {
  section?: unknown;
  name?: unknown;
  column?: unknown;
  value?: unknown;
}

const JUDGE_RUN = 'judge hello world';
const INTERACTIVE_RUN = 'input session (3 lines)';
const WAIT_WINDOW = /^while it waits for input, ([\d.]+)\s*[–-]\s*[\d.]+ s: executor$/;
const WAIT_API = 'while it waits for input: API, one watching client';
const BUSY = ['computes', 'sleeps'];

export function isBenchReport(json: unknown): json is { figures: unknown[] } {
  return typeof json === 'object' && json !== null && Array.isArray((json as { figures?: unknown }).figures);
}

/** `"GET 3, PUT 1"` (or `none`) as counts, all billed. */
function kinds(value: unknown, field: string): MeasuredOps {
  if (typeof value !== 'string') throw new MeasuredError(`${field}: expected requests by kind like "GET 3, PUT 1", got ${JSON.stringify(value)}`);
  const out: MeasuredOps = {};
  if (value.trim() === 'none') return out;
  for (const part of value.split(',')) {
    const match = /^\s*([A-Za-z]+)\s+(\d+(?:\.\d+)?)\s*$/.exec(part);
    const op = match && operationNamed(match[1]);
    if (!match || !op) throw new MeasuredError(`${field}: cannot read ${JSON.stringify(part.trim())} (expected a kind and a count, e.g. "GET 3")`);
    addCount(out, op, { sent: Number(match[2]), billed: Number(match[2]) });
  }
  return out;
}

function rate(value: unknown, field: string): MeasuredOps {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new MeasuredError(`${field}: expected requests a second, got ${JSON.stringify(value)}`);
  return { GetObject: { sent: value, billed: value } };
}

function merge(...all: MeasuredOps[]): MeasuredOps {
  const out: MeasuredOps = {};
  for (const ops of all) for (const [op, c] of Object.entries(ops)) addCount(out, op as keyof MeasuredOps, c!);
  return out;
}

/** The storage figures of one column: `column`, else the first simulated-cloud column, else the first. */
export function measuredFromBenchReport(json: { figures: unknown[]; [key: string]: unknown }, column?: string): MeasuredRequests {
  const storage = json.figures.filter((f): f is Figure => typeof f === 'object' && f !== null && (f as Figure).section === 'storage');
  const columns = [...new Set(storage.map((f) => String(f.column)))];
  if (columns.length === 0) throw new MeasuredError('figures: no storage figures (run the bench with its storage section)');
  const chosen = column ?? columns.find((c) => c.startsWith('cloud')) ?? columns[0];
  if (!columns.includes(chosen)) throw new MeasuredError(`column ${JSON.stringify(chosen)}: not in the file (it has ${columns.join(', ')})`);
  const mine = storage.filter((f) => f.column === chosen);
  const value = (name: string) => mine.find((f) => f.name === name)?.value;
  const field = (name: string) => `figures[storage, ${chosen}, ${name}]`;

  const perRunOf = (run: string): MeasuredOps | undefined => {
    const api = value(`${run}: API`);
    const executor = value(`${run}: executor`);
    if (api === undefined || executor === undefined) return undefined;
    return merge(kinds(api, field(`${run}: API`)), kinds(executor, field(`${run}: executor`)));
  };

  const busy = BUSY.map((b) => ({ executor: value(`while it ${b}: executor`), api: value(`while it ${b}: API, one watching client`), b })).find((x) => x.executor !== undefined && x.api !== undefined);
  const sleeping = busy ? merge(rate(busy.executor, field(`while it ${busy.b}: executor`)), rate(busy.api, field(`while it ${busy.b}: API, one watching client`))) : undefined;

  const windows: RateSteps = mine.flatMap((f) => {
    const match = typeof f.name === 'string' ? WAIT_WINDOW.exec(f.name) : null;
    return match ? [{ fromMs: Number(match[1]) * 1000, ops: rate(f.value, field(String(f.name))) }] : [];
  });
  const waitApi = value(WAIT_API);
  const waiting = windows.length > 0 && waitApi !== undefined ? [windows, [{ fromMs: 0, ops: rate(waitApi, field(WAIT_API)) }]] : undefined;

  const judge = perRunOf(JUDGE_RUN);
  const interactive = perRunOf(INTERACTIVE_RUN);
  const meta = [json.date, json.machine, json.host].filter((x) => typeof x === 'string');
  return {
    source: ['npm run bench', chosen, ...meta].join(', '),
    perRun: { ...(judge ? { judge } : {}), ...(interactive ? { interactive } : {}) },
    ...(waiting ? { waiting } : {}),
    ...(sleeping ? { sleeping } : {}),
  };
}
