/**
 * `POST /api/execute` over HTTP on the real local platform: the verdict table (each status, each limit, the
 * comparison rules), several tests in one request with fresh limits, the figures of the program's own tree, bad
 * requests. The figures and the limits run twice: with the host's isolation (bwrap where it works) and a memory
 * cgroup per command, and as on FC, uid isolation without cgroups (RLIMIT_AS and the RSS watch).
 */
import * as L from '../../core/limits';
import type { ExecuteResult } from '../../core/judge/executeResult';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const MiB = 1024 * 1024;

async function execute(t: TestPlatform, body: Record<string, unknown>): Promise<ExecuteResult> {
  const { status, json } = await t.client.request('POST', '/api/execute', body);
  if (status !== 200) throw new Error(`execute: HTTP ${status} ${JSON.stringify(json)}`);
  return json as ExecuteResult;
}

const TOUCH_100_MIB = 'b = bytearray(100 * 1024 * 1024)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\nprint(len(b))';
const BUSY_1_S = 'import time\nt = time.process_time()\nwhile time.process_time() - t < 1:\n    pass\nprint("done")';

const platforms: Array<[string, { isolation?: 'uid'; cgroups: boolean }]> = [
  ['the host’s isolation with memory cgroups', { cgroups: true }],
  ['uid isolation without cgroups (as on FC)', { isolation: 'uid', cgroups: false }],
];

describe.each(platforms)('%s', (_name, mode) => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({ executors: 2, ...(mode.isolation ? { isolation: mode.isolation } : {}), handlerEnv: mode.cgroups ? {} : { SANDBOX_MEMORY_CGROUP: 'off' } });
  });
  afterAll(() => t?.stop());

  test('/api/health says how memory is held', async () => {
    const { json } = await t.client.request('GET', '/api/health');
    expect(json.executor.memoryLimit.by).toBe(mode.cgroups ? 'cgroup' : 'rlimit');
  });

  test('100 MiB allocated and touched: at least 100 MiB, less than 150 MiB', async () => {
    const r = await execute(t, { language: 'python', code: TOUCH_100_MIB, expectedOutput: String(100 * MiB) });
    expect(r.status).toBe('accepted');
    expect(r.memoryKb).toBeGreaterThanOrEqual(100 * 1024);
    expect(r.memoryKb).toBeLessThan(150 * 1024);
  });

  test('a 1 s busy loop: 0.8 to 1.3 s of CPU', async () => {
    const r = await execute(t, { language: 'python', code: BUSY_1_S });
    expect(r.status).toBe('ok');
    expect(r.cpuMs).toBeGreaterThanOrEqual(800);
    expect(r.cpuMs).toBeLessThanOrEqual(1300);
    expect(r.wallMs).toBeGreaterThanOrEqual(r.cpuMs - 50);
  });

  test('a hello world: the interpreter’s few MiB and milliseconds, not a wrapper’s', async () => {
    const r = await execute(t, { language: 'python', code: 'print("hello")', expectedOutput: 'hello' });
    expect(r.status).toBe('accepted');
    expect(r.memoryKb).toBeGreaterThan(256);
    expect(r.memoryKb).toBeLessThan(24 * 1024);
    expect(r.cpuMs).toBeLessThan(300);
    expect(r.wallMs).toBeLessThan(1_000);
  });

  test('past the memory limit: memory_limit, for Python and for Node (whose V8 reserves far more address space)', async () => {
    const py = await execute(t, { language: 'python', code: 'b = bytearray(300 * 1024 * 1024)\nfor i in range(0, len(b), 4096):\n    b[i] = 1', limits: { memoryMb: 64 } });
    expect(py.status).toBe('memory_limit');
    const js = await execute(t, { language: 'javascript', code: 'const a = [];\nfor (;;) a.push(Buffer.alloc(16 * 1024 * 1024, 1));', limits: { memoryMb: 64 } });
    expect(js.status).toBe('memory_limit');
  });

  test('runtimes that reserve address space run under the default 256 MiB: Node, the JVM, Go', async () => {
    const [js, java, go] = await Promise.all([
      execute(t, { language: 'javascript', code: 'console.log(40 + 2)', expectedOutput: '42' }),
      execute(t, { language: 'java', code: 'public class Main { public static void main(String[] a) { System.out.println(40 + 2); } }', expectedOutput: '42' }),
      execute(t, { language: 'go', code: 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(40 + 2) }\n', expectedOutput: '42' }),
    ]);
    expect(js).toMatchObject({ status: 'accepted', stderr: '' });
    expect(java).toMatchObject({ status: 'accepted', stderr: '' });
    expect(go).toMatchObject({ status: 'accepted', stderr: '' });
  });

  test('C: the program’s own figures, not the compiler’s; 100 MiB touched; a 1 s busy loop', async () => {
    const hello = await execute(t, { language: 'c', code: '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n', expectedOutput: 'hi' });
    expect(hello).toMatchObject({ status: 'accepted', compileOutput: '' });
    // cc1 alone takes tens of MiB and milliseconds; the program a few hundred KiB (plus the run head's share).
    expect(hello.memoryKb).toBeLessThan(8 * 1024);
    expect(hello.cpuMs).toBeLessThan(50);
    const touch = await execute(t, {
      language: 'c',
      code: '#include <stdlib.h>\n#include <stdio.h>\nint main(void) { size_t n = 100u << 20; char *p = malloc(n); for (size_t i = 0; i < n; i += 4096) p[i] = 1; printf("%d\\n", p[4096]); return 0; }\n',
      expectedOutput: '1',
    });
    expect(touch.status).toBe('accepted');
    expect(touch.memoryKb).toBeGreaterThanOrEqual(100 * 1024);
    expect(touch.memoryKb).toBeLessThan(150 * 1024);
    const busy = await execute(t, { language: 'c', code: '#include <time.h>\nint main(void) { volatile long x = 0; while (clock() < CLOCKS_PER_SEC) x++; return 0; }\n' });
    expect(busy.status).toBe('ok');
    expect(busy.cpuMs).toBeGreaterThanOrEqual(800);
    expect(busy.cpuMs).toBeLessThanOrEqual(1300);
  });

  test('wall and CPU timeouts say which', async () => {
    const [wall, cpu] = await Promise.all([
      execute(t, { language: 'python', code: 'import time\ntime.sleep(30)', limits: { timeoutMs: 1_000 } }),
      execute(t, { language: 'python', code: 'while True:\n    pass', limits: { cpuMs: 1_000, timeoutMs: 10_000 } }),
    ]);
    expect(wall).toMatchObject({ status: 'timeout', message: 'wall time limit of 1 s exceeded' });
    // The limit runs from the spawn; the figure is the program's own, without the sandbox's few ms of start-up.
    expect(wall.wallMs).toBeGreaterThanOrEqual(900);
    expect(wall.wallMs).toBeLessThan(2_500);
    expect(wall.cpuMs).toBeLessThan(300);
    // Stopped by the tree's CPU watch (adapters/sandbox/cpuWatch.ts), before RLIMIT_CPU's backstop a second later.
    expect(cpu).toMatchObject({ status: 'timeout', message: expect.stringMatching(/^CPU time limit of 1 s exceeded \(1(\.\d+)? s used by the program's processes together\)$/) });
    expect(cpu.signal).not.toBe('SIGXCPU');
    expect(cpu.cpuMs).toBeGreaterThanOrEqual(900);
    expect(cpu.cpuMs).toBeLessThan(1_400);
  });

  // RLIMIT_CPU counts whole seconds: alone, it stopped a 0.5 s limit at 1 s and a 1.5 s one at 2 s.
  test.each([[500], [1_500]])('a CPU limit of %i ms stops a busy loop at that limit, not at the next whole second', async (cpuMs) => {
    const r = await execute(t, { language: 'python', code: 'while True:\n    pass', limits: { cpuMs, timeoutMs: 10_000 } });
    expect(r).toMatchObject({ status: 'timeout', message: expect.stringMatching(new RegExp(`^CPU time limit of ${cpuMs / 1000} s exceeded`)) });
    expect(r.cpuMs).toBeGreaterThanOrEqual(cpuMs - 100);
    expect(r.cpuMs).toBeLessThan(cpuMs + 400);
  });
});

describe('the verdict table (host isolation)', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({ executors: 2 });
  });
  afterAll(() => t?.stop());

  const rows: Array<[string, Record<string, unknown>, Partial<ExecuteResult>]> = [
    ['accepted', { code: 'print(int(input()) * 2)', stdin: '21\n', expectedOutput: '42' }, { status: 'accepted', stdout: '42\n', stderr: '', exitCode: 0, signal: null }],
    ['wrong_answer', { code: 'print(int(input()) * 2)', stdin: '21\n', expectedOutput: '43' }, { status: 'wrong_answer', stdout: '42\n' }],
    ['ok without an expected output', { code: 'print("hi")' }, { status: 'ok', stdout: 'hi\n' }],
    ['trailing spaces, CRLF and extra final newlines are forgiven', { code: 'import sys\nsys.stdout.write("1 2  \\r\\n3\\t\\n\\n\\n")', expectedOutput: '1 2\n3' }, { status: 'accepted' }],
    ['a leading space is not', { code: 'print(" 3")', expectedOutput: '3' }, { status: 'wrong_answer' }],
    ['a blank line inside is not', { code: 'print("1\\n\\n2")', expectedOutput: '1\n2\n' }, { status: 'wrong_answer' }],
    ['stderr apart, stdin closed after the given text', { code: 'import sys\ndata = sys.stdin.read()\nprint(len(data))\nprint("note", file=sys.stderr)', stdin: 'abc', expectedOutput: '3' }, { status: 'accepted', stderr: 'note\n' }],
    ['runtime_error with the exit code', { code: 'import sys\nsys.exit(3)' }, { status: 'runtime_error', exitCode: 3, signal: null, message: 'exit code 3' }],
    ['runtime_error with the signal', { code: 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)' }, { status: 'runtime_error', exitCode: null, signal: 'SIGSEGV', message: 'killed by SIGSEGV' }],
    ['an uncaught exception', { code: 'raise ValueError("boom")' }, { status: 'runtime_error', exitCode: 1 }],
    ['output_limit on stdout, exactly the cap kept', { code: 'while True:\n    print("x" * 999)', limits: { outputBytes: 10_000 } }, { status: 'output_limit', message: 'stdout passed its limit of 10000 bytes' }],
    ['output_limit on stderr', { code: 'import sys\nwhile True:\n    sys.stderr.write("e" * 1000)', limits: { outputBytes: 5_000 } }, { status: 'output_limit', message: 'stderr passed its limit of 5000 bytes' }],
    ['extra files beside the program, args after it', { code: 'import sys\nprint(open("data/in.txt").read(), *sys.argv[1:])', files: [{ name: 'data/in.txt', content: 'hello' }], args: ['a', 'b'], expectedOutput: 'hello a b' }, { status: 'accepted' }],
    ['javascript', { language: 'javascript', code: 'const s = require("fs").readFileSync(0, "utf8");\nconsole.log(Number(s) + 1)', stdin: '41', expectedOutput: '42' }, { status: 'accepted' }],
    ['bash', { language: 'bash', code: 'read x\necho $((x + 1))', stdin: '41\n', expectedOutput: '42' }, { status: 'accepted' }],
    ['bash exit code', { language: 'bash', code: 'echo bye >&2\nexit 7' }, { status: 'runtime_error', exitCode: 7, stderr: 'bye\n' }],
    ['c accepted', { language: 'c', code: '#include <stdio.h>\nint main(void) { int n; scanf("%d", &n); printf("%d\\n", 2 * n); return 0; }\n', stdin: '21', expectedOutput: '42' }, { status: 'accepted', compileOutput: '' }],
    ['c compile_error, with the compiler’s messages', { language: 'c', code: 'int main(void) { return x; }\n' }, { status: 'compile_error', message: 'the compiler exited with code 1', stdout: '', exitCode: null }],
    ['c runtime_error by SIGSEGV', { language: 'c', code: 'int main(void) { volatile int *p = 0; *p = 1; return 0; }\n' }, { status: 'runtime_error', signal: 'SIGSEGV' }],
    ['c memory_limit', { language: 'c', code: '#include <stdlib.h>\n#include <string.h>\nint main(void) { for (;;) { char *p = malloc(1 << 20); if (!p) return 3; memset(p, 1, 1 << 20); } }\n', limits: { memoryMb: 32 } }, { status: 'memory_limit' }],
    ['typescript that does not parse: compile_error', { language: 'typescript', code: 'const x: number = ;\n' }, { status: 'compile_error' }],
  ];

  test.each(rows)('%s', async (_name, body, expected) => {
    const r = await execute(t, { language: 'python', ...body });
    expect(r).toMatchObject(expected);
    expect(r.tests).toBeUndefined();
    if (r.status === 'output_limit' && r.message?.startsWith('stdout')) expect(Buffer.byteLength(r.stdout)).toBe(10_000);
  });

  // Bytes that are not UTF-8 (and a NUL, and bytes that would decode to U+FFFD's own): the program must read them
  // exactly, from stdin and from a file, where a string would have brought it U+FFFD.
  const BYTES = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xef, 0xbf, 0xbd, 0x0a]);
  const HEX_OF_STDIN = 'import sys\nprint(sys.stdin.buffer.read().hex())';
  const HEX_OF_FILE = "print(open('data.bin', 'rb').read().hex())";
  const bytesIn: Array<[string, Record<string, unknown>, string]> = [
    ['stdinBase64', { code: HEX_OF_STDIN, stdinBase64: BYTES.toString('base64') }, BYTES.toString('hex')],
    ['a test’s stdinBase64 beside a text one', { code: HEX_OF_STDIN, tests: [{ stdin: 'é' }, { stdinBase64: BYTES.toString('base64'), expectedOutput: BYTES.toString('hex') }] }, Buffer.from('é').toString('hex')],
    ['a file in base64', { code: HEX_OF_FILE, files: [{ name: 'data.bin', content: BYTES.toString('base64'), encoding: 'base64' }] }, BYTES.toString('hex')],
  ];

  test.each(bytesIn)('bytes in: %s reaches the program byte for byte', async (_name, body, hex) => {
    const r = await execute(t, { language: 'python', ...body });
    expect(r).toMatchObject({ stdout: `${hex}\n`, stderr: '', exitCode: 0 });
    if (r.tests) expect(r.tests.map((x) => x.status)).toEqual(['ok', 'accepted']);
  });

  test('bytes in: refusals name the field', async () => {
    const both = await t.client.request('POST', '/api/execute', { language: 'python', code: HEX_OF_STDIN, stdin: 'a', stdinBase64: 'YQ==' });
    expect(both).toMatchObject({ status: 400, json: { error: { code: 'invalid_request', message: expect.stringMatching(/^stdinBase64: not allowed beside stdin/) } } });
    const bad = await t.client.request('POST', '/api/execute', { language: 'python', code: HEX_OF_FILE, files: [{ name: 'data.bin', content: 'no*', encoding: 'base64' }] });
    expect(bad).toMatchObject({ status: 400, json: { error: { message: 'files[0].content: not valid base64' } } });
    const large = await t.client.request('POST', '/api/execute', { language: 'python', code: HEX_OF_STDIN, stdinBase64: Buffer.alloc(L.JUDGE_MAX_TEST_FIELD_BYTES + 1).toString('base64') });
    expect(large).toMatchObject({ status: 413, json: { error: { code: 'payload_too_large', message: expect.stringMatching(/^stdinBase64: decodes to more than/) } } });
  });

  test('several tests in one request: one cell, fresh limits each, the first failure decides', async () => {
    // Each test uses 0.6 s of CPU and 50 MiB: together far over the 1 s and 96 MiB each has.
    const code = [
      'import time',
      'n = int(input())',
      'b = bytearray(50 * 1024 * 1024)',
      'for i in range(0, len(b), 4096):',
      '    b[i] = 1',
      't = time.process_time()',
      'while time.process_time() - t < 0.6:',
      '    pass',
      'print(n * 2)',
    ].join('\n');
    const limits = { cpuMs: 1_000, memoryMb: 96 };
    const passing = await execute(t, { language: 'python', code, limits, tests: [1, 2, 3].map((n) => ({ stdin: `${n}\n`, expectedOutput: String(n * 2) })) });
    expect(passing.status).toBe('accepted');
    expect(passing.tests!.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted']);
    for (const x of passing.tests!) {
      expect(x.cpuMs).toBeGreaterThanOrEqual(550);
      expect(x.cpuMs).toBeLessThan(1_000);
      expect(x.memoryKb).toBeGreaterThanOrEqual(50 * 1024);
    }
    const mixed = await execute(t, { language: 'python', code: 'print(int(input()) * 2)', tests: [{ stdin: '1', expectedOutput: '2' }, { stdin: '2', expectedOutput: '5' }, { stdin: 'x' }] });
    expect(mixed.tests!.map((x) => x.status)).toEqual(['accepted', 'wrong_answer', 'runtime_error']);
    expect(mixed).toMatchObject({ status: 'wrong_answer', stdout: '4\n' });
  });

  test('a compiled language is compiled once for all its tests', async () => {
    const code = '#include <stdio.h>\nint main(void) { int n; int unused; scanf("%d", &n); printf("%d\\n", n * n); return 0; }\n';
    const r = await execute(t, { language: 'c', code, tests: [1, 2, 3].map((n) => ({ stdin: String(n), expectedOutput: String(n * n) })) });
    expect(r.tests!.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(r.status).toBe('accepted');
    // One compile: its output is the answer's once, not a test's.
    expect(r.tests!.every((x) => x.stdout === `${x === r.tests![0] ? 1 : x === r.tests![1] ? 4 : 9}\n`)).toBe(true);
    const failing = await execute(t, { language: 'c', code: 'int main(void) { return y; }\n', tests: [{ stdin: '1' }, { stdin: '2' }] });
    expect(failing.status).toBe('compile_error');
    expect(failing.compileOutput).toMatch(/error: .y. undeclared/);
    expect(failing.tests!.map((x) => x.status)).toEqual(['compile_error', 'compile_error']);
  });

  test('streams that are not UTF-8: their exact bytes in base64 beside the text, only there', async () => {
    const code = 'import sys\nif input() == "bytes":\n    sys.stdout.buffer.write(b"\\xff\\n")\nelse:\n    print("é")';
    const r = await execute(t, { language: 'python', code, tests: [{ stdin: 'text' }, { stdin: 'bytes', expectedOutput: 'x' }] });
    expect(r.tests!.map((x) => x.status)).toEqual(['ok', 'wrong_answer']);
    expect(r.tests![0]).not.toHaveProperty('stdoutBase64');
    expect(r.tests![0].stdout).toBe('é\n');
    expect(r.tests![1]).toMatchObject({ stdout: '\ufffd\n', stdoutBase64: Buffer.from([0xff, 0x0a]).toString('base64') });
    expect(r.tests![1]).not.toHaveProperty('stderrBase64');
    // The top level is the deciding test's.
    expect(r.stdoutBase64).toBe(r.tests![1].stdoutBase64);
  });

  test('files a test writes are there for the next one: the tests share the cell', async () => {
    const r = await execute(t, { language: 'python', code: 'import os\nprint(os.path.exists("seen"))\nopen("seen", "w").close()', tests: [{ stdin: '', expectedOutput: 'False' }, { stdin: '', expectedOutput: 'True' }] });
    expect(r.tests!.map((x) => x.status)).toEqual(['accepted', 'accepted']);
  });

  test('nothing of a test outlives it: a background process is gone before the next test starts', async () => {
    const code = [
      'import os, subprocess, sys',
      'if input() == "spawn":',
      '    subprocess.Popen(["sleep", "30"], start_new_session=True)',
      'else:',
      '    mine = [p for p in os.listdir("/proc") if p.isdigit() and os.stat("/proc/" + p).st_uid == os.getuid()]',
      '    print(len([p for p in mine if open("/proc/%s/comm" % p).read().strip() == "sleep"]))',
    ].join('\n');
    const r = await execute(t, { language: 'python', code, tests: [{ stdin: 'spawn' }, { stdin: 'count', expectedOutput: '0' }] });
    expect(r.tests!.map((x) => x.status)).toEqual(['ok', 'accepted']);
  });

  test('the result object is in the runs bucket and the run’s status carries its top level', async () => {
    const { status, json } = await t.client.request('POST', '/api/execute', { language: 'python', code: 'print(1)', expectedOutput: '1' });
    expect(status).toBe(200);
    const info = await t.client.request('GET', '/api/runs/' + (await lastRunId(t)));
    expect(info.json).toMatchObject({ state: 'finished', result: { status: 'accepted', exitCode: 0 } });
    expect(json.status).toBe('accepted');
  });

  const bad: Array<[string, unknown, number, string]> = [
    ['a test without stdin', { language: 'python', code: 'x', tests: [{ stdin: '' }, { stdin: '' }, { stdin: '' }, { expectedOutput: '1' }] }, 400, 'tests[3].stdin'],
    ['a non-string field of a test', { language: 'python', code: 'x', tests: [{ stdin: 5 }] }, 400, 'tests[0].stdin'],
    ['too many tests', { language: 'python', code: 'x', tests: Array.from({ length: L.JUDGE_MAX_TESTS + 1 }, () => ({ stdin: '' })) }, 400, 'tests'],
    ['an unknown language', { language: 'cobol', code: 'x' }, 400, 'language'],
    ['a file name going up', { language: 'python', code: 'x', files: [{ name: '../x', content: '' }] }, 400, 'files[0].name'],
    ['an absolute file name', { language: 'python', code: 'x', files: [{ name: '/tmp/x', content: '' }] }, 400, 'files[0].name'],
    ['code over the code cap', { language: 'python', code: 'x'.repeat(L.MAX_CODE_BYTES + 1) }, 413, 'code'],
    ['a body over the body cap', { language: 'python', code: 'x', tests: [{ stdin: 'y'.repeat(60_000) }, { stdin: 'y'.repeat(60_000) }, { stdin: 'y'.repeat(60_000) }, { stdin: 'y'.repeat(60_000) }, { stdin: 'y'.repeat(60_000) }] }, 413, ''],
  ];

  test.each(bad)('bad request: %s', async (_name, body, status, field) => {
    const r = await t.client.request('POST', '/api/execute', body);
    expect(r.status).toBe(status);
    expect(r.json.error.message.startsWith(field)).toBe(true);
  });
});

/** The newest manifest's run id (the local platform's code bucket is a folder). */
async function lastRunId(t: TestPlatform): Promise<string> {
  const fs = await import('fs');
  const path = await import('path');
  const dir = path.join(t.dataDir, 'code', 'manifests');
  const newest = fs
    .readdirSync(dir)
    .map((name) => ({ name, at: fs.statSync(path.join(dir, name)).mtimeMs }))
    .sort((a, b) => b.at - a.at)[0];
  return newest.name.replace(/\.json$/, '');
}
