/**
 * Storage requests measured by the bench (`npm run bench`'s machine-readable output), used instead of the model's
 * counts when `npm run cost -- --measured=<file>` is given. The file is JSON:
 *
 *   {
 *     "source": "npm run bench, 2026-12-01, 2 cores",            (optional, printed)
 *     "perRun": {                                                  (requests of one run, by operation)
 *       "judge":       { "PutObject": 5, "GetObject": 20 },        one POST /api/execute hello world
 *       "interactive": { "PutObject": 4, "GetObject": 12 }         an interactive run outside its waiting and sleeping
 *     },                                                                time: create, start, first output, end
 *     "perSecond": {                                               (request rates, one client watching)
 *       "waiting":  { "GetObject": 60 },                           while the program waits for input
 *       "sleeping": { "GetObject": 22 }                            while it sleeps or computes without printing
 *     }
 *   }
 *
 * Operations are OSS's names (PutObject, AppendObject, DeleteObject, GetObject, HeadObject) or the store port's
 * (put, append, delete, get, head). A count is either a number (all of them billed: an upper bound) or
 * `{"sent": N, "billed": M}`. Every part is optional; what is missing stays modelled.
 */
import { OSS_REQUEST_CLASS, type OssOperation, type RequestLine, type RunUsage } from './runUsage';

export interface MeasuredCount {
  sent: number;
  billed: number;
}

export type MeasuredOps = Partial<Record<OssOperation, MeasuredCount>>;

export interface MeasuredRequests {
  source?: string;
  perRun: { judge?: MeasuredOps; interactive?: MeasuredOps };
  perSecond: { waiting?: MeasuredOps; sleeping?: MeasuredOps };
}

const PORT_NAMES: Record<string, OssOperation> = { put: 'PutObject', append: 'AppendObject', delete: 'DeleteObject', get: 'GetObject', head: 'HeadObject' };

export class MeasuredError extends Error {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new MeasuredError(`${field}: expected a number >= 0, got ${JSON.stringify(value)}`);
  return value;
}

function ops(value: unknown, field: string): MeasuredOps {
  if (!isObject(value)) throw new MeasuredError(`${field}: expected an object of counts by operation`);
  const out: MeasuredOps = {};
  for (const [name, raw] of Object.entries(value)) {
    const op = (name in OSS_REQUEST_CLASS ? name : PORT_NAMES[name]) as OssOperation | undefined;
    if (!op) throw new MeasuredError(`${field}.${name}: unknown operation (known: ${[...Object.keys(OSS_REQUEST_CLASS), ...Object.keys(PORT_NAMES)].join(', ')})`);
    const measured = isObject(raw)
      ? { sent: count(raw.sent, `${field}.${name}.sent`), billed: count(raw.billed ?? raw.sent, `${field}.${name}.billed`) }
      : { sent: count(raw, `${field}.${name}`), billed: count(raw, `${field}.${name}`) };
    if (measured.billed > measured.sent) throw new MeasuredError(`${field}.${name}.billed: more than sent (${measured.billed} > ${measured.sent})`);
    const prior = out[op];
    out[op] = prior ? { sent: prior.sent + measured.sent, billed: prior.billed + measured.billed } : measured;
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

/** Checks the bench's JSON; every error names the field. */
export function parseMeasuredRequests(json: unknown): MeasuredRequests {
  if (!isObject(json)) throw new MeasuredError('expected a JSON object');
  const known = ['source', 'perRun', 'perSecond'];
  for (const key of Object.keys(json)) if (!known.includes(key)) throw new MeasuredError(`${key}: unknown field (known: ${known.join(', ')})`);
  if (json.source !== undefined && typeof json.source !== 'string') throw new MeasuredError('source: expected a string');
  return {
    ...(json.source !== undefined ? { source: json.source as string } : {}),
    perRun: section(json.perRun, 'perRun', ['judge', 'interactive'] as const),
    perSecond: section(json.perSecond, 'perSecond', ['waiting', 'sleeping'] as const),
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

/** A judge run's requests as measured, when the file has them. */
export function withMeasuredJudge(usage: RunUsage, measured: MeasuredRequests): RunUsage {
  const judge = measured.perRun.judge;
  if (!judge) return usage;
  return { ...usage, requests: measuredLines(judge, 'one judge run'), notes: [...usage.notes, measuredNote(measured)] };
}

/**
 * An interactive session's requests from measured parts: the per-run requests, the waiting rate over the time the
 * program waits for input, the sleeping rate over the time it computes, plus the model's output appends (the
 * bench measures rates while nothing is printed). Without all three parts the model stays.
 */
export function withMeasuredInteractive(usage: RunUsage, measured: MeasuredRequests, phases: { waitingMs: number; busyMs: number }): RunUsage {
  const { interactive } = measured.perRun;
  const { waiting, sleeping } = measured.perSecond;
  if (!interactive || !waiting || !sleeping) return usage;
  return {
    ...usage,
    requests: [
      ...measuredLines(interactive, 'per run'),
      ...measuredLines(waiting, 'while waiting for input', phases.waitingMs / 1000),
      ...measuredLines(sleeping, 'while computing', phases.busyMs / 1000),
      ...usage.requests.filter((line) => line.op === 'AppendObject' && line.who === 'executor'),
    ],
    notes: [...usage.notes, measuredNote(measured)],
  };
}

function measuredNote(measured: MeasuredRequests): string {
  return `storage requests measured${measured.source ? ` (${measured.source})` : ''}; a count without "billed" is taken as all billed`;
}
