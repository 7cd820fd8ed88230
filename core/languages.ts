/**
 * The language registry. Interpreter paths are candidates, tried in order by the executor (which checks the
 * sandbox uid can execute them): FC's runtime folders first, then Debian's own, never anything under a home.
 */

export interface Language {
  id: string;
  /** Name shown to users. */
  name: string;
  /** Source file the code is written to, inside the run's folder. */
  fileName: string;
  /** Interpreter or compiler-driver candidates, first usable wins. */
  candidates: string[];
  /** Command line after the interpreter path; `memoryBytes` is the run's memory limit. */
  args(fileName: string, userArgs: string[], memoryBytes: number): string[];
  /**
   * Address space the runtime reserves beyond what it uses (V8 maps about 700 MiB of ranges at start): added to
   * the run's memory limit for RLIMIT_AS, while the runtime's own heap limit enforces the run's figure.
   */
  addressSpaceOverheadBytes: number;
  /** Extra environment for the program. */
  env: Record<string, string>;
  /** Output that means the program died for lack of memory (its address-space limit), checked on a failed exit. */
  memoryErrorPatterns: RegExp[];
}

const MiB = 1024 * 1024;

const python: Language = {
  id: 'python',
  name: 'Python 3',
  fileName: 'main.py',
  candidates: ['/var/fc/lang/python3.10/bin/python3', '/usr/bin/python3', '/usr/local/bin/python3'],
  // -I: isolated mode, so no user site-packages or PYTHON* variables steer the interpreter.
  args: (fileName, userArgs) => ['-I', fileName, ...userArgs],
  addressSpaceOverheadBytes: 0,
  env: { PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1' },
  memoryErrorPatterns: [/\bMemoryError\b/, /Cannot allocate memory/],
};

const node: Language = {
  id: 'javascript',
  name: 'JavaScript (Node.js)',
  fileName: 'main.js',
  candidates: ['/var/fc/lang/nodejs20/bin/node', '/usr/bin/node', '/usr/local/bin/node'],
  // The heap limit is the run's memory limit; RLIMIT_AS gets V8's reservations on top (see below).
  args: (fileName, userArgs, memoryBytes) => [`--max-old-space-size=${Math.max(16, Math.floor(memoryBytes / MiB))}`, fileName, ...userArgs],
  addressSpaceOverheadBytes: 1024 * MiB,
  env: {},
  memoryErrorPatterns: [/JavaScript heap out of memory/, /Cannot allocate memory/],
};

const bash: Language = {
  id: 'bash',
  name: 'Bash',
  fileName: 'main.sh',
  candidates: ['/bin/bash', '/usr/bin/bash'],
  args: (fileName, userArgs) => [fileName, ...userArgs],
  addressSpaceOverheadBytes: 0,
  env: {},
  memoryErrorPatterns: [/Cannot allocate memory/],
};

export const LANGUAGES: ReadonlyMap<string, Language> = new Map([python, node, bash].map((l) => [l.id, l]));
export const DEFAULT_LANGUAGE = 'python';

export function findLanguage(id: string): Language | undefined {
  return LANGUAGES.get(id);
}
