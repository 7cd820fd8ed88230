/**
 * The API's side of `POST /api/execute`: the judge-mode manifest goes through the very path of every run (manifest →
 * OSS trigger → claim → sandbox), then the API polls the run's status until it is finished and answers with the
 * answer that final status carries (docs/protocol.md, *Judge mode*). The wait is bounded by the
 * request's own time (compile budget and each test's wall limit, within JUDGE_REQUEST_WALL_MS) plus
 * JUDGE_WAIT_MARGIN_MS; past it the run is cancelled (a kill record) and the answer is a 504.
 */
import { ApiError } from '../apiError';
import type { LimitPolicy } from '../limitPolicy';
import { findLanguage } from '../languages';
import * as L from '../limits';
import type { Clock, ObjectStore } from '../ports';
import { keys, newRunId, type Manifest, type RunLimits, type RunResult, type StatusDoc } from '../protocol';
import { viewOf } from '../runState';
import { readJson } from '../storeJson';
import { appendControl } from '../controlStream';
import type { ExecuteRequest } from '../executeRequest';
import type { ExecuteResult, JudgeStatus } from './executeResult';
import { hasCompileStep } from './judgeCommands';
import { STOP_GRACE_MS } from '../stopThroughRunHead';
import { writeManifest } from '../writeManifest';
import { sleepUntilChanged } from '../sleepUntilChanged';

export interface ExecuteDeps {
  code: ObjectStore;
  runs: ObjectStore;
  clock: Clock;
  randomBytes: (n: number) => Uint8Array;
  policy: LimitPolicy;
}

/** The judge's limits over the policy's defaults for the rest (processes, files, disk). */
export function judgeRunLimits(request: ExecuteRequest, policy: LimitPolicy): RunLimits {
  return {
    timeoutMs: request.limits.timeoutMs,
    busyTimeoutMs: policy.busyTimeoutMs.default,
    outputBytes: request.limits.outputBytes,
    memoryBytes: request.limits.memoryBytes,
    cpuMs: request.limits.cpuMs,
    processes: policy.processes.default,
    fileBytes: policy.fileBytes.default,
    openFiles: policy.openFiles.default,
    diskBytes: policy.diskBytes.default,
  };
}

/** How long the API waits for the answer: what the executor may spend on it, plus the margin. */
export function executeWaitMs(request: ExecuteRequest): number {
  const lang = findLanguage(request.language);
  const compile = lang && hasCompileStep(lang) ? L.COMPILE_TIMEOUT_MS : 0;
  // Each test may run to its wall limit, then take the stop's grace to end.
  const tests = request.tests.length * (request.limits.timeoutMs + STOP_GRACE_MS);
  return Math.min(L.JUDGE_REQUEST_WALL_MS, compile + tests) + L.JUDGE_WAIT_MARGIN_MS;
}

/** Writes the judge-mode manifest (which fires the executor); returns the run id. */
export async function startExecution(deps: ExecuteDeps, request: ExecuteRequest): Promise<string> {
  const id = newRunId(deps.randomBytes);
  await writeManifest(
    deps.code,
    {
      id,
      language: request.language,
      code: request.code,
      args: request.args,
      limits: judgeRunLimits(request, deps.policy),
      interactive: false,
      cols: L.DEFAULT_COLS,
      rows: L.DEFAULT_ROWS,
      judge: { tests: request.tests, files: request.files, batch: request.batch },
      ...(request.client ? { client: request.client } : {}),
      ...(request.compileLimits ? { compileLimits: request.compileLimits } : {}),
    },
    deps.clock.now(),
  );
  return id;
}

/** The answer of a judge run that ended without putting one (it never started, or its executor was lost). */
export function answerFromStatus(result: RunResult, request: Pick<ExecuteRequest, 'batch' | 'tests'>): ExecuteResult {
  const status: JudgeStatus = result.status === 'killed' ? 'internal_error' : (result.status as JudgeStatus);
  const message = result.message ?? (result.status === 'killed' ? 'the run was killed before it finished' : 'the run ended without an answer');
  const top: ExecuteResult = { status, stdout: '', stderr: '', exitCode: result.exitCode, signal: result.signal, wallMs: result.wallMs, cpuMs: 0, memoryKb: 0, message };
  if (!request.batch) return top;
  return { ...top, tests: request.tests.map(() => ({ status, stdout: '', stderr: '', exitCode: null, signal: null, wallMs: 0, cpuMs: 0, memoryKb: 0, message })) };
}

/**
 * A finished judge run's answer: in its final status (one read, the one just made), or, from an executor of before
 * StatusDoc.answer, in `result.json`; null when it ended without one.
 */
export async function finishedAnswer(runs: ObjectStore, id: string, status: StatusDoc): Promise<ExecuteResult | null> {
  return status.answer ?? (await readJson<ExecuteResult>(runs, keys.result(id)));
}

/** Polls the status until the run is finished, then answers from it; `startedAt` is when the request began. */
export async function waitForAnswer(deps: ExecuteDeps, id: string, request: ExecuteRequest, startedAt: number): Promise<ExecuteResult> {
  const { clock } = deps;
  const waitMs = executeWaitMs(request);
  const deadline = startedAt + waitMs;
  for (;;) {
    const status = await readJson<StatusDoc>(deps.runs, keys.status(id));
    const view = viewOf(status, clock.now());
    if (view.state === 'finished') return (await finishedAnswer(deps.runs, id, status!)) ?? answerFromStatus(view.result!, request);
    const now = clock.now();
    if (now >= deadline) break;
    // Fast right after the create, when a short program's answer is due; then the long poll's pace.
    const interval = now - startedAt < L.LONG_POLL_FAST_WINDOW_MS ? L.LONG_POLL_FAST_INTERVAL_MS : L.LONG_POLL_INTERVAL_MS;
    // Or sooner, when the store hints that the status changed (locally; see core/sleepUntilChanged.ts).
    await sleepUntilChanged(clock, deps.runs, [keys.status(id)], Math.min(interval, deadline - now));
  }
  // Nobody waits for it any more: a queued run is then never started, a running one is stopped.
  await appendControl(deps.runs, id, { t: 'kill' }).catch(() => undefined);
  throw new ApiError(504, 'timeout', `result: no answer within ${Math.round(waitMs / 1000)} s (run ${id}; are the executors busy?); the run was cancelled`);
}

export async function executeAndWait(deps: ExecuteDeps, request: ExecuteRequest, onCreated: (id: string) => void = () => undefined): Promise<{ id: string; result: ExecuteResult }> {
  const startedAt = deps.clock.now();
  const id = await startExecution(deps, request);
  onCreated(id);
  return { id, result: await waitForAnswer(deps, id, request, startedAt) };
}
