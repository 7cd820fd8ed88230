/**
 * The seed's design (/work/shared/seed: the article's two functions) on the same session, from what its code does:
 *
 * - executor: gets the code object, spawns the program under pexpect, then loops until EOF. Each turn calls
 *   `read_nonblocking(size=999999, timeout=0.01)`: with output, it appends it to a string and puts the WHOLE output
 *   so far as `<id>-output`; without output for 10 ms ("Timeout exceeded."), it gets `<id>-input` (404 while nobody
 *   typed: sent, not billed) and, when there is one, deletes it and sends it to the program.
 *   So while the program prints nothing (waiting for input, sleeping, computing) it sends one GET per
 *   `readTimeoutMs` + one round trip: about 95 a second when a round trip is half a millisecond.
 * - business function: `run` puts the code (the trigger fires on it), `input` puts `<id>-input`, `output` gets
 *   `<id>-output` whole; the article shows no client, so how often one asks for output is an assumption here.
 */
import { sessionOutputBytes, sessionPhases } from './interactiveUsage';
import type { RunUsage } from './runUsage';
import type { InteractiveSession } from './scenarios';
import type { StackSizing } from './stackSizing';

export interface SeedLoop {
  /** `foo.read_nonblocking(size=999999, timeout=0.01)`: a turn without output waits this long, then reads storage. */
  readTimeoutMs: number;
  /** How often a client asks the business function for the output: not in the article (an assumption). */
  clientPollMs: number;
}

export const SEED_LOOP: SeedLoop = { readTimeoutMs: 10, clientPollMs: 1000 };

/** One turn of the executor's loop while the program prints nothing: the read's timeout, then a GET. */
export function seedLoopPeriodMs(roundTripMs: number, loop: SeedLoop = SEED_LOOP): number {
  return loop.readTimeoutMs + roundTripMs;
}

/** Storage requests per second the seed's loop sends while the program prints nothing. */
export function seedIdleRequestsPerSecond(roundTripMs: number, loop: SeedLoop = SEED_LOOP): number {
  return 1000 / seedLoopPeriodMs(roundTripMs, loop);
}

export function seedUsage(s: InteractiveSession, sizing: Pick<StackSizing, 'runsLifecycleDays' | 'codeLifecycleDays'>, loop: SeedLoop = SEED_LOOP): RunUsage {
  const n = s.inputs.length;
  const rtt = s.storageRoundTripMs;
  const period = seedLoopPeriodMs(rtt, loop);
  const { waitingMs, busyMs } = sessionPhases(s);
  const lines = Math.floor(busyMs / s.printIntervalMs);
  // Between two lines: the put of the first, then as many empty turns as fit before the next line comes.
  const emptyTurnsPerLine = Math.floor(Math.max(0, s.printIntervalMs - rtt) / period);
  const waitingTurns = Math.floor(waitingMs / period);
  // Whole-output puts: one per line, per prompt, per echo of a line typed, and once more at EOF.
  const outputPuts = lines + 2 * n + 1;
  const polls = Math.floor((s.queuedMs + s.durationMs) / loop.clientPollMs);
  const pollsBeforeOutput = Math.min(polls, Math.ceil(s.queuedMs / loop.clientPollMs));
  const apiRequests = 1 + n + polls;
  const outputBytes = sessionOutputBytes(s);
  return {
    label: 'seed design, same session',
    requests: [
      { who: 'api', what: 'run: code object (fires the trigger)', op: 'PutObject', sent: 1, billed: 1 },
      { who: 'api', what: 'input: <id>-input', op: 'PutObject', sent: n, billed: n },
      { who: 'api', what: 'output: <id>-output, whole (404 before the first put)', op: 'GetObject', sent: polls, billed: polls - pollsBeforeOutput },
      { who: 'executor', what: 'code object', op: 'GetObject', sent: 1, billed: 1 },
      { who: 'executor', what: 'loop: <id>-input while the program waits (404 but n)', op: 'GetObject', sent: waitingTurns, billed: n },
      { who: 'executor', what: 'loop: <id>-input between printed lines (404)', op: 'GetObject', sent: lines * emptyTurnsPerLine, billed: 0 },
      { who: 'executor', what: 'loop: delete <id>-input after reading it', op: 'DeleteObject', sent: n, billed: n },
      { who: 'executor', what: 'loop: <id>-output, the whole output each time', op: 'PutObject', sent: outputPuts, billed: outputPuts },
    ],
    stored: [
      { what: 'code object', bytes: Buffer.byteLength(s.code), days: sizing.codeLifecycleDays },
      { what: '<id>-output', bytes: outputBytes, days: sizing.runsLifecycleDays },
    ],
    ossEvents: 1,
    functions: [
      // Short requests, one storage round trip each (a lower bound: the function's own time is left out).
      { fn: 'api', invocations: apiRequests, activeSeconds: (apiRequests * rtt) / 1000 },
      { fn: 'executor', invocations: 1, activeSeconds: (s.durationMs + s.executorOverheadMs) / 1000 },
    ],
    notes: [
      `round trip ${rtt} ms per OSS request: the loop turns every ${period} ms, ${seedIdleRequestsPerSecond(rtt, loop).toFixed(0)} GET/s while nothing is printed`,
      `assumed: a client asks for the output every ${loop.clientPollMs} ms; each API request is active for one round trip (lower bound)`,
      "assumed: the seed's functions sized and its buckets expiring as pocketrun's (the article sets neither)",
    ],
  };
}
