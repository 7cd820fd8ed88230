/**
 * Every language of the registry through the real local platform (API, executors, sandbox), table-driven, in both
 * isolation modes: hello world, a line of stdin echoed, a runtime error, and for compiled languages a compile
 * error; the same judged through POST /api/execute (every verdict, all languages at once, ~7 s a mode); then what is
 * specific (an interactive C prompt, aliases, Java's class file, TypeScript's type errors, `GET /api/runtimes`).
 * Both modes take about 20 s each on two cores: the slowest compile is Java's (~0.5 s).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { MemoryStore } from '../../adapters/storage/memoryStore';
import type { ExecuteResult } from '../../core/judge/executeResult';
import { LANGUAGES } from '../../core/languages';
import { versionOf } from '../../core/languages/versionOf';
import type { RuntimeInfo } from '../../core/protocol';
import { createApi } from '../../handlers/api';
import type { ApiClient } from '../support/client';
import { MODES, platformFor, type Mode } from '../exploits/support';
import type { TestPlatform } from '../support/platform';

interface Row {
  hello: string;
  /** Reads one line and prints `echo:<line>`. */
  echo: string;
  /** Fails at run time; its output matches `runtimeMessage`. */
  runtimeError: string;
  runtimeMessage: RegExp;
  /** Busy forever (no sleep): stopped at its time limit. */
  loop: string;
  /** For compiled languages: code that does not compile, and what the compiler says. */
  compileError?: [code: string, message: RegExp];
}

const ROWS: Record<string, Row> = {
  python: {
    hello: "print('Hello, World!')",
    echo: "line = input()\nprint('echo:' + line)",
    runtimeError: "raise ValueError('boom')",
    runtimeMessage: /ValueError: boom/,
    loop: 'while True:\n    pass',
  },
  javascript: {
    hello: "console.log('Hello, World!');",
    echo: "const rl = require('readline').createInterface({ input: process.stdin });\nrl.once('line', (l) => { console.log('echo:' + l); rl.close(); });",
    runtimeError: "throw new Error('boom');",
    runtimeMessage: /Error: boom/,
    loop: 'for (;;) {}',
  },
  typescript: {
    hello: "const greeting: string = 'Hello, World!';\nconsole.log(greeting);",
    echo: "import * as readline from 'readline';\nconst rl = readline.createInterface({ input: process.stdin });\nrl.once('line', (l: string) => { console.log('echo:' + l); rl.close(); });",
    // The trace names the user's own line.
    runtimeError: "type T = number;\nconst x: T = 1;\nthrow new Error(`boom ${x}`);",
    runtimeMessage: /main\.ts:3[\s\S]*Error: boom 1/,
    loop: 'let n: number = 0;\nfor (;;) n++;',
    compileError: ['let x: number = (;', /main\.ts:1:\d+: error: Unexpected token/],
  },
  c: {
    hello: '#include <stdio.h>\nint main(void) { printf("Hello, World!\\n"); return 0; }',
    echo: '#include <stdio.h>\nint main(void) { char line[256]; if (fgets(line, sizeof line, stdin)) printf("echo:%s", line); return 0; }',
    runtimeError: '#include <stdio.h>\nint main(void) { fprintf(stderr, "boom\\n"); return 3; }',
    runtimeMessage: /boom/,
    loop: 'int main(void) { volatile unsigned long n = 0; for (;;) n++; }',
    compileError: ['int main(void) { return undefined_name; }', /main\.c:1:\d+: error: .undefined_name. undeclared/],
  },
  cpp: {
    hello: '#include <iostream>\nint main() { std::cout << "Hello, World!" << std::endl; }',
    echo: '#include <iostream>\n#include <string>\nint main() { std::string s; std::getline(std::cin, s); std::cout << "echo:" << s << std::endl; }',
    runtimeError: '#include <stdexcept>\nint main() { throw std::runtime_error("boom"); }',
    runtimeMessage: /what\(\): +boom/,
    loop: 'int main() { volatile unsigned long n = 0; for (;;) n++; }',
    compileError: ['int main() { undefined_name; }', /main\.cpp:1:\d+: error: .undefined_name. was not declared/],
  },
  java: {
    hello: 'public class Main {\n  public static void main(String[] args) {\n    System.out.println("Hello, World!");\n  }\n}',
    echo: 'import java.io.*;\npublic class Main {\n  public static void main(String[] args) throws IOException {\n    String l = new BufferedReader(new InputStreamReader(System.in)).readLine();\n    System.out.println("echo:" + l);\n  }\n}',
    runtimeError: 'public class Main {\n  public static void main(String[] args) {\n    throw new IllegalStateException("boom");\n  }\n}',
    runtimeMessage: /Exception in thread "main" java\.lang\.IllegalStateException: boom/,
    loop: 'public class Main {\n  public static void main(String[] args) {\n    while (true) {}\n  }\n}',
    compileError: ['public class Main {\n  public static void main(String[] args) { int x = "s"; }\n}', /Main\.java:2: error: incompatible types/],
  },
  go: {
    hello: 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("Hello, World!") }',
    echo: 'package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n\tl, _ := bufio.NewReader(os.Stdin).ReadString(\'\\n\')\n\tfmt.Print("echo:" + l)\n}',
    runtimeError: 'package main\n\nfunc main() { panic("boom") }',
    runtimeMessage: /panic: boom/,
    loop: 'package main\n\nfunc main() {\n\tfor {\n\t}\n}',
    compileError: ['package main\n\nfunc main() { x := 1 }', /main\.go:3:\d+: .*declared (but|and) not used/],
  },
  rust: {
    hello: 'fn main() { println!("Hello, World!"); }',
    echo: 'fn main() {\n    let mut l = String::new();\n    std::io::stdin().read_line(&mut l).unwrap();\n    print!("echo:{}", l);\n}',
    runtimeError: 'fn main() { panic!("boom"); }',
    runtimeMessage: /panicked at[\s\S]*boom/,
    loop: 'fn main() { loop {} }',
    compileError: ['fn main() { let x: i32 = "s"; }', /error\[E0308\]: mismatched types[\s\S]*main\.rs:1/],
  },
  ruby: {
    hello: 'puts "Hello, World!"',
    echo: 'line = gets\nputs "echo:#{line}"',
    runtimeError: 'raise "boom"',
    runtimeMessage: /boom \(RuntimeError\)/,
    loop: 'loop {}',
  },
  php: {
    hello: '<?php\necho "Hello, World!\\n";',
    echo: '<?php\n$l = fgets(STDIN);\necho "echo:" . $l;',
    runtimeError: '<?php\nthrow new Exception("boom");',
    runtimeMessage: /Uncaught Exception: boom/,
    loop: '<?php\nwhile (true) {}',
  },
  lua: {
    hello: 'print("Hello, World!")',
    echo: 'local l = io.read("l")\nprint("echo:" .. l)',
    runtimeError: 'error("boom")',
    runtimeMessage: /main\.lua:1: boom/,
    loop: 'while true do end',
  },
  perl: {
    hello: 'print "Hello, World!\\n";',
    echo: 'my $l = <STDIN>;\nprint "echo:$l";',
    runtimeError: 'die "boom\\n";',
    runtimeMessage: /boom/,
    loop: '1 while 1;',
  },
  bash: {
    hello: 'echo "Hello, World!"',
    echo: 'read l\necho "echo:$l"',
    runtimeError: 'echo boom >&2\nexit 3',
    runtimeMessage: /boom/,
    loop: 'while :; do :; done',
  },
};

/** Their compiles take seconds: judged on the comparison and the compile error only (their runtime errors above). */
const SLOW_TOOLCHAINS = ['java', 'rust'];

const REQUIRED = ['python', 'javascript', 'typescript', 'c', 'cpp', 'java', 'bash'];

/** The languages whose tools this host has (any candidate exists), as the sandbox would find them. */
const installed = [...LANGUAGES.values()].filter((l) => Object.values(l.tools).every((t) => t.candidates.some((c) => fs.existsSync(c)))).map((l) => l.id);

test('the registry has a table row for every language, and this host has every required one', () => {
  expect(Object.keys(ROWS).sort()).toEqual([...LANGUAGES.keys()].sort());
  expect(installed).toEqual(expect.arrayContaining(REQUIRED));
});

/** `GET /api/runtimes`, once the executors' probe has written its list. */
async function runtimes(client: ApiClient): Promise<RuntimeInfo[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { status, json } = await client.request('GET', '/api/runtimes');
    if (status === 200) return json as RuntimeInfo[];
    expect(status).toBe(503);
    if (Date.now() > deadline) throw new Error(`no runtimes listed: ${JSON.stringify(json)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(MODES)('%s isolation', (mode: Mode) => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await platformFor(mode, 2);
  });
  afterAll(() => t?.stop());

  const rows = (filter: (id: string, row: Row) => boolean) =>
    Object.entries(ROWS).filter(([id, row]) => installed.includes(id) && filter(id, row));

  test('GET /api/runtimes lists each installed language with the version its tool reports', async () => {
    const list = await runtimes(t.client);
    expect(list.map((r) => r.language)).toEqual(installed);
    for (const runtime of list) {
      const language = LANGUAGES.get(runtime.language)!;
      const tool = language.tools[language.versionTool];
      const path = tool.candidates.find((c) => fs.existsSync(c))!;
      const host = spawnSync(path, tool.versionArgs, { encoding: 'utf8' });
      expect(runtime).toEqual({
        language: language.id,
        name: language.name,
        version: versionOf(`${host.stdout}${host.stderr}`),
        aliases: language.aliases,
        compiled: language.compile !== undefined,
        editorMode: language.editorMode,
      });
      expect(runtime.version).toMatch(/^\d+(\.\d+)+$/);
    }
  });

  test.each(Object.keys(ROWS).filter((id) => installed.includes(id)))('%s: hello world', async (id) => {
    const { output, result } = await t.client.run(ROWS[id].hello, { language: id });
    expect({ output, status: result.status }).toEqual({ output: 'Hello, World!\r\n', status: 'ok' });
  });

  test.each(rows(() => true))('%s: a line of stdin is echoed', async (id, row) => {
    const { output, result } = await t.client.run(row.echo, { language: id, stdin: 'hello stdin\n' });
    expect(output).toContain('echo:hello stdin\r\n');
    expect(result.status).toBe('ok');
  });

  test.each(rows(() => true))('%s: a runtime error is runtime_error, with its message', async (id, row) => {
    const { output, result } = await t.client.run(row.runtimeError, { language: id });
    // Ruby colours its message on a terminal.
    expect(output.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(row.runtimeMessage);
    expect(result.status).toBe('runtime_error');
  });

  test.each(rows((_, row) => row.compileError !== undefined))("%s: a compile error is compile_error, with the compiler's message", async (id, row) => {
    const [code, message] = row.compileError!;
    const { output, result } = await t.client.run(code, { language: id });
    expect(output).toMatch(message);
    expect(result.status).toBe('compile_error');
    // As the terminal shows it: no bare newline.
    expect(output).not.toMatch(/[^\r]\n/);
  });

  test('judge verdicts through POST /api/execute, every language at once: accepted, wrong_answer, runtime_error, timeout, compile_error', async () => {
    const execute = async (body: Record<string, unknown>) => {
      const { status, json } = await t.client.request('POST', '/api/execute', body);
      expect(status).toBe(200);
      return json as ExecuteResult;
    };
    const cases = rows(() => true).flatMap(([id, row]) => {
      // One compile judges both comparisons: the tests of a request share it.
      const compared = async () => {
        const r = await execute({ language: id, code: row.echo, tests: [{ stdin: 'judge\n', expectedOutput: 'echo:judge' }, { stdin: 'judge\n', expectedOutput: 'echo:other' }] });
        return { id, case: 'compared', status: r.status, tests: r.tests?.map((x) => x.status) };
      };
      const alone = async (name: string, body: Record<string, unknown>) => ({ id, case: name, status: (await execute({ language: id, ...body })).status });
      return [
        compared(),
        // With an expected output: a program that fails is runtime_error, not wrong_answer.
        ...(SLOW_TOOLCHAINS.includes(id) ? [] : [alone('runtime_error', { code: row.runtimeError, expectedOutput: 'x' }), alone('timeout', { code: row.loop, limits: { cpuMs: 300, timeoutMs: 2_000 } })]),
        ...(row.compileError ? [alone('compile_error', { code: row.compileError[0] })] : []),
      ];
    });
    const got = await Promise.all(cases);
    const want = (verdict: (typeof got)[number]) => (verdict.case === 'compared' ? { ...verdict, status: 'wrong_answer', tests: ['accepted', 'wrong_answer'] } : { ...verdict, status: verdict.case });
    expect(got).toEqual(got.map(want));
  }, 120_000);

  test('an interactive C program: the warning first, then its prompt, then the answer to what is typed', async () => {
    const code = '#include <stdio.h>\n#warning compiled with a warning\nint main(void) {\n  char name[64];\n  printf("name? ");\n  fflush(stdout);\n  if (!fgets(name, sizeof name, stdin)) return 1;\n  printf("hi %s", name);\n  return 0;\n}';
    const id = await t.client.start(code, { language: 'c' });
    const { text } = await t.client.readUntil(id, (s) => s.includes('name? '));
    expect(text).toMatch(/^main\.c:2:2: warning: #warning compiled with a warning[\s\S]*\r\nname\? $/);
    expect(await t.client.input(id, 'Ada\n')).toBe(202);
    const { output, result } = await t.client.finish(id);
    expect(output).toContain('name? Ada\r\nhi Ada\r\n');
    expect(result).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(result.compileMs).toBeGreaterThan(0);
  });

  test('names and aliases in any case run their language, recorded by its id', async () => {
    const cases: Array<[string, string, string]> = [['PY', 'python', "print('hi')"], ['Js', 'javascript', "console.log('hi')"], ['SH', 'bash', 'echo hi'], ['C++', 'cpp', '#include <cstdio>\nint main() { std::puts("hi"); }']];
    for (const [name, id, code] of cases) {
      const run = await t.client.start(code, { language: name });
      const { output, result } = await t.client.finish(run);
      expect({ name, output, status: result.status }).toEqual({ name, output: 'hi\r\n', status: 'ok' });
      expect((await t.client.request('GET', `/api/runs/${run}`)).json.language).toBe(id);
    }
  });

  test('TypeScript with a type error still runs', async () => {
    const { output, result } = await t.client.run("const n: number = 'not a number';\nconsole.log(n.toUpperCase());", { language: 'typescript' });
    expect(output).toBe('NOT A NUMBER\r\n');
    expect(result.status).toBe('ok');
  });

  test('a blocking run compiles too: the compiler message and the program output as printed', async () => {
    const res = await t.client.request('POST', '/', { language: 'c', code: '#include <stdio.h>\n#warning careful\nint main(void) { int a, b; if (scanf("%d %d", &a, &b) == 2) printf("%d\\n", a + b); return 0; }', input: '2 40\n' });
    expect(res.status).toBe(200);
    expect(res.json.Response.result).toMatch(/^main\.c:2:2: warning: #warning careful[\s\S]*\n42\n$/);
  });

  {
    test("Java code is compiled into its public class's file, whatever the class is called", async () => {
      const code = 'import java.util.Scanner;\n\npublic class HelloWorld {\n  public static void main(String[] args) {\n    System.out.println("from " + new Object() {}.getClass().getEnclosingClass().getSimpleName());\n  }\n}';
      const { output, result } = await t.client.run(code, { language: 'java' });
      expect(output).toBe('from HelloWorld\r\n');
      expect(result.status).toBe('ok');
    });

    test.each<[string, string, string]>([
      ['java', 'public class Main {\n  public static void main(String[] a) {\n    long[][] keep = new long[1 << 16][];\n    for (int i = 0; ; i++) keep[i] = new long[1 << 20];\n  }\n}', 'OutOfMemoryError'],
      ['go', 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar keep [][]byte\n\tfor {\n\t\tb := make([]byte, 1<<24)\n\t\tfor i := range b {\n\t\t\tb[i] = 1\n\t\t}\n\t\tkeep = append(keep, b)\n\t\tif len(keep) < 0 {\n\t\t\tfmt.Println()\n\t\t}\n\t}\n}', 'out of memory'],
    ])('%s: a heap bomb ends as memory_limit', async (id, code, message) => {
      const { output, result } = await t.client.run(code, { language: id, limits: { memoryBytes: 64 * 1024 * 1024 } });
      expect(output).toContain(message);
      expect(result.status).toBe('memory_limit');
    });
  }
});

test('an API whose executors have not reported yet answers GET /api/runtimes 503 with a JSON error', async () => {
  const store = () => new MemoryStore({ bucket: 'b', now: () => Date.now() });
  const { server } = createApi({ code: store(), runs: store(), refreshCredentials: () => undefined }, {}, { log: () => undefined });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/api/runtimes`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'unavailable', message: expect.stringMatching(/^runtimes: /) } });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
