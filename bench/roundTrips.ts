/**
 * How many storage round trips sat in sequence on a path, read off the simulated cloud's request log: of the requests
 * of one run made between two moments, drop the reads that carried nothing (answered 404 or 416: a poll that found no
 * news), the API's status reads (made beside its output reads, never what a client waits for) and the executor's
 * status writes that nothing waited for, and count the longest chain of requests each starting after the previous
 * one was answered (greedy by end time: the most requests that do not overlap). Requests made side by side count once.
 *
 * The executor's status writes: the program starts beside its running status (docs/protocol.md, *One run*, step 4),
 * and the final status follows the output; only the first output append may wait for the running status, and one that
 * did reaches storage a round trip (and GATE_SLACK_MS of the executor's own time) after the status did. A status write
 * so followed counts; any other sat beside the path, not on it.
 */
import type { StorageRecord } from './benchTarget';

/** The executor's own time between a status write's answer and the append it held back (the log has arrival times). */
const GATE_SLACK_MS = 3;

const isStatusWrite = (r: StorageRecord) => r.who === 'executor' && r.kind === 'PUT' && r.key.endsWith('/status.json');
const isOutputAppend = (r: StorageRecord) => r.who === 'executor' && r.kind === 'APPEND' && r.key.endsWith('/output');

export function roundTripsInSequence(records: StorageRecord[], from: number, to: number, latencyMs: number): number {
  const carried = records
    .filter((r) => r.at >= from && r.at <= to && !(r.kind === 'GET' && (r.status === 404 || r.status === 416)))
    .filter((r) => !(r.who === 'api' && r.kind === 'GET' && r.key.endsWith('/status.json')))
    .filter((r, _i, kept) => !isStatusWrite(r) || kept.some((a) => isOutputAppend(a) && a.at >= r.at + latencyMs && a.at <= r.at + latencyMs + GATE_SLACK_MS))
    .map((r) => ({ start: r.at, end: r.at + latencyMs }))
    .sort((a, b) => a.end - b.end);
  let count = 0;
  let free = -Infinity;
  for (const r of carried) {
    if (r.start >= free) {
      count++;
      free = r.end;
    }
  }
  return count;
}
