/**
 * The Piston v2 compatibility API (handlers/piston) on the real local platform, driven by the real `piston-client`
 * package (an ES module: it runs in a child Node, as an integrator's script would): runtimes, execute in several
 * languages, a compile error, stdin; then Piston's request fields and errors over plain HTTP.
 */
import { execFile } from 'child_process';
import { pathToFileURL } from 'url';
import * as path from 'path';
import { ROOT, startTestPlatform, type TestPlatform } from '../support/platform';
import { waitForRuntimes } from '../support/waitForRuntimes';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ executors: 2 });
  await waitForRuntimes(t.client);
});
afterAll(() => t?.stop());

/** Runs `body` (an async function body with `client` in scope) in a child Node; returns what it returns. */
function withPistonClient(body: string): Promise<any> {
  const url = pathToFileURL(path.join(ROOT, 'node_modules/piston-client/index.js')).href;
  const script = `import piston from ${JSON.stringify(url)};\nconst client = piston({ server: ${JSON.stringify(t.platform.url)} });\nconst out = await (async () => { ${body} })();\nprocess.stdout.write(JSON.stringify(out));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

test('piston-client: runtimes, several languages, a compile error, stdin', async () => {
  const r = await withPistonClient(`
    const runtimes = await client.runtimes();
    const python = await client.execute('python', 'import sys\\nprint(sys.argv[1:], input())', { stdin: 'from stdin' });
    const js = await client.execute('javascript', 'console.log("js", 40 + 2)');
    const cpp = await client.execute('c++', '#include <cstdio>\\nint main(){ std::printf("cpp\\\\n"); }');
    const go = await client.execute('go', 'package main\\nimport "fmt"\\nfunc main() { fmt.Println("go") }');
    const broken = await client.execute('c', 'int main( { }');
    const failing = await client.execute('bash', 'echo oops >&2; exit 4');
    return { runtimes, python, js, cpp, go, broken, failing };
  `);
  expect(r.runtimes).toEqual(expect.arrayContaining([expect.objectContaining({ language: 'python', version: expect.stringMatching(/^\d+\.\d+\.\d+$/), aliases: expect.arrayContaining(['py']) })]));
  expect(r.runtimes.map((x: any) => x.language)).toEqual(expect.arrayContaining(['c++', 'javascript', 'go', 'c', 'bash']));
  // piston-client's default args are 1 2 3.
  expect(r.python.run).toMatchObject({ stdout: "['1', '2', '3'] from stdin\n", stderr: '', code: 0, signal: null, status: null });
  expect(r.python.language).toBe('python');
  expect(r.python.compile).toBeUndefined();
  expect(r.js.run.stdout).toBe('js 42\n');
  expect(r.cpp).toMatchObject({ language: 'c++', compile: { code: 0 }, run: { stdout: 'cpp\n', code: 0 } });
  expect(r.go.run.output).toBe('go\n');
  expect(r.broken.compile.code).not.toBe(0);
  expect(r.broken.compile.stderr).toMatch(/error/);
  // Piston's v2.js sets run = compile when nothing ran: a client reading `.run.output` sees the compiler's error.
  expect(r.broken.run).toEqual(r.broken.compile);
  expect(r.broken.run.output).toMatch(/error/);
  expect(r.failing.run).toMatchObject({ stdout: '', stderr: 'oops\n', output: 'oops\n', code: 4, status: 'RE' });
});

const execute = (body: unknown, headers: Record<string, string> = {}) => t.client.request('POST', '/api/v2/execute', body, headers);

test('Piston fields: files with encodings, version selectors, limits; types of the answer', async () => {
  const r = await execute({
    language: 'py',
    version: '3.x',
    files: [{ name: 'main.py', content: 'print(open("data/x.txt", encoding="utf-8").read())' }, { name: 'data/x.txt', content: Buffer.from('héllo').toString('base64'), encoding: 'base64' }],
  });
  expect(r.status).toBe(200);
  expect(r.json.run).toMatchObject({ stdout: 'héllo\n', code: 0, status: null, message: null });
  for (const field of ['cpu_time', 'wall_time', 'memory']) expect(Number.isInteger(r.json.run[field])).toBe(true);
  expect(r.json.run.memory).toBeGreaterThan(1024 * 1024);
  const hex = await execute({ language: 'bash', version: '*', files: [{ content: Buffer.from('echo hex').toString('hex'), encoding: 'hex' }] });
  expect(hex.json.run.stdout).toBe('hex\n');
  const slow = await execute({ language: 'python', version: '*', files: [{ content: 'import time\ntime.sleep(5)' }], run_timeout: 500 });
  // Piston kills a program at its limit and says SIGKILL (handlers/isolateSignal.ts).
  expect(slow.json.run).toMatchObject({ status: 'TO', signal: 'SIGKILL', code: null });
  const killed = await execute({ language: 'python', version: '*', files: [{ content: 'import os\nos.kill(os.getpid(), 9)' }] });
  expect(killed.json.run).toMatchObject({ status: 'SG', signal: 'SIGKILL', code: null });
  const noisy = await execute({ language: 'python', version: '*', files: [{ content: 'print("x" * 10_000_000)' }] });
  expect(noisy.json.run.status).toBe('OL');
});

test('a data file in base64 or hex that is not UTF-8 is on disk byte for byte; stdin reaches the program as sent', async () => {
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]);
  const program = { name: 'main.py', content: "print(open('data.bin', 'rb').read().hex())" };
  for (const [encoding, content] of [['base64', bytes.toString('base64')], ['hex', bytes.toString('hex')]]) {
    const r = await execute({ language: 'python', version: '*', files: [program, { name: 'data.bin', content, encoding }] });
    expect(r.status).toBe(200);
    expect(r.json.run).toMatchObject({ stdout: `${bytes.toString('hex')}\n`, stderr: '', code: 0 });
  }
  const stdin = await execute({ language: 'python', version: '*', files: [{ content: 'import sys\nprint(sys.stdin.buffer.read().hex())' }], stdin: 'é\u0000\ufffd\n' });
  expect(stdin.json.run).toMatchObject({ stdout: `${Buffer.from('é\u0000\ufffd\n').toString('hex')}\n`, code: 0 });
  const bad = await execute({ language: 'python', version: '*', files: [program, { name: 'data.bin', content: 'AP8*', encoding: 'base64' }] });
  expect(bad).toMatchObject({ status: 400, json: { message: 'files[1].content is not valid base64' } });
});

// Piston's job.js adds a final newline to stdin that has none: a `while read` loop sees the last line.
const stdinCases: Array<[string, string, string]> = [
  ['without a final newline: one is added', 'a\nb', '[a]\n[b]\n'],
  ['with one: kept as sent', 'a\nb\n', '[a]\n[b]\n'],
  ['a blank last line kept', 'a\n\n', '[a]\n[]\n'],
  ['empty: one empty line, as Piston gives it', '', '[]\n'],
];

test.each(stdinCases)('stdin %s', async (_name, stdin, stdout) => {
  const r = await execute({ language: 'bash', version: '*', files: [{ content: 'while read l; do echo "[$l]"; done' }], stdin });
  expect(r.status).toBe(200);
  expect(r.json.run).toMatchObject({ stdout, code: 0 });
});

test("TypeScript: Piston's aliases, the transpiler's version; Piston's tsc 5.0.3 is not claimed", async () => {
  const sucrase = (require('sucrase/package.json') as { version: string }).version;
  const { json: runtimes } = await t.client.request('GET', '/api/v2/runtimes');
  expect(runtimes.find((r: any) => r.language === 'typescript')).toMatchObject({ version: sucrase, runtime: 'node', aliases: expect.arrayContaining(['ts5', 'node-ts']) });
  const r = await execute({ language: 'ts5', version: '*', files: [{ content: 'const n: number = 6 * 7;\nconsole.log(n);' }] });
  expect(r.json).toMatchObject({ language: 'typescript', version: sucrase, run: { stdout: '42\n', code: 0 } });
  expect(await execute({ language: 'typescript', version: '5.0.3', files: [{ content: 'x' }] })).toMatchObject({ status: 400, json: { message: 'typescript-5.0.3 runtime is unknown' } });
});

test('a JSON body sent as text/plain or with no content type is read', async () => {
  const body = JSON.stringify({ language: 'python', version: '*', files: [{ content: 'print(1)' }] });
  const plain = await execute(body, { 'content-type': 'text/plain' });
  expect(plain.json.run.stdout).toBe('1\n');
});

test('errors as Piston gives them', async () => {
  expect(await execute({ language: 'python', version: '9.9', files: [{ content: 'x' }] })).toMatchObject({ status: 400, json: { message: 'python-9.9 runtime is unknown' } });
  expect(await execute({ language: 'cobol', version: '*', files: [{ content: 'x' }] })).toMatchObject({ status: 400, json: { message: 'cobol-* runtime is unknown' } });
  expect(await execute({ version: '*', files: [] })).toMatchObject({ status: 400, json: { message: 'language is required as a string' } });
  expect(await execute({ language: 'python', files: [] })).toMatchObject({ status: 400, json: { message: 'version is required as a string' } });
  expect(await execute({ language: 'python', version: '*' })).toMatchObject({ status: 400, json: { message: 'files is required as an array' } });
  expect(await execute({ language: 'python', version: '*', files: [{}] })).toMatchObject({ status: 400, json: { message: 'files[0].content is required as a string' } });
  expect(await execute({ language: 'python', version: '*', files: [{ content: 'x' }], run_timeout: 10_000_000 })).toMatchObject({ status: 400, json: { message: expect.stringContaining('run_timeout cannot exceed') } });
  expect(await execute('{')).toMatchObject({ status: 400, json: { message: expect.any(String) } });
});

const compileLimitCases: Array<[string, Record<string, unknown>, Record<string, unknown>, RegExp]> = [
  ['compile_timeout', { language: 'rust', version: '*', files: [{ content: 'fn main() { println!("never"); }' }], compile_timeout: 100 }, { status: 'TO', code: null, signal: 'SIGKILL' }, /0\.1 s/],
  // javac's JVM needs far more than the 16 MiB asked (a C hello world compiles within it under a memory cgroup).
  ['compile_memory_limit', { language: 'java', version: '*', files: [{ content: 'public class Main { public static void main(String[] a) { System.out.println("never"); } }' }], compile_memory_limit: 16 * 1024 * 1024 }, { status: 'RE' }, /memory limit of 16 MiB|out of memory/],
];

test.each(compileLimitCases)('%s is applied to the compile step: below what the compiler needs, the compile fails and nothing runs', async (_field, body, stage, text) => {
  const r = await execute(body);
  expect(r.status).toBe(200);
  expect(r.json.compile).toMatchObject(stage);
  expect(r.json.compile.code).not.toBe(0);
  expect(`${r.json.compile.message ?? ''}${r.json.compile.stderr}`).toMatch(text);
  // Nothing ran: `run` is the compile stage, as Piston answers it.
  expect(r.json.run).toEqual(r.json.compile);
});
