/**
 * What one interactive session costs pocketrun, request by request, from the protocol's timings (core/limits.ts via
 * protocolTimings.ts) and the code's order of requests (core/run.ts for the executor, core/runService.ts for the API):
 *
 * - executor: claim; a status put at start, every heartbeat and at the end; the manifest; the control stream read at
 *   start, then at each step's period of `controlPollWaitingSteps` while the program waits for input and every `controlPollBusyMs`
 *   otherwise; an output append per flush (at most every `outputFlushIntervalMs` while output flows, at once when
 *   the program blocks on a prompt, and at exit).
 * - API (one watching client, its long poll always held): once at the start of each poll request, output and
 *   status; for `longPollFastWindowMs` after the create and each input, the output and the status at the periods of
 *   `longPollFastStep`; otherwise
 *   the output and the status at the periods of the idle step the poll is in (`longPollIdleSteps`, from the poll's
 *   start: a poll while output flows lasts one answer interval, a wait or a silent computation steps down). While the
 *   run is queued the status is missing and the manifest is HEADed instead. An input reads the status, HEADs the
 *   control stream and appends to it.
 *
 * Billed: every answer but a 404 (a missing object: the control stream before the first input, the status while
 * queued) and a 416 (a read at an object's end: a poll that finds nothing new).
 */
import { controlPollsOverWait, idleLooksOfSilence, PROTOCOL_TIMINGS, type ProtocolTimings } from './protocolTimings';
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
 * Storage requests per second with one client watching, step by step (`fromMs` after the poll and the wait or the
 * silence began; a poll held `maxLongPollMs` answers empty and the next starts at the first step again): while the
 * program waits for input, and while it sleeps or computes without printing.
 */
export function interactiveRequestRates(t: ProtocolTimings = PROTOCOL_TIMINGS): {
  waiting: Array<RequestRate & { fromMs: number }>;
  sleeping: Array<RequestRate & { fromMs: number }>;
} {
  // The held long poll: status reads (billed) and output reads (416 when nothing is new: free), at the idle step
  // of the moment.
  const apiAt = (ms: number): RequestRate => {
    const step = t.longPollIdleSteps.find((s) => ms < s.untilMs)!;
    return { sent: 1000 / step.statusEveryMs + 1000 / step.outputEveryMs, billed: 1000 / step.statusEveryMs };
  };
  const froms = (untils: number[]) => [0, ...untils.filter((ms) => ms < t.maxLongPollMs)];
  const apiFroms = froms(t.longPollIdleSteps.map((step) => step.untilMs));
  const waitingFroms = [...new Set([...apiFroms, ...froms(t.controlPollWaitingSteps.map((step) => step.untilMs))])].sort((x, y) => x - y);
  const controlAt = (ms: number) => t.controlPollWaitingSteps.find((step) => ms < step.untilMs)!.everyMs;
  return {
    waiting: waitingFroms.map((fromMs) => ({ fromMs, sent: apiAt(fromMs).sent + 1000 / controlAt(fromMs), billed: apiAt(fromMs).billed })),
    sleeping: apiFroms.map((fromMs) => ({ fromMs, sent: apiAt(fromMs).sent + 1000 / t.controlPollBusyMs, billed: apiAt(fromMs).billed })),
  };
}

export function interactiveUsage(s: InteractiveSession, sizing: Pick<StackSizing, 'runsLifecycleDays' | 'codeLifecycleDays'>, t: ProtocolTimings = PROTOCOL_TIMINGS): RunUsage {
  const n = s.inputs.length;
  const { waits, busyMs } = sessionPhases(s);

  // Executor.
  const heartbeats = Math.floor(s.durationMs / t.heartbeatIntervalMs);
  const controlWaiting = waits.reduce((sum, waitMs) => sum + controlPollsOverWait(t, waitMs), 0);
  const controlBusy = Math.floor(busyMs / t.controlPollBusyMs);
  // While output flows, one append per flush interval (or per line when lines are rarer); one per prompt; one at exit.
  const appends = Math.floor(busyMs / Math.max(t.outputFlushIntervalMs, s.printIntervalMs)) + n + 1;

  // API: each append is seen by its own answer unless the long poll looks less often than the executor flushes.
  const answerEveryMs = Math.max(t.outputFlushIntervalMs, s.printIntervalMs, t.longPollIdleSteps[0].outputEveryMs);
  const outputAnswers = Math.floor(busyMs / answerEveryMs) + n + 1;
  // Looks after each poll's first (counted with the poll requests below), phase by phase: the first wait from the
  // create (with the create's fast window), then after each input a fast window and the program's computing, then
  // the next wait. A wait is a silence watched by held polls that slow down step by step; while output flows each
  // poll is held one answer interval, in the first idle step; a program computing without output is a silence too.
  const looks = { output: 0, status: 0, emptyAnswers: 0 };
  const add = (more: Partial<typeof looks>, times = 1) => {
    looks.output += times * (more.output ?? 0);
    looks.status += times * (more.status ?? 0);
    looks.emptyAnswers += times * (more.emptyAnswers ?? 0);
  };
  const fast = (phaseMs: number) => {
    const fastMs = Math.min(phaseMs, t.longPollFastWindowMs);
    add({ output: Math.floor(fastMs / t.longPollFastStep.outputEveryMs), status: Math.floor(fastMs / t.longPollFastStep.statusEveryMs) });
    return fastMs;
  };
  const computing = (phaseMs: number) => {
    const slowMs = phaseMs - fast(phaseMs);
    if (answerEveryMs >= slowMs) add(idleLooksOfSilence(t, slowMs));
    else add(idleLooksOfSilence(t, answerEveryMs), slowMs / answerEveryMs);
  };
  if (n === 0) computing(s.queuedMs + busyMs);
  waits.forEach((waitMs, i) => {
    const phaseMs = i === 0 ? s.queuedMs + waitMs : waitMs;
    add(idleLooksOfSilence(t, phaseMs, i === 0 ? fast(phaseMs) : 0));
    computing(busyMs / n);
  });
  // Every answer is followed by the next poll request, whose first look reads both; one more answer says the run started.
  const pollRequests = outputAnswers + looks.emptyAnswers + 1;
  const heldMs = s.queuedMs + s.durationMs;
  const outputLooks = looks.output + pollRequests;
  const statusLooks = looks.status + pollRequests;
  const queuedLooks = Math.min(statusLooks, Math.ceil(s.queuedMs / t.longPollFastStep.statusEveryMs));

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
      { who: 'api', what: 'long poll: output (416 when nothing new)', op: 'GetObject', sent: outputLooks, billed: outputAnswers },
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
