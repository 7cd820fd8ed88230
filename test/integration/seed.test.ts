/** The seed article's own scenarios, end to end over HTTP on the local platform. */
import { startTestPlatform, type TestPlatform } from '../support/platform';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ executors: 3 });
});
afterAll(() => t?.stop());

test('hello world', async () => {
  const { output, result } = await t.client.run("print('HELLO WORLD')");
  expect(output).toBe('HELLO WORLD\r\n');
  expect(result).toMatchObject({ status: 'ok', exitCode: 0, signal: null });
});

test("the broken print('HELLO WORLD) shows Python's SyntaxError", async () => {
  const { output, result } = await t.client.run("print('HELLO WORLD)");
  expect(output).toMatch(/SyntaxError: unterminated string literal/);
  expect(result).toMatchObject({ status: 'runtime_error', exitCode: 1 });
});

test('input() shows its prompt before any input and echoes what was sent, as a terminal does', async () => {
  const id = await t.client.start("tempInput = input('please input: ')\nprint('Output: ', tempInput)");
  const before = await t.client.readUntil(id, (s) => s.includes('please input: '));
  expect(before.state).toBe('running');
  expect(await t.client.input(id, 'pocketrun\n')).toBe(202);
  const { output, result } = await t.client.finish(id);
  expect(output).toBe('please input: pocketrun\r\nOutput:  pocketrun\r\n');
  expect(result.status).toBe('ok');
});

test('output printed before a sleep is visible while the program sleeps; the prompt before any input', async () => {
  const code = 'import time\nprint("hello world")\ntime.sleep(10)\ntempInput = input("please: ")\nprint("Input data: ", tempInput)';
  const id = await t.client.start(code);
  const started = Date.now();
  const first = await t.client.readUntil(id, (s) => s.includes('hello world'));
  // Seen while the program is still inside its 10 s sleep, not after it.
  expect(first.state).toBe('running');
  expect(Date.now() - started).toBeLessThan(8_000);
  expect(first.text).not.toContain('please: ');
  const prompt = await t.client.readUntil(id, (s) => s.includes('please: '), 20_000);
  expect(prompt.state).toBe('running');
  await t.client.input(id, 'late\n');
  const { output, result } = await t.client.finish(id);
  expect(output).toBe('hello world\r\nplease: late\r\nInput data:  late\r\n');
  expect(result.status).toBe('ok');
  expect(result.wallMs).toBeGreaterThanOrEqual(10_000);
}, 40_000);
