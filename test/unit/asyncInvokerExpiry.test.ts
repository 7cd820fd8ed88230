/**
 * The local platform's asynchronous invocation drops an event that waited longer than FC's maximum event age
 * (RUN_QUEUE_MAX_MS; shortened here), as FC does, so a run the API has reported as never started
 * (core/runState.ts) cannot start after all. A fresher event is still delivered.
 */
import { AsyncInvoker, type InstanceSource } from '../../local/asyncInvoker';
import type { ExecutorInstance } from '../../local/executorInstance';
import type { OssEvent } from '../../core/protocol';

const eventFor = (key: string): OssEvent => ({ events: [{ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: 'code' }, object: { key } } }] });

test('an event older than the maximum age is dropped, not delivered late', async () => {
  const delivered: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const instance = {
    running: true,
    pid: 1,
    invoke: async (event: OssEvent) => {
      delivered.push(event.events[0].oss.object.key);
      return true;
    },
  } as unknown as ExecutorInstance;
  let free = false;
  const pool: InstanceSource = {
    take: () => (free ? ((free = false), instance) : null),
    release: () => void (free = true),
    died: async () => undefined,
    demand: () => undefined,
  };
  const invoker = new AsyncInvoker({ pool, log: (r) => logs.push(r), maxAgeMs: 100 });
  invoker.enqueue(eventFor('manifests/old.json'));
  await new Promise((r) => setTimeout(r, 150));
  invoker.enqueue(eventFor('manifests/new.json'));
  free = true;
  invoker.pump();
  await new Promise((r) => setTimeout(r, 20));
  expect(delivered).toEqual(['manifests/new.json']);
  expect(logs).toContainEqual({ event: 'invoke_expired', key: 'manifests/old.json', attempts: 0 });
  expect(invoker.queued).toBe(0);
  await invoker.stop();
});
