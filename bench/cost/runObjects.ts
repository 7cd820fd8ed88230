/**
 * The objects a run leaves in the buckets until their lifecycle rules delete them, sized from the very documents the
 * protocol writes (core/protocol.ts): the manifest with the run's code and default limits, the claim, the final
 * status (with, for a judge run, its answer in it: StatusDoc.answer), the output and the control stream's records
 * (core/controlStream.ts).
 */
import { encodeRecord } from '../../core/controlStream';
import type { ExecuteResult } from '../../core/judge/executeResult';
import type { JudgeSpec } from '../../core/judge/judgeSpec';
import * as L from '../../core/limits';
import type { ClaimDoc, Manifest, StatusDoc } from '../../core/protocol';
import { RUN_LIMITS, RUN_LIMIT_NAMES, type RunLimits } from '../../core/runLimits';
import type { StoredObject } from './runUsage';

/** A run id's length (docs/protocol.md: 18 random bytes in URL-safe base64) and an ISO time stamp. */
const ID = 'x'.repeat(24);
const AT = new Date(0).toISOString();

export interface RunContent {
  language: string;
  code: string;
  /** What the program printed (its terminal's bytes for an interactive run). */
  outputBytes: number;
  /** Each input sent, in order. */
  inputs: string[];
  /** Judge mode: the tests and the answer's streams. */
  judge?: { spec: JudgeSpec; stdout: string };
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

export function runObjects(content: RunContent, lifecycle: { runsLifecycleDays: number; codeLifecycleDays: number }): StoredObject[] {
  const limits = Object.fromEntries(RUN_LIMIT_NAMES.map((name) => [name, RUN_LIMITS[name].default])) as RunLimits;
  const manifest: Manifest = {
    version: 1,
    id: ID,
    language: content.language,
    code: content.code,
    args: [],
    limits,
    interactive: !content.judge,
    cols: L.DEFAULT_COLS,
    rows: L.DEFAULT_ROWS,
    createdAt: AT,
    ...(content.judge ? { judge: content.judge.spec } : {}),
  };
  const claim: ClaimDoc = { id: ID, executor: ID, requestId: ID, claimedAt: AT };
  const answer: ExecuteResult | null = content.judge
    ? { status: 'ok', stdout: content.judge.stdout, stderr: '', exitCode: 0, signal: null, wallMs: 0, cpuMs: 0, memoryKb: 0 }
    : null;
  const status: StatusDoc = {
    id: ID,
    state: 'finished',
    executor: ID,
    startedAt: AT,
    heartbeatAt: AT,
    finishedAt: AT,
    isolation: 'bwrap',
    result: { status: 'ok', exitCode: 0, signal: null, wallMs: 0 },
    ...(answer ? { answer } : {}),
  };
  const runs = lifecycle.runsLifecycleDays;
  const objects: StoredObject[] = [
    { what: 'manifest (code bucket)', bytes: bytes(manifest), days: lifecycle.codeLifecycleDays },
    { what: 'claim', bytes: bytes(claim), days: runs },
    { what: 'status', bytes: bytes(status), days: runs },
  ];
  if (content.outputBytes > 0) objects.push({ what: 'output', bytes: content.outputBytes, days: runs });
  const control = content.inputs.reduce((sum, d) => sum + encodeRecord({ t: 'in', d }).length, 0);
  if (control > 0) objects.push({ what: 'control', bytes: control, days: runs });
  return objects;
}
