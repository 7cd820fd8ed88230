/** The local platform as FC's stand-in: redelivery, queueing, a dying instance, lifecycle expiry. */
import * as fs from 'fs';
import * as path from 'path';
import { HANDLER_NODE_FLAGS } from '../../core/handlerNodeFlags';
import { keys, ossPutEvent } from '../../core/protocol';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ executors: 2 });
});
afterAll(() => t?.stop());

const file = (bucket: string, key: string) => path.join(t.dataDir, bucket, key);
const eventFor = (id: string) => ossPutEvent('code', keys.manifest(id), 1, '"x"');

test('a redelivered trigger event runs nothing twice and never doubles output', async () => {
  // The program leaves a trace of every execution in its output: a second execution would append a second line.
  const id = await t.client.start("import time\nprint('ran', time.time())");
  const first = await t.client.finish(id);
  const status = fs.readFileSync(file('runs', keys.status(id)), 'utf8');
  t.platform.invoker.enqueue(eventFor(id));
  t.platform.invoker.enqueue(eventFor(id));
  // Both redeliveries are handled once an instance frees up; wait until the queue drained.
  for (let i = 0; i < 100 && (t.platform.invoker.queued > 0 || t.platform.instances.some((x) => x.busy)); i++) await new Promise((r) => setTimeout(r, 50));
  const again = await t.client.finish(id);
  expect(again.bytes.equals(first.bytes)).toBe(true);
  expect(first.output.match(/ran/g)).toHaveLength(1);
  expect(fs.readFileSync(file('runs', keys.status(id)), 'utf8')).toBe(status);
});

test('an event delivered to two instances at once starts one copy only', async () => {
  const id = await t.client.start("import time\nprint('copy')\ntime.sleep(1)");
  t.platform.invoker.enqueue(eventFor(id));
  const { output, result } = await t.client.finish(id);
  expect(output.match(/copy/g)).toHaveLength(1);
  expect(result.status).toBe('ok');
});

test('more runs than instances queue and all complete', async () => {
  const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => t.client.start(`import time\ntime.sleep(0.3)\nprint(${i})`)));
  const results = await Promise.all(ids.map((id) => t.client.finish(id)));
  results.forEach((r, i) => {
    expect(r.output).toBe(`${i}\r\n`);
    expect(r.result.status).toBe('ok');
  });
});

test('executor instances run with the Node flags FC starts the bundles with (core/handlerNodeFlags.ts)', () => {
  expect(t.platform.instances.length).toBeGreaterThan(0);
  for (const instance of t.platform.instances) {
    const argv = fs.readFileSync(`/proc/${instance.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv.slice(1, 1 + HANDLER_NODE_FLAGS.length)).toEqual([...HANDLER_NODE_FLAGS]);
    expect(argv[1 + HANDLER_NODE_FLAGS.length]).toMatch(/executor\/index\.js$/);
  }
});

test('health reports the active isolation', async () => {
  const { status, json } = await t.client.request('GET', '/api/health');
  expect(status).toBe(200);
  expect(['bwrap', 'uid']).toContain(json.isolation);
  expect(json.isolation).toBe(t.platform.isolation);
});

test('an executor that dies mid-run: the run is reported internal_error in bounded time and never started twice', async () => {
  const id = await t.client.start("import time\nprint('alive', flush=True)\ntime.sleep(600)");
  await t.client.readUntil(id, (s) => s.includes('alive'));
  const claim = JSON.parse(fs.readFileSync(file('runs', keys.claim(id)), 'utf8'));
  const owner = t.platform.instances.find((i) => claim.executor.endsWith(`:${i.pid}`));
  expect(owner).toBeDefined();
  await owner!.crash();
  // The invoker retries the failed invocation on a fresh instance: it must find the claim and not run again.
  const { output, result } = await t.client.finish(id, 60_000);
  expect(result.status).toBe('internal_error');
  expect(output.match(/alive/g)).toHaveLength(1);
  // The platform replaced the instance: new runs still work.
  expect((await t.client.run('print(2+2)')).output).toBe('4\r\n');
}, 90_000);
