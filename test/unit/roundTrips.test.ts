/** The bench's count of storage round trips in sequence (bench/roundTrips.ts), on hand-made request logs. */
import type { StorageRecord } from '../../bench/benchTarget';
import { roundTripsInSequence } from '../../bench/roundTrips';

const LATENCY = 5;
const r = (at: number, who: StorageRecord['who'], kind: StorageRecord['kind'], key: string, status = 200): StorageRecord => ({ at, who, kind, key, bytes: 0, status });

const cases: Array<[string, StorageRecord[], number]> = [
  ['one after another: each counts', [r(0, 'api', 'PUT', 'manifests/a.json'), r(60, 'executor', 'PUT', 'runs/a/claim'), r(70, 'executor', 'APPEND', 'runs/a/output')], 3],
  ['side by side: once', [r(0, 'executor', 'PUT', 'runs/a/claim'), r(0, 'executor', 'GET', 'manifests/a.json'), r(1, 'executor', 'GET', 'runs/a/control', 404)], 1],
  ['polls that found nothing and the API status reads are not on the path', [r(0, 'api', 'GET', 'runs/a/output', 416), r(10, 'api', 'GET', 'runs/a/status.json'), r(20, 'executor', 'GET', 'runs/a/control', 206), r(30, 'api', 'GET', 'runs/a/output', 206)], 2],
  ['outside the window: not counted', [r(-10, 'api', 'PUT', 'manifests/a.json'), r(200, 'api', 'GET', 'runs/a/output', 206)], 0],
];

test.each(cases)('%s', (_name, records, expected) => {
  expect(roundTripsInSequence(records, 0, 100, LATENCY)).toBe(expected);
});
