/**
 * What one `POST /api/execute` costs pocketrun (core/judge/executeAndWait.ts for the API, core/run.ts for the
 * executor): the API puts the manifest and reads the status every `longPollFastIntervalMs` for
 * `longPollFastWindowMs`, then every `longPollIntervalMs`, until it is finished (404 and free until the executor's
 * first status put); the finished status carries the answer. The executor claims, puts its status, reads the
 * manifest and the control stream (404: nobody sent anything), watches the control stream for a kill every
 * `controlPollBusyMs`, and puts the final status with the answer in it.
 */
import { PROTOCOL_TIMINGS, type ProtocolTimings } from './protocolTimings';
import { runObjects } from './runObjects';
import type { RunUsage } from './runUsage';
import type { JudgeRun } from './scenarios';
import type { StackSizing } from './stackSizing';

export function judgeUsage(j: JudgeRun, sizing: Pick<StackSizing, 'runsLifecycleDays' | 'codeLifecycleDays'>, t: ProtocolTimings = PROTOCOL_TIMINGS): RunUsage {
  const waitMs = j.queuedMs + j.executorMs;
  const fastMs = Math.min(waitMs, t.longPollFastWindowMs);
  // One look right after the put, then one per interval until the finished status is seen.
  const looks = 1 + Math.ceil(fastMs / t.longPollFastIntervalMs) + Math.ceil((waitMs - fastMs) / t.longPollIntervalMs);
  const queuedLooks = Math.min(looks, 1 + Math.floor(j.queuedMs / t.longPollFastIntervalMs));
  const heartbeats = Math.floor(j.executorMs / t.heartbeatIntervalMs);
  const killWatch = Math.floor(j.executorMs / t.controlPollBusyMs);
  return {
    label: j.label,
    requests: [
      { who: 'api', what: 'manifest', op: 'PutObject', sent: 1, billed: 1 },
      { who: 'api', what: 'status polls (404 until the executor starts)', op: 'GetObject', sent: looks, billed: looks - queuedLooks },
      { who: 'executor', what: 'claim', op: 'PutObject', sent: 1, billed: 1 },
      { who: 'executor', what: 'status: start, heartbeats, end', op: 'PutObject', sent: 2 + heartbeats, billed: 2 + heartbeats },
      { who: 'executor', what: 'manifest', op: 'GetObject', sent: 1, billed: 1 },
      { who: 'executor', what: 'control at start and kill watch (404)', op: 'GetObject', sent: 1 + killWatch, billed: 0 },
    ],
    stored: runObjects(
      { language: j.language, code: j.code, outputBytes: 0, inputs: [], judge: { spec: { tests: [{ stdin: '' }], files: [], batch: false }, stdout: j.stdout } },
      sizing,
    ),
    ossEvents: 1,
    functions: [
      { fn: 'api', invocations: 1, activeSeconds: waitMs / 1000 / j.apiSharing },
      { fn: 'executor', invocations: 1, activeSeconds: j.executorMs / 1000 },
    ],
    notes: [`assumed: ${j.queuedMs} ms from the manifest to the claim, ${j.executorMs} ms from the claim to the final status`],
  };
}
