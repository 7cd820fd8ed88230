/**
 * What one interactive session costs pocketrun, request by request, from the protocol's timings (core/limits.ts via
 * protocolTimings.ts) and the code's order of requests (core/run.ts for the executor, core/runService.ts for the API):
 *
 * - executor: claim; a status put at start, every heartbeat and at the end; the manifest; the control stream read at
 *   start, then at each step's period of `controlPollWaitingSteps` while the program waits for input and every `controlPollBusyMs`
 *   otherwise; an output append per flush (at most every `outputFlushIntervalMs` while output flows, at once when
 *   the program blocks on a prompt, and at exit).
 * - API (one watching client, its long poll always held): each look at storage reads the output from the client's
 *   offset and the status (outside the fast window at most every `longPollStatusIntervalMs`); looks come every
 *   `longPollIntervalMs`, every `longPollFastIntervalMs` for `longPollFastWindowMs` after the create and each input,
 *   and once at the start of each poll request (which always reads the status). While the
 *   run is queued the status is missing and the manifest is HEADed instead. An input reads the status, HEADs the
 *   control stream and appends to it.
 *
 * Billed: every answer but a 404 (a missing object: the control stream before the first input, the status while
 * queued) and a 416 (a read at an object's end: a poll that finds nothing new).
 */
import { controlPollPeriodMs, controlPollsOverWait, PROTOCOL_TIMINGS, type ProtocolTimings } from './protocolTimings';
import { runObjects } from './runObjects';
import type { RunUsage } from './runUsage';
import type { InteractiveSession } from './scenarios';
import type { StackSizing } from './stackSizing';

/** The session's phases: each wait for its user (one per input), their sum, and how long the program computes. */
export function sessionPhases(s: InteractiveSession): { waits: number[]; waitingMs: number; busyMs: number } {
  const waits = s.inputs.map(() => s.thinkMs);
  const waitingMs = waits.reduce((sum, ms) => sum + ms, 0);
  const busyMs = s.durationMs - waitingMs;
  if (busyMs < 0) throw new Error(`${s.label}: ${s.inputs.length} inputs after ${s.thinkMs} ms each do not fit in ${s.durationMs} ms`);
  return { waits, waitingMs, busyMs };
}

/** Terminal bytes the session prints: its lines, its prompts, and the echo of what is typed (\n becomes \r\n). */
export function sessionOutputBytes(s: InteractiveSession): number {
  const { busyMs } = sessionPhases(s);
  const echo = s.inputs.reduce((sum, line) => sum + Buffer.byteLength(line.replace(/\n/g, '\r\n')), 0);
  return Math.floor(busyMs / s.printIntervalMs) * s.lineBytes + s.inputs.length * s.promptBytes + echo;
}

export interface RequestRate {
  sent: number;
  billed: number;
}

/**
 * Storage requests per second with one client watching: while the program waits for input, step by step of the
 * wait (`fromMs` after it began), and while it sleeps or computes without printing.
 */
export function interactiveRequestRates(t: ProtocolTimings = PROTOCOL_TIMINGS): { waiting: Array<RequestRate & { fromMs: number }>; sleeping: RequestRate } {
  // The held long poll: status reads (billed) and output reads (416 when nothing is new: free).
  const status = 1000 / Math.max(t.longPollIntervalMs, t.longPollStatusIntervalMs);
  const api = { sent: status + 1000 / t.longPollIntervalMs, billed: status };
  const froms = [0, ...t.controlPollWaitingSteps.map((step) => step.untilMs)];
  return {
    waiting: t.controlPollWaitingSteps.map((step, i) => ({ fromMs: froms[i], sent: api.sent + 1000 / controlPollPeriodMs(t, step.everyMs), billed: api.billed })),
    sleeping: { sent: api.sent + 1000 / controlPollPeriodMs(t, t.controlPollBusyMs), billed: api.billed },
  };
}

export function interactiveUsage(s: InteractiveSession, sizing: Pick<StackSizing, 'runsLifecycleDays' | 'codeLifecycleDays'>, t: ProtocolTimings = PROTOCOL_TIMINGS): RunUsage {
  const n = s.inputs.length;
  const { waitingMs, busyMs } = sessionPhases(s);

  // Executor.
  const heartbeats = Math.floor(s.durationMs / t.heartbeatIntervalMs);
  const controlWaiting = sessionPhases(s).waits.reduce((sum, waitMs) => sum + controlPollsOverWait(t, waitMs), 0);
  const controlBusy = Math.floor(busyMs / controlPollPeriodMs(t, t.controlPollBusyMs));
  // While output flows, one append per flush interval (or per line when lines are rarer); one per prompt; one at exit.
  const appends = Math.floor(busyMs / Math.max(t.outputFlushIntervalMs, s.printIntervalMs)) + n + 1;

  // API: each append is seen by its own answer unless the long poll looks less often than the executor flushes.
  const outputAnswers = Math.floor(busyMs / Math.max(t.outputFlushIntervalMs, s.printIntervalMs, t.longPollIntervalMs)) + n + 1;
  const emptyAnswers = n * Math.floor(s.thinkMs / t.maxLongPollMs);
  // Every answer is followed by the next poll request; one more answer says the run started.
  const pollRequests = outputAnswers + emptyAnswers + 1;
  const heldMs = s.queuedMs + s.durationMs;
  const fastMs = Math.min(heldMs, (1 + n) * t.longPollFastWindowMs);
  // Output is read at every look; the status at every look of the fast window and of a new poll request, and
  // otherwise at most every longPollStatusIntervalMs: while output flows, a request lasts one answer interval, so it
  // reads the status as many times as that interval holds status intervals. The fast windows start at the create
  // (during the first wait) and at each input (when the program computes).
  const fastLooks = Math.floor(fastMs / t.longPollFastIntervalMs);
  const looks = fastLooks + Math.floor((heldMs - fastMs) / t.longPollIntervalMs) + pollRequests;
  const statusEveryMs = Math.max(t.longPollIntervalMs, t.longPollStatusIntervalMs);
  const answerEveryMs = Math.max(t.outputFlushIntervalMs, s.printIntervalMs, t.longPollIntervalMs);
  const busySlowMs = Math.max(0, busyMs - n * t.longPollFastWindowMs);
  const waitSlowMs = Math.max(0, heldMs - fastMs - busySlowMs);
  const statusLooks =
    fastLooks + Math.floor(waitSlowMs / statusEveryMs) + Math.floor((busySlowMs / answerEveryMs) * Math.floor(answerEveryMs / statusEveryMs)) + pollRequests;
  const queuedLooks = Math.min(statusLooks, Math.ceil(s.queuedMs / t.longPollFastIntervalMs));

  return {
    label: s.label,
    requests: [
      { who: 'executor', what: 'claim', op: 'PutObject', sent: 1, billed: 1 },
      { who: 'executor', what: 'status: start, heartbeats, end', op: 'PutObject', sent: 2 + heartbeats, billed: 2 + heartbeats },
      { who: 'executor', what: 'manifest', op: 'GetObject', sent: 1, billed: 1 },
      { who: 'executor', what: 'control at start (none yet: 404)', op: 'GetObject', sent: 1, billed: 0 },
      { who: 'executor', what: 'control polls while waiting for input', op: 'GetObject', sent: controlWaiting, billed: n },
      { who: 'executor', what: 'control polls while computing', op: 'GetObject', sent: controlBusy, billed: 0 },
      { who: 'executor', what: 'output appends', op: 'AppendObject', sent: appends, billed: appends },
      { who: 'api', what: 'manifest', op: 'PutObject', sent: 1, billed: 1 },
      { who: 'api', what: 'long poll: status while queued (404)', op: 'GetObject', sent: queuedLooks, billed: 0 },
      ...(t.apiHeadsKnownRuns ? [{ who: 'api' as const, what: 'long poll: manifest while queued', op: 'HeadObject' as const, sent: queuedLooks, billed: queuedLooks }] : []),
      { who: 'api', what: 'long poll: status', op: 'GetObject', sent: statusLooks - queuedLooks, billed: statusLooks - queuedLooks },
      { who: 'api', what: 'long poll: output (416 when nothing new)', op: 'GetObject', sent: looks, billed: outputAnswers },
      { who: 'api', what: 'input: status', op: 'GetObject', sent: n, billed: n },
      ...(t.apiHeadsKnownRuns ? [{ who: 'api' as const, what: 'input: control size (first: 404)', op: 'HeadObject' as const, sent: n, billed: Math.max(0, n - 1) }] : []),
      { who: 'api', what: 'input: control append', op: 'AppendObject', sent: n, billed: n },
    ],
    stored: runObjects({ language: s.language, code: s.code, outputBytes: sessionOutputBytes(s), inputs: s.inputs }, sizing),
    ossEvents: 1,
    functions: [
      { fn: 'api', invocations: 1 + pollRequests + n, activeSeconds: heldMs / 1000 / s.apiSharing },
      { fn: 'executor', invocations: 1, activeSeconds: (s.durationMs + s.executorOverheadMs) / 1000 },
    ],
    notes: [
      `assumed: ${s.queuedMs} ms from the manifest to the claim (trigger and start), ${s.executorOverheadMs} ms of executor work around the program`,
      `one watching client whose long poll is held the whole run, on an API instance shared by ${s.apiSharing} such poll${s.apiSharing === 1 ? '' : 's'}`,
      'one input request per line (the page\'s input field; a desktop terminal sends keystrokes as they are typed)',
      "assumed: OSS's 416 carries Content-Range, as test/support/fakeOssServer.ts does by default (else each empty read adds a billed HEAD)",
    ],
  };
}
