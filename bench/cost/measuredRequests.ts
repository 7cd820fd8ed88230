/**
 * Storage requests measured by the bench, used instead of the model's counts when `npm run cost --
 * --measured=<file>` is given. Two shapes are read:
 *
 * 1. The bench's own JSON (`npm run bench -- --json=<file>`: `{figures: [...]}`), read by benchReport.ts.
 * 2. A file written by hand:
 *
 *   {
 *     "source": "npm run bench, 2026-12-01, 2 cores",            (optional, printed)
 *     "perRun": {                                                  (requests of one run, by operation)
 *       "judge":       { "PutObject": 5, "GetObject": 20 },        one POST /api/execute hello world
 *       "interactive": { "PutObject": 4, "GetObject": 12 }         an interactive run outside its long waits:
 *     },                                                                create, start, inputs, end
 *     "perSecond": {                                               (request rates, one client watching)
 *       "waiting":  { "GetObject": 60 },                           while the program waits for input
 *       "sleeping": { "GetObject": 22 }                            while it sleeps or computes without printing
 *     }
 *   }
 *
 * Operations are OSS's names (PutObject, AppendObject, DeleteObject, ListObjects, GetObject, HeadObject), the store
 * port's (put, append, delete, list, get, head) or the bench's (PUT, APPEND, DELETE, LIST, GET, HEAD). A count is a
 * number (all of it billed: an upper bound, since a measured count does not say which answers were 404 or 416) or
 * `{"sent": N, "billed": M}`. Every part is optional; what is missing stays modelled.
 */
import { OSS_REQUEST_CLASS, type OssOperation, type RequestLine, type RunUsage } from './runUsage';

export interface MeasuredCount {
  sent: number;
  billed: number;
}

export type MeasuredOps = Partial<Record<OssOperation, MeasuredCount>>;

/** A rate that changes as a wait goes on: each step holds from its `fromMs` to the next one's (the first from 0). */
export type RateSteps = Array<{ fromMs: number; ops: MeasuredOps }>;

export interface MeasuredRequests {
  source?: string;
  perRun: { judge?: MeasuredOps; interactive?: MeasuredOps };
  /** Rates while the program waits for input, one series per source (executor, API), summed. */
  waiting?: RateSteps[];
  /** Rates while it sleeps or computes without printing. */
  sleeping?: MeasuredOps;
}

const OTHER_NAMES: Record<string, OssOperation> = {
  put: 'PutObject',
  append: 'AppendObject',
  delete: 'DeleteObject',
  list: 'ListObjects',
  get: 'GetObject',
  head: 'HeadObject',
};

export class MeasuredError extends Error {}

/** An operation by any of its names, or undefined. */
export function operationNamed(name: string): OssOperation | undefined {
  return name in OSS_REQUEST_CLASS ? (name as OssOperation) : OTHER_NAMES[name.toLowerCase()];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new MeasuredError(`${field}: expected a number >= 0, got ${JSON.stringify(value)}`);
  return value;
}

/** Adds a count to `ops` (two names of one operation add up). */
export function addCount(ops: MeasuredOps, op: OssOperation, c: MeasuredCount): void {
  const prior = ops[op];
  ops[op] = prior ? { sent: prior.sent + c.sent, billed: prior.billed + c.billed } : c;
}

function ops(value: unknown, field: string): MeasuredOps {
  if (!isObject(value)) throw new MeasuredError(`${field}: expected an object of counts by operation`);
  const out: MeasuredOps = {};
  for (const [name, raw] of Object.entries(value)) {
    const op = operationNamed(name);
    if (!op) throw new MeasuredError(`${field}.${name}: unknown operation (known: ${[...Object.keys(OSS_REQUEST_CLASS), ...Object.keys(OTHER_NAMES)].join(', ')})`);
    const measured = isObject(raw)
      ? { sent: count(raw.sent, `${field}.${name}.sent`), billed: count(raw.billed ?? raw.sent, `${field}.${name}.billed`) }
      : { sent: count(raw, `${field}.${name}`), billed: count(raw, `${field}.${name}`) };
    if (measured.billed > measured.sent) throw new MeasuredError(`${field}.${name}.billed: more than sent (${measured.billed} > ${measured.sent})`);
    addCount(out, op, measured);
  }
  return out;
}

function section<K extends string>(value: unknown, field: string, names: readonly K[]): Partial<Record<K, MeasuredOps>> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new MeasuredError(`${field}: expected an object`);
  const out: Partial<Record<K, MeasuredOps>> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!(names as readonly string[]).includes(key)) throw new MeasuredError(`${field}.${key}: unknown field (known: ${names.join(', ')})`);
    out[key as K] = ops(raw, `${field}.${key}`);
  }
  return out;
}

/** Checks a hand-written file (shape 2 above); every error names the field. */
export function parseMeasuredRequests(json: unknown): MeasuredRequests {
  if (!isObject(json)) throw new MeasuredError('expected a JSON object');
  const known = ['source', 'perRun', 'perSecond'];
  for (const key of Object.keys(json)) if (!known.includes(key)) throw new MeasuredError(`${key}: unknown field (known: ${known.join(', ')})`);
  if (json.source !== undefined && typeof json.source !== 'string') throw new MeasuredError('source: expected a string');
  const perSecond = section(json.perSecond, 'perSecond', ['waiting', 'sleeping'] as const);
  return {
    ...(json.source !== undefined ? { source: json.source as string } : {}),
    perRun: section(json.perRun, 'perRun', ['judge', 'interactive'] as const),
    ...(perSecond.waiting ? { waiting: [[{ fromMs: 0, ops: perSecond.waiting }]] } : {}),
    ...(perSecond.sleeping ? { sleeping: perSecond.sleeping } : {}),
  };
}

/** Request lines from measured counts, scaled (a rate times seconds). */
export function measuredLines(measured: MeasuredOps, what: string, scale = 1): RequestLine[] {
  return Object.entries(measured).map(([op, c]) => ({
    who: 'both' as const,
    what: `measured: ${what}`,
    op: op as OssOperation,
    sent: c!.sent * scale,
    billed: c!.billed * scale,
  }));
}

/** What stepped rates send over a wait of `waitMs` from its start, by operation. */
export function requestsOverWait(series: RateSteps[], waitMs: number): MeasuredOps {
  const total: MeasuredOps = {};
  for (const steps of series) {
    const sorted = [...steps].sort((a, b) => a.fromMs - b.fromMs);
    sorted.forEach((step, i) => {
      const from = i === 0 ? 0 : step.fromMs;
      const to = i + 1 < sorted.length ? sorted[i + 1].fromMs : Infinity;
      const seconds = Math.max(0, Math.min(to, waitMs) - from) / 1000;
      for (const [op, c] of Object.entries(step.ops)) addCount(total, op as OssOperation, { sent: c!.sent * seconds, billed: c!.billed * seconds });
    });
  }
  return total;
}

/** A judge run's requests as measured, when the file has them. */
export function withMeasuredJudge(usage: RunUsage, measured: MeasuredRequests): RunUsage {
  const judge = measured.perRun.judge;
  if (!judge) return usage;
  return { ...usage, requests: measuredLines(judge, 'one judge run'), notes: [...usage.notes, measuredNote(measured)] };
}

/**
 * An interactive session's requests from measured parts: the per-run requests, the waiting rates over each wait
 * (`waits`: one per input), the sleeping rate over the time it computes, plus the model's output appends (the bench
 * measures rates while nothing is printed). Without all three parts the model stays.
 */
export function withMeasuredInteractive(usage: RunUsage, measured: MeasuredRequests, phases: { waits: number[]; busyMs: number }): RunUsage {
  const { interactive } = measured.perRun;
  const { waiting, sleeping } = measured;
  if (!interactive || !waiting || !sleeping) return usage;
  return {
    ...usage,
    requests: [
      ...measuredLines(interactive, 'per run'),
      ...phases.waits.flatMap((waitMs, i) => measuredLines(requestsOverWait(waiting, waitMs), `waiting for input ${i + 1}`)),
      ...measuredLines(sleeping, 'while computing', phases.busyMs / 1000),
      ...usage.requests.filter((line) => line.op === 'AppendObject' && line.who === 'executor'),
    ],
    notes: [...usage.notes, measuredNote(measured)],
  };
}

function measuredNote(measured: MeasuredRequests): string {
  return `storage requests measured${measured.source ? ` (${measured.source})` : ''}; a count without "billed" is taken as all billed (an upper bound)`;
}
