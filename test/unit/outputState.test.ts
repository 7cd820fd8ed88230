/**
 * The long poll's state beside its output (core/runService.ts `output`): the status is read every other look, so
 * the output an executor appended after its running status can be found beside a status read at an earlier look,
 * when it still said queued. Output is stored only after the running status, so the answer says running (the
 * smoke test's "real-time output during a sleep" once saw `queued` under load).
 */
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import { keys, type StatusDoc } from '../../core/protocol';
import { RunService } from '../../core/runService';
import { parseCreateRun } from '../../core/validate';
import { FakeClock, settle } from '../support/fakeClock';

const policy = limitPolicyFromEnv({});

async function queuedRunWithPoll() {
  const clock = new FakeClock();
  const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
  const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  let seed = 0;
  const service = new RunService({ code, runs, clock, policy, randomBytes: (n) => Buffer.alloc(n, ++seed) });
  const id = await service.create(parseCreateRun({ code: "print('hello world')" }, policy));
  // The poll's first look reads the status (none yet: queued) and finds no output.
  const poll = service.output(id, 0, 5_000);
  await settle();
  return { clock, runs, id, poll };
}

async function startRunning(clock: FakeClock, runs: MemoryStore, id: string, output: string): Promise<void> {
  const now = new Date(clock.now()).toISOString();
  const status: StatusDoc = { id, state: 'running', executor: 'exec-a', startedAt: now, heartbeatAt: now, isolation: 'bwrap' };
  // In the executor's order: the running status, then the output.
  await runs.put(keys.status(id), JSON.stringify(status), { contentType: 'application/json' });
  await runs.append(keys.output(id), output, 0);
}

test('output found beside a status read at an earlier look is answered as running, not queued', async () => {
  const { clock, runs, id, poll } = await queuedRunWithPoll();
  await startRunning(clock, runs, id, 'hello world\r\n');
  // The next look reads the output only; its status is the first look's.
  let answer: Awaited<typeof poll> | undefined;
  void poll.then((a) => (answer = a));
  for (let i = 0; i < 20 && !answer; i++) await clock.advance(5);
  expect(answer).toMatchObject({ data: 'hello world\r\n', offset: 13, state: 'running', eof: false });
});

test('a queued run without output is still answered as queued when the poll gives up', async () => {
  const { clock, poll } = await queuedRunWithPoll();
  let answer: Awaited<typeof poll> | undefined;
  void poll.then((a) => (answer = a));
  for (let i = 0; i < 2_000 && !answer; i++) await clock.advance(5);
  expect(answer).toMatchObject({ data: '', offset: 0, state: 'queued' });
});
