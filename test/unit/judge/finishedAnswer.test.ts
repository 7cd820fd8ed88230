/**
 * Where the API finds a finished judge run's answer: in the final status (the one object it has just read), or,
 * for a run finished by an executor of before StatusDoc.answer, in `result.json`; none when the run ended without one.
 */
import { countRequests, type StoreRequest } from '../../../adapters/storage/countRequests';
import { MemoryStore } from '../../../adapters/storage/memoryStore';
import { finishedAnswer } from '../../../core/judge/executeAndWait';
import type { ExecuteResult } from '../../../core/judge/executeResult';
import { keys, type StatusDoc } from '../../../core/protocol';

const ID = 'r'.repeat(22);
const answer = (stdout: string): ExecuteResult => ({ status: 'ok', stdout, stderr: '', exitCode: 0, signal: null, wallMs: 5, cpuMs: 4, memoryKb: 900 });
const status = (extra: Partial<StatusDoc>): StatusDoc => ({
  id: ID,
  state: 'finished',
  executor: 'e',
  startedAt: '2026-01-01T00:00:00.000Z',
  heartbeatAt: '2026-01-01T00:00:00.000Z',
  result: { status: 'ok', exitCode: 0, signal: null, wallMs: 5 },
  ...extra,
});

const cases: Array<[name: string, doc: StatusDoc, resultJson: ExecuteResult | null, expected: ExecuteResult | null, reads: number]> = [
  ['in the final status: no further read', status({ answer: answer('in status\n') }), answer('stale file\n'), answer('in status\n'), 0],
  ['an older executor’s result.json', status({}), answer('in file\n'), answer('in file\n'), 1],
  ['neither: none', status({}), null, null, 1],
];

test.each(cases)('%s', async (_name, doc, resultJson, expected, reads) => {
  const store = new MemoryStore();
  if (resultJson) await store.put(keys.result(ID), JSON.stringify(resultJson));
  const requests: StoreRequest[] = [];
  const runs = countRequests(store, (r) => requests.push(r));
  expect(await finishedAnswer(runs, ID, doc)).toEqual(expected);
  expect(requests.filter((r) => r.kind === 'GET')).toHaveLength(reads);
});
