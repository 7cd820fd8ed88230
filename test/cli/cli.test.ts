/**
 * The command-line client as a user runs it: `bin/pocketrun.js` spawned under a real terminal (node-pty) against a
 * real local platform, and with its stdin piped.
 */
import { spawn as spawnChild } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
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

test('run: a character whose bytes the terminal delivers in two reads reaches the program whole', async () => {
  const file = program('echo.py', "x = input('? ')\nprint('got', ascii(x))");
  const cli = inTerminal(['run', file]);
  await cli.waitFor('? ');
  // é is c3 a9: the first byte alone, then the second with Enter, as a paste split at the terminal's buffer.
  cli.term.write(Buffer.from([0xc3]) as unknown as string);
  await new Promise((r) => setTimeout(r, 300));
  cli.term.write(Buffer.from([0xa9, 0x0d]) as unknown as string);
  expect(await cli.exit).toBe(0);
  expect(cli.text()).toContain("got '\\xe9'");
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
  // A URL without its scheme is named as the mistake it is, not as a platform that is down.
  const bare = spawnChild(process.execPath, [BIN, 'runtimes', '--url', '127.0.0.1:8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let bareErr = '';
  bare.stderr.on('data', (d) => (bareErr += d));
  expect(await new Promise((resolve) => bare.on('exit', resolve))).toBe(2);
  expect(bareErr).toContain('--url 127.0.0.1:8080: expected an http:// or https:// URL');
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

test('exec with a --stdin file that is not UTF-8: the program reads its exact bytes', async () => {
  const file = program('hex.py', 'import sys\nprint(sys.stdin.buffer.read().hex())\n');
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x0a]);
  const stdin = path.join(dir, 'in.bin');
  fs.writeFileSync(stdin, bytes);
  const { code, out } = await piped(['exec', file, '--stdin', stdin]);
  expect(out).toBe(`${bytes.toString('hex')}\n`);
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

/**
 * A TCP relay to the platform that records what the CLI asks and can be cut, as a network that goes away does:
 * `close()` ends the relay and every connection through it.
 */
async function relay(): Promise<{ url: string; requests: () => string[]; close: () => void }> {
  const target = new URL(t.platform.url);
  const sockets = new Set<net.Socket>();
  let seen = '';
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (d) => (seen += d.toString('latin1')));
    client.pipe(upstream).pipe(client);
    for (const s of [client, upstream]) s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...seen.matchAll(/^(GET|POST) (\S+) HTTP/gm)].map((m) => `${m[1]} ${m[2].split('?')[0]}`),
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * An HTTP proxy to the platform that forwards the first POST whose path matches `lose` and then cuts the CLI's
 * connection instead of answering, as a phone network loses an answer: the platform has the request, the CLI
 * cannot know it. Records the `Idempotency-Key` of every POST, by path.
 */
async function losingFirstAnswerTo(lose: RegExp): Promise<{ url: string; keys: (path: RegExp) => string[]; close: () => void }> {
  const target = new URL(t.platform.url);
  const posts: Array<{ path: string; key: string }> = [];
  let lost = false;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST') posts.push({ path, key: String(req.headers['idempotency-key'] ?? '') });
    const loseThis = req.method === 'POST' && lose.test(path) && !lost;
    if (loseThis) lost = true;
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (loseThis) {
        answer.resume();
        answer.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    keys: (match) => posts.filter((p) => match.test(p.path)).map((p) => p.key),
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

const INPUT_PATH = /^\/api\/runs\/[\w-]+\/input$/;
const CREATE_PATH = /^\/api\/runs$/;

test('run: a line whose answer is lost on the way back is sent again under its key and read once', async () => {
  const file = program('twice.py', "a = input('a? ')\nb = input('b? ')\nprint('got', repr(a), repr(b))");
  const proxy = await losingFirstAnswerTo(INPUT_PATH);
  const term = pty.spawn(process.execPath, [BIN, 'run', file, '--url', proxy.url], { cols: 100, rows: 30, cwd: dir, env: { ...process.env, POCKETRUN_URL: '' } as Record<string, string> });
  let text = '';
  term.onData((d) => (text += d));
  const exit = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  try {
    const until = async (needle: string) => {
      for (const end = Date.now() + 20_000; !text.includes(needle); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > end) throw new Error(`no ${JSON.stringify(needle)} in ${JSON.stringify(text)}`);
      }
    };
    await until('a? ');
    term.write('one\r');
    await until('b? ');
    term.write('two\r');
    expect(await exit).toBe(0);
    expect(text).toContain("got 'one' 'two'");
    // The lost one, its retry under the same key, and the second line under a key of its own.
    const keys = proxy.keys(INPUT_PATH);
    expect(keys.length).toBe(3);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(keys[0]).toMatch(/^[0-9a-f]{16}-1$/);
  } finally {
    term.kill();
    proxy.close();
  }
});

test('run: a create whose answer is lost is sent again under its key, and the CLI follows the one run it made', async () => {
  const file = program('once.py', "import sys\nprint('read', repr(sys.stdin.read()))");
  const proxy = await losingFirstAnswerTo(CREATE_PATH);
  try {
    const child = spawnChild(process.execPath, [BIN, 'run', file, '--url', proxy.url], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end('piped\n');
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, out }).toEqual({ code: 0, out: "read 'piped\\n'\n" });
    const keys = proxy.keys(CREATE_PATH);
    expect(keys.length).toBe(2);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
  } finally {
    proxy.close();
  }
});

/** A program that prints a tick every 0.1 s until it is stopped. */
const TICKS = "import time\ni = 0\nwhile True:\n    print('tick', i, flush=True)\n    i += 1\n    time.sleep(0.1)\n";

const KILLED = /^POST \/api\/runs\/([\w-]+)\/kill$/;

test('run with stdout piped to a slow reader: every byte arrives before the CLI exits (run and exec)', async () => {
  // ~450 KB: far more than a pipe holds, so the CLI must wait for the reader rather than exit with writes pending.
  const file = program('many.py', "for i in range(8000):\n    print(i, 'x' * 50)\n");
  const expected = Array.from({ length: 8000 }, (_, i) => `${i} ${'x'.repeat(50)}\n`).join('');
  for (const command of ['run', 'exec']) {
    const child = spawnChild(process.execPath, [BIN, command, file, '--url', t.platform.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, 1_500));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ command, length: out.length, code }).toEqual({ command, length: expected.length, code: 0 });
    expect(out).toBe(expected);
  }
});

test('run: a closed stdout (| head) stops the run and exits 141, as SIGPIPE ends a local program', async () => {
  const file = program('endless.py', "import itertools\nfor i in itertools.count():\n    print('line', i, flush=True)\n");
  const r = await relay();
  try {
    const child = spawnChild(process.execPath, [BIN, 'run', file, '--url', r.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(128 + os.constants.signals.SIGPIPE);
    const id = r.requests().map((q) => KILLED.exec(q)?.[1]).find(Boolean);
    expect(id).toBeDefined();
    expect((await t.client.finish(id!)).result.status).toBe('killed');
  } finally {
    r.close();
  }
});

test('run with stdin piped: SIGINT (Ctrl-C) and SIGHUP stop the run on the platform, and the CLI exits 128 + n', async () => {
  const file = program('ticks.py', TICKS);
  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    const r = await relay();
    try {
      const child = spawnChild(process.execPath, [BIN, 'run', file, '--url', r.url], { stdio: ['pipe', 'pipe', 'pipe'] });
      child.stdin.end('');
      await new Promise((resolve) => child.stdout.once('data', resolve));
      child.kill(signal);
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect({ signal, code }).toEqual({ signal, code: 128 + os.constants.signals[signal] });
      const id = r.requests().map((q) => KILLED.exec(q)?.[1]).find(Boolean);
      expect(id).toBeDefined();
      expect((await t.client.finish(id!)).result.status).toBe('killed');
    } finally {
      r.close();
    }
  }
});

test('run: when the platform goes away mid-run, three Ctrl-C give the terminal back (exit 2, naming the run)', async () => {
  const file = program('ticks.py', TICKS);
  const r = await relay();
  const term = pty.spawn(process.execPath, [BIN, 'run', file, '--url', r.url], { cols: 100, rows: 30, cwd: dir, env: { ...process.env, POCKETRUN_URL: '' } as Record<string, string> });
  let text = '';
  term.onData((d) => (text += d));
  const exit = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  let id: string | undefined;
  try {
    while (!text.includes('tick 2')) await new Promise((res) => setTimeout(res, 20));
    id = r.requests().map((q) => /^POST \/api\/runs\/([\w-]+)\/resize$|^GET \/api\/runs\/([\w-]+)\/output$/.exec(q)).map((m) => m?.[1] ?? m?.[2]).find(Boolean);
    r.close();
    while (!text.includes('retrying')) await new Promise((res) => setTimeout(res, 20));
    term.write('\x03\x03\x03');
    expect(await exit).toBe(2);
    expect(text).toMatch(/could not reach the platform to stop run [\w-]+; it may still be going/);
  } finally {
    term.kill();
    if (id) await t.client.kill(id);
  }
});
