/**
 * A run whose event expired before any executor took it (FC drops async events older than RUN_QUEUE_MAX_MS) is
 * reported finished with internal_error by the API, from any instance, rather than queued forever; on memory
 * buckets with a virtual clock.
 */
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import { HEARTBEAT_STALE_MS, RUN_QUEUE_MAX_MS } from '../../core/limits';
import { NEVER_STARTED } from '../../core/runState';
import { RunService } from '../../core/runService';
import { parseCreateRun } from '../../core/validate';
import { FakeClock } from '../support/fakeClock';

const policy = limitPolicyFromEnv({});

function platform() {
  const clock = new FakeClock();
  const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
  const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  let seed = 0;
  const instance = () => new RunService({ code, runs, clock, policy, randomBytes: (n) => Buffer.alloc(n, ++seed) });
  return { clock, instance };
}

test.each([
  ['the instance that created it', true],
  ['another instance, which knows the run only from storage', false],
])('a run never taken is queued until its event expires, then finished as internal_error: asked of %s', async (_name, same) => {
  const { clock, instance } = platform();
  const creator = instance();
  const id = await creator.create(parseCreateRun({ code: 'print(1)' }, policy));
  const asked = same ? creator : instance();
  await clock.advance(RUN_QUEUE_MAX_MS);
  expect((await asked.output(id, 0)).state).toBe('queued');
  expect((await asked.info(id)).state).toBe('queued');
  await clock.advance(HEARTBEAT_STALE_MS + 1);
  const chunk = await asked.output(id, 0);
  expect(chunk).toMatchObject({ state: 'finished', eof: true, result: { status: 'internal_error', message: NEVER_STARTED } });
  expect((await asked.info(id)).result?.message).toBe(NEVER_STARTED);
  // Input to it is refused as to any finished run.
  await expect(asked.input(id, 'x\n')).rejects.toMatchObject({ status: 409 });
});
