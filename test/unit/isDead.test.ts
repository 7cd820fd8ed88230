/** procfs.ts isDead: which processes of a uid a sweep may leave to be reaped. */
import { isDead, type ProcIdentity } from '../../adapters/process/procfs';

const id = (state: string, threads: number): ProcIdentity => ({ pid: 100, ppid: 1, uids: [40000, 40000, 40000, 40000], state, threads, namespaceInit: false });

test.each([
  ['running', 'R', 1, false],
  ['sleeping with threads', 'S', 4, false],
  ['stopped', 'T', 1, false],
  ['in uninterruptible sleep', 'D', 1, false],
  ['a zombie', 'Z', 1, true],
  ['dead', 'X', 1, true],
  // pthread_exit in main: the leader shows Z while a thread of its group still runs.
  ['a zombie leader whose threads run', 'Z', 2, false],
  ['a zombie whose thread count could not be read', 'Z', NaN, false],
])('%s', (_name, state, threads, dead) => {
  expect(isDead(id(state as string, threads as number))).toBe(dead);
});
