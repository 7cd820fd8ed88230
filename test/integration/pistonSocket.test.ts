/**
 * Piston's interactive WebSocket (`GET /api/v2/connect`, handlers/piston/pistonSocket.ts) on the real local platform,
 * with the `ws` client as a Piston integrator's script would use it: input typed after the busy time limit is still
 * read (waiting is not busy time), a busy loop is stopped, signals reach the program, UTF-8 arrives byte-exact and
 * never cut inside a character, stderr on its own stream, the output cap, a compiled language's stages, and every
 * close code a client can provoke.
 */
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { waitForRuntimes } from '../support/waitForRuntimes';

let t: TestPlatform;
beforeAll(async () => {
  t = await startTestPlatform({ executors: 2 });
  await waitForRuntimes(t.client);
}, 60_000);
afterAll(() => t?.stop());

type Message = { type: string; [key: string]: any };

interface Session {
  ws: WebSocket;
  messages: Message[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** The first message (from the start) that `match` accepts, once it has come. */
  waitFor(match: (m: Message) => boolean, what: string): Promise<Message>;
}

function connect(path = '/api/v2/connect'): Promise<Session> {
  const ws = new WebSocket(t.platform.url.replace(/^http/, 'ws') + path);
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (raw) => {
    messages.push(JSON.parse(raw.toString()));
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of [...waiters]) w();
    }),
  );
  const session: Session = {
    ws,
    messages,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    waitFor: (match, what) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (found) {
            waiters.delete(check);
            resolve(found);
          } else if (ws.readyState === WebSocket.CLOSED) {
            waiters.delete(check);
            reject(new Error(`closed before ${what}: ${JSON.stringify(messages)}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(session));
    ws.once('error', reject);
  });
}

const init = (code: string, extra: Record<string, unknown> = {}) => ({ type: 'init', language: 'python', version: '*', files: [{ content: code }], ...extra });
const text = (s: Session, stream: 'stdout' | 'stderr') => s.messages.filter((m) => m.type === 'data' && m.stream === stream).map((m) => m.data as string).join('');
const exitOf = (s: Session) => s.messages.find((m) => m.type === 'exit' && m.stage === 'run');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('time waiting for input is not run_timeout: an answer typed after 5 s is read, and the run finishes', async () => {
  const s = await connect();
  s.send(init("name = input('name? ')\nprint('hello', name)", { run_timeout: 3000 }));
  await s.waitFor((m) => m.type === 'data' && m.data.includes('name? '), 'the prompt');
  await sleep(5_000);
  s.send({ type: 'data', stream: 'stdin', data: 'Ada\n' });
  expect(await s.closed).toEqual({ code: 4999, reason: 'Job Completed' });
  expect(s.messages[0]).toEqual({ type: 'runtime', language: 'python', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
  expect(s.messages[1]).toEqual({ type: 'stage', stage: 'run' });
  expect(text(s, 'stdout')).toBe('name? hello Ada\n');
  expect(exitOf(s)).toEqual({ type: 'exit', stage: 'run', code: 0, signal: null });
}, 30_000);

test('a busy loop under run_timeout 3000 is stopped and reported as a timeout', async () => {
  const s = await connect();
  const started = Date.now();
  s.send(init('while True: pass', { run_timeout: 3000 }));
  expect((await s.closed).code).toBe(4999);
  // Not a timing assertion: a bound wide enough for a loaded machine, far below the run's 60 s wall limit.
  expect(Date.now() - started).toBeLessThan(20_000);
  expect(exitOf(s)).toMatchObject({ stage: 'run', code: null, status: 'TO' });
  expect(exitOf(s)!.signal).toMatch(/^SIG(KILL|XCPU)$/);
}, 30_000);

const signals: Array<[string, string, Record<string, unknown>, RegExp | null]> = [
  ['SIGKILL', 'import time\nprint("ready", flush=True)\ntime.sleep(60)', { code: null, signal: 'SIGKILL' }, null],
  ['SIGTERM', 'import time\nprint("ready", flush=True)\ntime.sleep(60)', { code: null, signal: 'SIGTERM' }, /^ready\n$/],
  // Python turns SIGINT into KeyboardInterrupt, which the program handles: the signal reached it, not a wrapper.
  ['SIGINT', 'import time\nprint("ready", flush=True)\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    print("interrupted")\n    raise SystemExit(3)', { code: 3, signal: null }, /^ready\ninterrupted\n$/],
  ['SIGQUIT', 'import signal, time\nsignal.signal(signal.SIGQUIT, lambda *a: print("quit asked", flush=True))\nprint("ready", flush=True)\ntime.sleep(1.5)', { code: 0, signal: null }, /^ready\nquit asked\n$/],
];

test.each(signals)('signal %s reaches the program', async (name, code, exit, stdout) => {
  const s = await connect();
  s.send(init(code, { run_timeout: 10_000 }));
  await s.waitFor((m) => m.type === 'data' && m.data.includes('ready'), 'ready');
  s.send({ type: 'signal', signal: name });
  expect((await s.closed).code).toBe(4999);
  expect(exitOf(s)).toMatchObject({ stage: 'run', ...exit });
  if (stdout) expect(text(s, 'stdout')).toMatch(stdout);
}, 30_000);

test('a data file in base64 that is not UTF-8 is on disk byte for byte, as in the REST form', async () => {
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a]);
  const s = await connect();
  s.send({
    type: 'init',
    language: 'python',
    version: '*',
    files: [{ content: "print(open('data.bin', 'rb').read().hex())" }, { name: 'data.bin', content: bytes.toString('base64'), encoding: 'base64' }],
  });
  expect((await s.closed).code).toBe(4999);
  expect(text(s, 'stdout')).toBe(`${bytes.toString('hex')}\n`);
}, 30_000);

test('UTF-8 arrives byte-exact, and no data message ends inside a character', async () => {
  // 1000-byte writes of 12-byte groups: every write but a few ends inside a character.
  const program = [
    'import sys, time',
    "b = ('你好世界' * 2000).encode()",
    'for i in range(0, len(b), 1000):',
    '    sys.stdout.buffer.write(b[i:i + 1000]); sys.stdout.buffer.flush(); time.sleep(0.002)',
  ].join('\n');
  const s = await connect();
  s.send(init(program));
  expect((await s.closed).code).toBe(4999);
  const parts = s.messages.filter((m) => m.type === 'data' && m.stream === 'stdout').map((m) => m.data as string);
  expect(parts.join('')).toBe('你好世界'.repeat(2000));
  expect(parts.length).toBeGreaterThan(1);
  for (const part of parts) expect(part).not.toContain('\uFFFD');
}, 30_000);

test('stderr arrives on the stderr stream, stdout on stdout', async () => {
  const s = await connect();
  s.send(init('import sys\nprint("to out", flush=True)\nprint("to err", file=sys.stderr)\nsys.exit(2)'));
  expect((await s.closed).code).toBe(4999);
  expect(text(s, 'stdout')).toBe('to out\n');
  expect(text(s, 'stderr')).toBe('to err\n');
  expect(exitOf(s)).toMatchObject({ code: 2, signal: null, status: 'RE' });
}, 30_000);

test('output past the cap is cut at exactly the cap and reported as OL', async () => {
  const s = await connect();
  s.send(init("import sys\nsys.stdout.write('x' * (3 << 20))"));
  expect((await s.closed).code).toBe(4999);
  const health = (await t.client.request('GET', '/api/health')).json as { limits: { outputBytes: { default: number } } };
  expect(text(s, 'stdout')).toBe('x'.repeat(health.limits.outputBytes.default));
  expect(exitOf(s)).toMatchObject({ status: 'OL', signal: 'SIGKILL' });
}, 30_000);

test('a compiled language: compile stage, its exit, then the run stage; a compile error ends at the compile stage', async () => {
  const ok = await connect();
  ok.send({ type: 'init', language: 'c', version: '*', files: [{ name: 'main.c', content: '#include <stdio.h>\nint main(void) { char s[64]; if (scanf("%63s", s) == 1) printf("got %s\\n", s); return 0; }' }] });
  await ok.waitFor((m) => m.type === 'stage' && m.stage === 'run', 'the run stage');
  ok.send({ type: 'data', stream: 'stdin', data: 'word\n' });
  expect((await ok.closed).code).toBe(4999);
  expect(ok.messages.map((m) => (m.type === 'data' ? `data:${m.stream}` : m.type === 'runtime' ? 'runtime' : `${m.type}:${m.stage}`))).toEqual([
    'runtime',
    'stage:compile',
    'exit:compile',
    'stage:run',
    'data:stdout',
    'exit:run',
  ]);
  expect(text(ok, 'stdout')).toBe('got word\n');

  const broken = await connect();
  broken.send({ type: 'init', language: 'c', version: '*', files: [{ content: 'int main( {' }] });
  expect((await broken.closed).code).toBe(4999);
  expect(broken.messages.find((m) => m.type === 'exit')).toMatchObject({ stage: 'compile', signal: null });
  expect(broken.messages.find((m) => m.type === 'exit')!.code).not.toBe(0);
  expect(text(broken, 'stderr')).toMatch(/error/);
  expect(broken.messages.some((m) => m.type === 'stage' && m.stage === 'run')).toBe(false);
}, 60_000);

test('compile_timeout of init is applied to the compile step: the compile stage ends with its message, no run stage', async () => {
  const s = await connect();
  s.send({ type: 'init', language: 'rust', version: '*', files: [{ content: 'fn main() { println!("never"); }' }], compile_timeout: 100 });
  expect((await s.closed).code).toBe(4999);
  // A stage stopped for time, as Piston's job.js gives it: no exit code, SIGKILL, TO.
  expect(s.messages.find((m) => m.type === 'exit')).toMatchObject({ stage: 'compile', code: null, signal: 'SIGKILL', status: 'TO', message: expect.stringMatching(/0\.1 s/) });
  expect(s.messages.some((m) => m.type === 'stage' && m.stage === 'run')).toBe(false);
}, 30_000);

const closeCodes: Array<[string, number, string, (s: Session) => Promise<void>]> = [
  ['data before init', 4003, 'Not yet initialized', async (s) => s.send({ type: 'data', stream: 'stdin', data: 'x\n' })],
  ['a signal before init', 4003, 'Not yet initialized', async (s) => s.send({ type: 'signal', signal: 'SIGINT' })],
  ['a second init', 4000, 'Already Initialized', async (s) => {
    s.send(init('input()'));
    await s.waitFor((m) => m.type === 'runtime', 'runtime');
    s.send(init('input()'));
  }],
  ['data on another stream than stdin', 4004, 'Can only write to stdin', async (s) => {
    s.send(init('input()'));
    await s.waitFor((m) => m.type === 'runtime', 'runtime');
    s.send({ type: 'data', stream: 'stdout', data: 'x' });
  }],
  ['an invalid signal', 4005, 'Invalid signal', async (s) => {
    s.send(init('input()'));
    await s.waitFor((m) => m.type === 'runtime', 'runtime');
    s.send({ type: 'signal', signal: 'SIGNOPE' });
  }],
  ['an unknown runtime', 4002, 'Notified Error', async (s) => s.send(init('print(1)', { version: '9.9' }))],
  ['a message that is not JSON', 4002, 'Notified Error', async (s) => s.send('{not json')],
  ['a binary message that is not UTF-8', 4002, 'Notified Error', async (s) => s.ws.send(Buffer.from([0x7b, 0xff, 0x7d]))],
  ['no init at all', 4001, 'Initialization Timeout', async () => undefined],
];

test.each(closeCodes)('close code: %s → %d', async (_name, code, reason, provoke) => {
  const s = await connect();
  await provoke(s);
  expect(await s.closed).toEqual({ code, reason });
  if (code === 4002) expect(s.messages.at(-1)).toEqual({ type: 'error', message: expect.any(String) });
}, 30_000);

test('an unknown runtime is named in the error message, as Piston words it; emkc.org’s path works too', async () => {
  const s = await connect('/api/v2/piston/connect');
  s.send(init('print(1)', { version: '9.9' }));
  await s.closed;
  expect(s.messages).toEqual([{ type: 'error', message: 'python-9.9 runtime is unknown' }]);
});

test('a binary message whose bytes are not UTF-8 is refused naming the first bad byte, not decoded with replacement characters', async () => {
  const s = await connect();
  s.ws.send(Buffer.concat([Buffer.from('{"type": "init", "language": "python", "version": "*", "files": [{"content": "print(\'caf'), Buffer.from([0xe9]), Buffer.from('\')"}]}')]));
  await s.closed;
  expect(s.messages).toEqual([{ type: 'error', message: 'message is not valid UTF-8: byte 0xe9 at offset 88' }]);
});

test('stdin escaping half a surrogate pair is refused naming the field, not sent on as U+FFFD', async () => {
  const s = await connect();
  s.send(init('print(input())'));
  await s.waitFor((m) => m.type === 'runtime', 'runtime');
  s.send('{"type": "data", "stream": "stdin", "data": "a\\ud800\\n"}');
  await s.closed;
  expect(s.messages.at(-1)).toEqual({ type: 'error', message: expect.stringMatching(/^data contains a lone surrogate escape \(\\ud800\)/) });
});

test('a plain GET of the socket path, and an upgrade on another path, are refused in HTTP', async () => {
  const plain = await t.client.request('GET', '/api/v2/connect');
  expect(plain.status).toBe(426);
  expect(plain.json).toEqual({ message: expect.stringContaining('WebSocket') });
  const elsewhere = new WebSocket(t.platform.url.replace(/^http/, 'ws') + '/api/v2/nothing');
  const status = await new Promise<number>((resolve) => elsewhere.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  expect(status).toBe(404);
});
