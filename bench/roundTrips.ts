/**
 * How many storage round trips sat in sequence on a path, read off the simulated cloud's request log: of the requests
 * of one run made between two moments, drop the reads that carried nothing (answered 404 or 416: a poll that found no
 * news) and the API's status reads (made beside its output reads, never what a client waits for), and count the longest chain of requests each starting after the previous one was answered (greedy by end
 * time: the most requests that do not overlap). Requests made side by side count once.
 */
import type { StorageRecord } from './benchTarget';

export function roundTripsInSequence(records: StorageRecord[], from: number, to: number, latencyMs: number): number {
  const carried = records
    .filter((r) => r.at >= from && r.at <= to && !(r.kind === 'GET' && (r.status === 404 || r.status === 416)))
    .filter((r) => !(r.who === 'api' && r.kind === 'GET' && r.key.endsWith('/status.json')))
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
