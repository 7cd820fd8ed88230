/**
 * Languages as the page knows them: the picker's names, a hello world each, and their editor support, loaded only
 * when picked (each mode is a chunk of its own, so a first visit downloads only Python's). The server decides which
 * languages exist (`GET /api/runtimes`); the three that every pocketrun runs are the fallback.
 */
import { indentUnit, StreamLanguage, type StreamParser } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import type { Runtime } from './api';

export interface LanguageInfo {
  id: string;
  name: string;
  version?: string;
  aliases: string[];
  hello: string;
  /** What one indentation level is in this language's usual style. */
  indent: string;
}

const KNOWN: Record<string, { name: string; hello: string; indent?: string }> = {
  python: { name: 'Python', hello: "print('Hello, world!')\n" },
  javascript: { name: 'JavaScript', hello: "console.log('Hello, world!');\n", indent: '  ' },
  typescript: { name: 'TypeScript', hello: "const greeting: string = 'Hello, world!';\nconsole.log(greeting);\n", indent: '  ' },
  bash: { name: 'Bash', hello: 'echo "Hello, world!"\n', indent: '  ' },
  c: { name: 'C', hello: '#include <stdio.h>\n\nint main(void) {\n    printf("Hello, world!\\n");\n    return 0;\n}\n' },
  cpp: { name: 'C++', hello: '#include <iostream>\n\nint main() {\n    std::cout << "Hello, world!" << std::endl;\n    return 0;\n}\n' },
  java: { name: 'Java', hello: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello, world!");\n    }\n}\n' },
  go: { name: 'Go', hello: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello, world!")\n}\n', indent: '\t' },
  rust: { name: 'Rust', hello: 'fn main() {\n    println!("Hello, world!");\n}\n' },
  ruby: { name: 'Ruby', hello: 'puts "Hello, world!"\n', indent: '  ' },
  php: { name: 'PHP', hello: '<?php\necho "Hello, world!\\n";\n' },
  lua: { name: 'Lua', hello: 'print("Hello, world!")\n', indent: '  ' },
  csharp: { name: 'C#', hello: 'using System;\n\nclass Program {\n    static void Main() {\n        Console.WriteLine("Hello, world!");\n    }\n}\n' },
  kotlin: { name: 'Kotlin', hello: 'fun main() {\n    println("Hello, world!")\n}\n' },
  perl: { name: 'Perl', hello: 'print "Hello, world!\\n";\n' },
  haskell: { name: 'Haskell', hello: 'main :: IO ()\nmain = putStrLn "Hello, world!"\n', indent: '  ' },
};

/** What every pocketrun runs, for a server without `GET /api/runtimes`. */
export const FALLBACK_RUNTIMES: Runtime[] = [{ language: 'python' }, { language: 'javascript' }, { language: 'bash' }];

export function languageList(runtimes: Runtime[]): LanguageInfo[] {
  return runtimes.map((r) => {
    const known = KNOWN[r.language];
    return {
      id: r.language,
      name: known?.name ?? r.language,
      version: r.version,
      aliases: r.aliases ?? [],
      hello: known?.hello ?? '',
      indent: known?.indent ?? '    ',
    };
  });
}

const legacy = (load: () => Promise<StreamParser<unknown>>) => () => load().then((parser) => StreamLanguage.define(parser));

/** Highlighting and indentation per language id or alias; each import() is a chunk of its own. */
const MODES: Record<string, () => Promise<Extension>> = {
  python: () => import('@codemirror/lang-python').then((m) => m.python()),
  javascript: () => import('@codemirror/lang-javascript').then((m) => m.javascript()),
  typescript: () => import('@codemirror/lang-javascript').then((m) => m.javascript({ typescript: true })),
  c: () => import('@codemirror/lang-cpp').then((m) => m.cpp()),
  cpp: () => import('@codemirror/lang-cpp').then((m) => m.cpp()),
  java: () => import('@codemirror/lang-java').then((m) => m.java()),
  go: () => import('@codemirror/lang-go').then((m) => m.go()),
  rust: () => import('@codemirror/lang-rust').then((m) => m.rust()),
  php: () => import('@codemirror/lang-php').then((m) => m.php()),
  bash: legacy(() => import('@codemirror/legacy-modes/mode/shell').then((m) => m.shell as StreamParser<unknown>)),
  ruby: legacy(() => import('@codemirror/legacy-modes/mode/ruby').then((m) => m.ruby as StreamParser<unknown>)),
  lua: legacy(() => import('@codemirror/legacy-modes/mode/lua').then((m) => m.lua as StreamParser<unknown>)),
  perl: legacy(() => import('@codemirror/legacy-modes/mode/perl').then((m) => m.perl as StreamParser<unknown>)),
  haskell: legacy(() => import('@codemirror/legacy-modes/mode/haskell').then((m) => m.haskell as StreamParser<unknown>)),
  csharp: legacy(() => import('@codemirror/legacy-modes/mode/clike').then((m) => m.csharp as StreamParser<unknown>)),
  kotlin: legacy(() => import('@codemirror/legacy-modes/mode/clike').then((m) => m.kotlin as StreamParser<unknown>)),
};
const ALIASES: Record<string, string> = { py: 'python', python3: 'python', js: 'javascript', node: 'javascript', ts: 'typescript', sh: 'bash', shell: 'bash', 'c++': 'cpp', golang: 'go', rs: 'rust', rb: 'ruby', cs: 'csharp', kt: 'kotlin' };

/** The editor support of a language (its own id, else one of its aliases); an unknown one gets plain text. */
export async function languageSupport(lang: LanguageInfo): Promise<Extension> {
  const ids = [lang.id, ...lang.aliases].map((id) => id.toLowerCase());
  const id = ids.find((i) => MODES[i]) ?? ids.map((i) => ALIASES[i]).find((i) => i && MODES[i]);
  const mode = id ? await MODES[id]() : [];
  return [mode, indentUnit.of(lang.indent)];
}
