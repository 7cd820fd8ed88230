/**
 * The command-line client as a user runs it: `bin/pocketrun.js` spawned under a real terminal (node-pty) against a
 * real local platform, and with its stdin piped.
 */
import { spawn as spawnChild } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as pty from '@lydell/node-pty';
import { ROOT, startTestPlatform, type TestPlatform } from '../support/platform';

const BIN = path.join(ROOT, 'bin', 'pocketrun.js');
let t: TestPlatform;
let dir: string;

beforeAll(async () => {
  t = await startTestPlatform({ executors: 2 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-cli-'));
});
afterAll(async () => {
  await t?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function program(name: string, code: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, code);
  return file;
}

/** The CLI under a terminal of its own: what it printed so far, a way to type, and its exit code. */
function inTerminal(args: string[]) {
  const term = pty.spawn(process.execPath, [BIN, ...args, '--url', t.platform.url], { cols: 100, rows: 30, cwd: dir, env: { ...process.env, POCKETRUN_URL: '' } as Record<string, string> });
  let text = '';
  term.onData((d) => (text += d));
  const exit = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const waitFor = async (needle: string, timeoutMs = 20_000) => {
    const until = Date.now() + timeoutMs;
    while (!text.includes(needle)) {
      if (Date.now() > until) throw new Error(`no ${JSON.stringify(needle)} in ${JSON.stringify(text)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { term, text: () => text, exit, waitFor };
}

test('run: the prompt appears, the typed answer is echoed and read, the exit status is the program’s', async () => {
  const file = program('greet.py', "name = input('please input: ')\nprint('Hello,', name)\nraise SystemExit(7)");
  const cli = inTerminal(['run', file]);
  await cli.waitFor('please input: ');
  cli.term.write('world\r');
  expect(await cli.exit).toBe(7);
  // The echo comes from the platform's terminal (\r\n); the local terminal's own newline handling may add a \r.
  expect(cli.text()).toMatch(/please input: world\r+\n/);
  expect(cli.text()).toContain('Hello, world');
});

test('run: Ctrl-C interrupts the program, which may handle it', async () => {
  const file = program('wait.py', "import time\ntry:\n    print('waiting', flush=True)\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    print('interrupted')\n    raise SystemExit(3)");
  const cli = inTerminal(['run', file]);
  await cli.waitFor('waiting');
  cli.term.write('\x03');
  expect(await cli.exit).toBe(3);
  expect(cli.text()).toContain('interrupted');
});

test('run: a program killed by a signal exits 128 + n, and arguments after the file reach it', async () => {
  const file = program('die.py', "import os, signal, sys\nprint('ARGS', sys.argv[1:], flush=True)\nos.kill(os.getpid(), signal.SIGKILL)");
  const cli = inTerminal(['run', file, 'one', 'two words']);
  expect(await cli.exit).toBe(128 + 9);
  expect(cli.text()).toContain("ARGS ['one', 'two words']");
});

test('run: the language comes from the extension unless --lang names it', async () => {
  const sh = program('hello.sh', 'echo "from bash $BASH_VERSION"');
  const cli = inTerminal(['run', sh]);
  expect(await cli.exit).toBe(0);
  expect(cli.text()).toMatch(/from bash \d/);
  const odd = program('hello.txt', "print('python after all')");
  const named = inTerminal(['run', odd, '--lang', 'python']);
  expect(await named.exit).toBe(0);
  expect(named.text()).toContain('python after all');
  const unknown = inTerminal(['run', odd]);
  expect(await unknown.exit).toBe(2);
  expect(unknown.text()).toContain('--lang');
});

test('run with stdin piped: the text, then end of file, no terminal echo; output and status as the program gave them', async () => {
  const file = program('rev.py', "import sys\nlines = sys.stdin.read().splitlines()\nprint('|'.join(reversed(lines)))\nprint('tty', sys.stdin.isatty())\nraise SystemExit(len(lines))");
  const child = spawnChild(process.execPath, [BIN, 'run', file, '--url', t.platform.url], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stdin.end('first\nsecond\nthird\n');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(out).toBe('third|second|first\ntty False\n');
  expect(code).toBe(3);
});

test('runtimes and --help answer; an unreachable platform says so', async () => {
  const help = inTerminal(['run', '--help']);
  expect(await help.exit).toBe(0);
  expect(help.text()).toContain('usage: pocketrun run FILE');
  const down = spawnChild(process.execPath, [BIN, 'runtimes', '--url', 'http://127.0.0.1:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  down.stderr.on('data', (d) => (err += d));
  expect(await new Promise((resolve) => down.on('exit', resolve))).toBe(2);
  expect(err).toContain('cannot reach http://127.0.0.1:1');
});

/** The CLI with pipes for all three streams: what it wrote to each, and its exit status. */
async function piped(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawnChild(process.execPath, [BIN, ...args, '--url', t.platform.url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out, err };
}

test('exec with --stdin and --expect: accepted exits 0, the program’s stdout on stdout, the verdict and figures on stderr', async () => {
  const file = program('square.py', "import sys\nn = int(input())\nprint(n * n)\nprint('note', n, file=sys.stderr)\n");
  const stdin = program('in.txt', '12\n');
  const expected = program('out.txt', '144\n');
  const { code, out, err } = await piped(['exec', file, '--stdin', stdin, '--expect', expected]);
  expect(out).toBe('144\n');
  // The program's stderr first, then one verdict line: status, wall and CPU time, memory (README, *Command line*).
  expect(err).toMatch(/^note 12\naccepted · \d+ ms wall · \d+ ms cpu · \d+\.\d MiB\n$/);
  expect(code).toBe(0);
});

test('exec: a wrong answer exits 1 and says so; a compile error shows the compiler’s message', async () => {
  const file = program('off.py', 'print(int(input()) + 1)\n');
  const stdin = program('in2.txt', '1\n');
  const expected = program('out2.txt', '3\n');
  const wrong = await piped(['exec', file, '--stdin', stdin, '--expect', expected]);
  expect(wrong.out).toBe('2\n');
  expect(wrong.err).toMatch(/^wrong_answer · \d+ ms wall · \d+ ms cpu · \d+\.\d MiB\n$/);
  expect(wrong.code).toBe(1);

  // stderr without a final newline: the verdict still has its own line.
  const noNewline = await piped(['exec', program('tail.py', "import sys\nsys.stderr.write('partial')\n")]);
  expect(noNewline.err).toMatch(/^partial\nok · \d+ ms wall/);
  expect(noNewline.code).toBe(0);

  const broken = program('broken.c', 'int main(void) { return nope; }\n');
  const compile = await piped(['exec', broken]);
  expect(compile.out).toBe('');
  expect(compile.err).toMatch(/‘nope’ undeclared|'nope' undeclared/);
  expect(compile.err).toMatch(/\ncompile_error \(the compiler exited with code 1\) · /);
  expect(compile.code).toBe(1);
});
