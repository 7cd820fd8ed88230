/** The language registry, pure: names and aliases, Java's file naming, version texts, the pieces runs use. */
import { compileLimits } from '../../core/compileLimits';
import { crlfConverter } from '../../core/crlfConverter';
import { DEFAULT_LANGUAGE, findLanguage, LANGUAGES } from '../../core/languages';
import { pathWith, toolCandidates } from '../../core/languages/candidates';
import { javaSource } from '../../core/languages/javaSource';
import { versionOf } from '../../core/languages/versionOf';
import { COMPILE_MEMORY_BYTES, COMPILE_OUTPUT_BYTES, COMPILE_TIMEOUT_MS } from '../../core/limits';
import { transpileTypeScript } from '../../core/transpileTypeScript';
import { parseCreateRun } from '../../core/validate';
import { limitPolicyFromEnv } from '../../core/limitPolicy';

const policy = limitPolicyFromEnv({});

const names: Array<[string, string]> = [
  ['python', 'python'], ['Python', 'python'], ['PY', 'python'], ['py', 'python'], ['python3', 'python'],
  ['javascript', 'javascript'], ['js', 'javascript'], ['JS', 'javascript'], ['node', 'javascript'], ['NodeJS', 'javascript'],
  ['typescript', 'typescript'], ['ts', 'typescript'], ['TypeScript', 'typescript'],
  ['c', 'c'], ['C', 'c'], ['gcc', 'c'],
  ['cpp', 'cpp'], ['C++', 'cpp'], ['c++', 'cpp'], ['g++', 'cpp'], ['CPP', 'cpp'],
  ['java', 'java'], ['Java', 'java'],
  ['go', 'go'], ['golang', 'go'], ['Go', 'go'],
  ['rust', 'rust'], ['rs', 'rust'],
  ['ruby', 'ruby'], ['rb', 'ruby'],
  ['php', 'php'], ['PHP', 'php'],
  ['lua', 'lua'],
  ['perl', 'perl'], ['pl', 'perl'],
  ['bash', 'bash'], ['sh', 'bash'], ['Shell', 'bash'],
]; // prettier-ignore

test.each(names)('%s names %s, and the API stores the id', (name, id) => {
  expect(findLanguage(name)?.id).toBe(id);
  expect(parseCreateRun({ code: 'x', language: name }, policy).language).toBe(id);
});

test.each(['', 'python2', 'c#', 'cobol', ' python', 'toString', '__proto__'])('%j names no language and is refused', (name) => {
  expect(findLanguage(name)).toBeUndefined();
  expect(() => parseCreateRun({ code: 'x', language: name }, policy)).toThrow(/unknown language/);
});

test('the registry has every language the issue asks for, each complete, python by default', () => {
  expect([...LANGUAGES.keys()]).toEqual(['python', 'javascript', 'typescript', 'c', 'cpp', 'java', 'go', 'rust', 'ruby', 'php', 'lua', 'perl', 'bash']);
  expect(LANGUAGES.has(DEFAULT_LANGUAGE)).toBe(true);
  for (const language of LANGUAGES.values()) {
    expect(language.tools[language.versionTool]).toBeDefined();
    expect(language.helloWorld).toMatch(/Hello, World!/);
    expect(language.editorMode).toMatch(/^[a-z]+$/);
    for (const tool of Object.values(language.tools)) {
      // Only system folders a sandbox sees in both isolation modes; nothing in a home folder.
      for (const candidate of tool.candidates) expect(candidate).toMatch(/^\/(usr|bin|opt|var\/fc\/lang)\//);
    }
  }
});

test('compiled languages name their compile step; their run starts what it built', () => {
  const compiled = [...LANGUAGES.values()].filter((l) => l.compile).map((l) => l.id);
  expect(compiled).toEqual(['c', 'cpp', 'java', 'go', 'rust']);
});

test('tools are looked for in FC runtimes, then FC layers under /opt, then the system', () => {
  expect(toolCandidates('node', { fcRuntime: 'nodejs20', layers: ['node'] })).toEqual([
    '/var/fc/lang/nodejs20/bin/node',
    '/opt/node/bin/node',
    '/opt/bin/node',
    '/usr/bin/node',
    '/usr/local/bin/node',
  ]);
  expect(pathWith('/opt/gcc/bin/gcc')).toBe('/opt/gcc/bin:/usr/local/bin:/usr/bin:/bin');
});

const javaFiles: Array<[string, string, string, string]> = [
  ['public class Main', 'public class Main {\n  public static void main(String[] a) {}\n}', 'Main.java', 'Main'],
  ['public class HelloWorld', 'import java.util.*;\npublic class HelloWorld {\n  public static void main(String[] args) {}\n}', 'HelloWorld.java', 'HelloWorld'],
  ['final public class, generic', '@SuppressWarnings("x")\nfinal public class Box<T> { public static void main(String... a) {} }', 'Box.java', 'Box'],
  ['no public class: the one with main', 'class Helper {}\nclass Solution { static public void main(String[] a) {} }', 'Solution.java', 'Solution'],
  ['public class without main, main elsewhere', 'class Runner { public static void main(String[] a) {} }\npublic class Api {}', 'Api.java', 'Runner'],
  ['comments and strings are not code', '// public class Fake {}\n/* public class Fake2 {} */\npublic class Real { String s = "public class Nope {"; char c = \'{\';\n public static void main(String[] a) {} }', 'Real.java', 'Real'],
  ['a text block', 'public class Text { static String t = """\n  public class X { }\n  """; public static void main(String[] a) {} }', 'Text.java', 'Text'],
  ['nested classes do not count', 'public class Outer { static class Inner { public static void main(String[] a) {} } }', 'Outer.java', 'Outer'],
  ['a package: the entry is qualified', 'package com.example;\npublic class App { public static void main(String[] a) {} }', 'App.java', 'com.example.App'],
  ['an interface with main', 'public interface Tool { static void main(String[] a) {} }', 'Tool.java', 'Tool'],
  ['a record and an enum', 'enum Color { RED }\npublic record Point(int x, int y) { public static void main(String[] a) {} }', 'Point.java', 'Point'],
  ['an instance main (Java 25)', 'class Hi { void main() { System.out.println("hi"); } }', 'Hi.java', 'Hi'],
  ['unicode names', 'public class Привет { public static void main(String[] a) {} }', 'Привет.java', 'Привет'],
  ['nothing recognisable', 'System.out.println("hi");', 'Main.java', 'Main'],
  ['an empty file', '', 'Main.java', 'Main'],
]; // prettier-ignore

test.each(javaFiles)('java: %s', (_name, code, fileName, entry) => {
  expect(javaSource(code)).toEqual({ fileName, entry });
});

const versions: Array<[string, string | null]> = [
  ['Python 3.11.2\n', '3.11.2'],
  ['v20.20.2\n', '20.20.2'],
  ['gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright (C) 2022', '12.2.0'],
  ['javac 17.0.15\n', '17.0.15'],
  ['go version go1.19.8 linux/amd64\n', '1.19.8'],
  ['rustc 1.63.0\n', '1.63.0'],
  ['ruby 3.1.2p20 (2022-04-12 revision 4491bb740a) [x86_64-linux-gnu]\n', '3.1.2'],
  ['PHP 8.2.36 (cli) (built: Nov 18 2026 20:02:04) (NTS)\n', '8.2.36'],
  ['Lua 5.4.4  Copyright (C) 1994-2022 Lua.org, PUC-Rio\n', '5.4.4'],
  ['perl v5.36.0\n', '5.36.0'],
  ['GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)\n', '5.2.15'],
  ['no version here', null],
]; // prettier-ignore

test.each(versions)('version of %j is %j', (text, version) => {
  expect(versionOf(text)).toBe(version);
});

test('compile limits: the budget, the language override, never more output than the run may print', () => {
  const run = { ...parseCreateRun({ code: 'x' }, policy).limits, outputBytes: 1000 };
  const c = findLanguage('c')!.compile!;
  const go = findLanguage('go')!.compile!;
  expect(compileLimits(c, run)).toMatchObject({ timeoutMs: COMPILE_TIMEOUT_MS, memoryBytes: COMPILE_MEMORY_BYTES, outputBytes: 1000, diskBytes: run.diskBytes });
  expect(compileLimits(go, { ...run, outputBytes: 10 * COMPILE_OUTPUT_BYTES }).outputBytes).toBe(COMPILE_OUTPUT_BYTES);
  expect(compileLimits(go, run).memoryBytes).toBeGreaterThan(COMPILE_MEMORY_BYTES);
});

test('terminal newlines: \\n becomes \\r\\n, across chunks, existing \\r\\n untouched', () => {
  const convert = crlfConverter();
  const out = ['a\nb', '\r', '\nc\n', '\n', 'd\r\n'].map((s) => convert(Buffer.from(s)).toString()).join('');
  expect(out).toBe('a\r\nb\r\nc\r\n\r\nd\r\n');
});

test('typescript: types removed without a type check, every line kept, imports become CommonJS', () => {
  const code = [
    "import { readFileSync } from 'fs';",
    'interface Point { x: number; y: number }',
    "const p: Point = { x: 1, y: 'two' as any };",
    'enum Color { Red, Green }',
    'function f<T>(a: T, b?: string): T { return a; }',
    "const bad: number = 'a type error';",
    'console.log(f(p)?.x ?? 0, Color.Green, typeof readFileSync);',
    "throw new Error('line 8');",
  ].join('\n');
  const out = transpileTypeScript(code, 'main.ts');
  if (!('code' in out)) throw new Error(out.error);
  const lines = out.code.split('\n');
  expect(lines).toHaveLength(8);
  expect(lines[7]).toBe("throw new Error('line 8');");
  expect(lines[6]).toContain('?.x ?? 0');
  expect(out.code).toContain("require('fs')");
  expect(out.code).not.toMatch(/: number|interface|<T>/);
});

test('typescript: a syntax error is reported with its position', () => {
  expect(transpileTypeScript('let x = ;', 'main.ts')).toEqual({ error: 'main.ts:1:9: error: Unexpected token\nlet x = ;\n        ^\n' });
});
