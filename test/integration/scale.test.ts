/**
 * The local platform scales its executor instances with demand, as FC does (local/poolPolicy.ts): on the real
 * platform, with a small maximum and a short idle time so that each behaviour shows within seconds.
 */
import { startTestPlatform, type TestPlatform } from '../support/platform';

const MAX = 10;
const RUNS = MAX + 2;
const IDLE_MS = 1_500;

let t: TestPlatform;
/** The platform's log records (the executor instances' lines among them). */
const logs: Array<Record<string, unknown>> = [];
/** Every pool size seen, sampled while the tests run. */
const sizes: number[] = [];
let sampler: NodeJS.Timeout;
beforeAll(async () => {
  // `executors: undefined` undoes the support's fixed pool: this platform scales.
  t = await startTestPlatform({ executors: undefined, executorsMin: 1, executorsMax: MAX, executorsSpare: 1, executorIdleMs: IDLE_MS, log: (r) => logs.push(r) });
  sampler = setInterval(() => sizes.push(t.platform.pool.size), 20);
});
afterAll(async () => {
  clearInterval(sampler);
  await t?.stop();
});

const prompt = (i: number) => `name ${i}? `;
const program = (i: number) => `x = input('${prompt(i)}')\nprint('hello', x)`;

test('a warm minimum at start, and one spare as soon as a run takes an instance', async () => {
  expect(t.platform.pool.size).toBe(1);
  const id = await t.client.start(program(0));
  await t.client.readUntil(id, (s) => s.includes(prompt(0)));
  // The spare is started ahead of the next run: two instances while one program waits.
  for (let i = 0; i < 200 && t.platform.instances.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
  expect(t.platform.instances.length).toBe(2);
  expect(await t.client.input(id, 'zero\n')).toBe(202);
  const { output, result } = await t.client.finish(id);
  expect(result.status).toBe('ok');
  expect(output).toContain('hello zero');
}, 30_000);

test(`${RUNS} runs waiting for input at once: ${MAX} (the maximum) all print their prompt before any is answered, the rest queue and complete later, none lost`, async () => {
  const ids = await Promise.all(Array.from({ length: RUNS }, (_, i) => t.client.start(program(i))));
  // Which runs print their prompt first is the queue's order, not the ids'; the first MAX to do so are served at once.
  const prompted: number[] = [];
  const promptedAll = Promise.all(ids.map((id, i) => t.client.readUntil(id, (s) => s.includes(prompt(i)), 50_000).then(() => prompted.push(i))));
  for (let k = 0; k < 900 && prompted.length < MAX; k++) await new Promise((r) => setTimeout(r, 50));
  expect(prompted).toHaveLength(MAX);
  // No instance frees up before an answer: the other runs are still queued, and the pool is at its maximum.
  await new Promise((r) => setTimeout(r, 500));
  expect(prompted).toHaveLength(MAX);
  const states = await Promise.all(ids.map(async (id) => (await t.client.request('GET', `/api/runs/${id}`)).json.state));
  expect(states.filter((s) => s === 'queued')).toHaveLength(RUNS - MAX);
  expect(t.platform.pool.size).toBe(MAX);

  // Answer the prompted ones: their instances take the queued runs, which prompt in turn and are answered.
  const first = [...prompted];
  const answer = async (i: number) => expect(await t.client.input(ids[i], `user${i}\n`)).toBe(202);
  await Promise.all(first.map(answer));
  await promptedAll;
  await Promise.all(ids.map((_, i) => i).filter((i) => !first.includes(i)).map(answer));
  const finished = await Promise.all(ids.map((id) => t.client.finish(id)));
  finished.forEach(({ output, result }, i) => {
    expect(result.status).toBe('ok');
    expect(output.match(/hello/g)).toHaveLength(1);
    expect(output).toContain(`hello user${i}`);
  });
  expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX);
  expect(t.platform.pool.stats.peak).toBe(MAX);
}, 60_000);

test('idle instances are stopped after the idle time, down to the minimum, and the pool serves again', async () => {
  for (let i = 0; i < 200 && t.platform.pool.size > 1; i++) await new Promise((r) => setTimeout(r, 50));
  expect(t.platform.pool.size).toBe(1);
  // From the peak of MAX down to one: each stopped one was retired for idling (none died).
  expect(t.platform.pool.stats.retired).toBeGreaterThanOrEqual(MAX - 1);
  expect(t.platform.pool.stats.failedStarts).toBe(0);
  const { output, result } = await t.client.run("print('again')");
  expect(result.status).toBe('ok');
  expect(output).toBe('again\r\n');
}, 30_000);

test('an instance that dies while idle is replaced before any event is sent to it', async () => {
  for (let i = 0; i < 200 && (t.platform.pool.size !== 1 || t.platform.instances.length !== 1); i++) await new Promise((r) => setTimeout(r, 50));
  const [victim] = t.platform.instances;
  const pid = victim.pid;
  await victim.crash();
  for (let i = 0; i < 200 && !(t.platform.instances.length === 1 && t.platform.instances[0].pid !== pid); i++) await new Promise((r) => setTimeout(r, 50));
  expect(t.platform.instances.map((i) => i.pid)).not.toContain(pid);
  expect(t.platform.instances).toHaveLength(1);
  const { output, result } = await t.client.run("print('replaced')");
  expect(result.status).toBe('ok');
  expect(output).toBe('replaced\r\n');
}, 30_000);

test('what the first instance probed about the host, the later ones take: their starts probe nothing, and their first python run no runtime', () => {
  const lines = logs.flatMap((r) => (r.event === 'executor_log' && typeof r.line === 'string' && r.line.startsWith('{') ? [{ instance: r.instance, ...JSON.parse(r.line) }] : []));
  const timelines = lines.filter((l) => l.event === 'start_timeline').map((l) => ({ instance: l.instance as number, steps: (l.steps as Array<{ step: string }>).map((s) => s.step) }));
  // The first alone at the start (the minimum is 1); the tests above started several more.
  expect(timelines.length).toBeGreaterThan(3);
  const [first, ...later] = timelines;
  expect(first.steps).toContain(t.platform.isolation === 'bwrap' ? 'sandbox: bwrap probe' : 'sandbox: private /proc probe');
  for (const { instance, steps } of later) expect({ instance, probes: steps.filter((s) => s.endsWith(' probe')) }).toEqual({ instance, probes: [] });
  // Every test above ran python; only the very first run's instance probed it.
  expect(lines.filter((l) => l.event === 'runtime_probe' && l.language === 'python').map((l) => l.instance)).toEqual([first.instance]);
});
