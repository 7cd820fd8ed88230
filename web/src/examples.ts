/**
 * Programs one tap away: the seed's own test programs (which show what pocketrun is for: a prompt answered while
 * the program runs, a syntax error, output before a slow prompt), a look at what the terminal renders, and a hello
 * world in each language the server runs.
 */
import type { LanguageInfo } from './languages';

export interface Example {
  id: string;
  title: string;
  description: string;
  language: string;
  code: string;
}

export const SEED_EXAMPLES: Example[] = [
  { id: 'hello', title: 'Hello world', description: 'The smallest program', language: 'python', code: "print('HELLO WORLD')\n" },
  { id: 'broken', title: 'A broken print', description: 'What a syntax error looks like', language: 'python', code: "print('HELLO WORLD)\n" },
  {
    id: 'input',
    title: 'Ask for input',
    description: 'Answer the prompt in the terminal',
    language: 'python',
    code: "name = input('please input: ')\nprint('Output: ', name)\n",
  },
  {
    id: 'sleep',
    title: 'Output, a pause, then a prompt',
    description: 'Output appears as it is printed',
    language: 'python',
    code: "import time\nprint('hello world')\ntime.sleep(3)\nx = input('Input: ')\nprint('Input data: ', x)\n",
  },
  {
    id: 'terminal',
    title: 'Colours and a progress bar',
    description: 'A real terminal: ANSI colours, \\r, an error stack',
    language: 'python',
    code: [
      'import time',
      '',
      "for colour in range(31, 37):",
      "    print(f'\\033[{colour}mcolour {colour}\\033[0m', end=' ')",
      'print()',
      'for i in range(21):',
      "    print(f'\\r[{\"#\" * i}{\".\" * (20 - i)}] {i * 5:3d}%', end='', flush=True)",
      '    time.sleep(0.1)',
      'print()',
      '',
      'def divide(a, b):',
      '    return a / b',
      '',
      'divide(1, 0)',
      '',
    ].join('\n'),
  },
  {
    id: 'loop',
    title: 'A loop that never ends',
    description: 'Stop it with Stop or Ctrl-C',
    language: 'python',
    code: "import time\n\ni = 0\nwhile True:\n    i += 1\n    print('tick', i, flush=True)\n    time.sleep(0.5)\n",
  },
];

/** The seed's programs (when the server runs Python) and a hello world per language. */
export function examplesFor(languages: LanguageInfo[]): Example[] {
  const ids = new Set(languages.map((l) => l.id));
  const seed = SEED_EXAMPLES.filter((e) => ids.has(e.language));
  const hellos = languages
    // Python's is the seed's first example already.
    .filter((l) => l.hello && !(l.id === 'python' && seed.some((e) => e.id === 'hello')))
    .map((l) => ({ id: `hello-${l.id}`, title: `Hello world in ${l.name}`, description: l.version ? `${l.name} ${l.version}` : l.name, language: l.id, code: l.hello }));
  return [...seed, ...hellos];
}
