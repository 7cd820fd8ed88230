/**
 * Judge0 CE's language ids for the languages pocketrun has, resolved to the registry (core/languages). Judge0's
 * clients hard-code ids, so every id they may send for one of these languages works: Judge0 CE 1.13's own (71
 * Python, 50 C, …), its older compilers of the same language (48/49 C, 52/53 C++, 75/76 Clang), and the newer ids
 * the hosted CE (ce.judge0.com) added for newer toolchains (92/100/109 Python, 93/102 JavaScript, …). Each id names
 * pocketrun's one toolchain of that language, with its real version: an id is a language here, not a version.
 */
import type { RuntimeInfo } from '../../core/protocol';

export interface Judge0Language {
  id: number;
  /** The registry's language id. */
  language: string;
  /** Judge0's name before the version: `Python`, `JavaScript (Node.js`, closed by judge0LanguageName. */
  label: string;
}

/** Judge0's label of each pocketrun language; JavaScript and TypeScript name Node's version as Judge0 does for JS. */
const LABELS: Record<string, string> = {
  python: 'Python',
  javascript: 'JavaScript (Node.js',
  typescript: 'TypeScript (Node.js',
  c: 'C',
  cpp: 'C++',
  java: 'Java',
  bash: 'Bash',
  go: 'Go',
  rust: 'Rust',
  ruby: 'Ruby',
  php: 'PHP',
  lua: 'Lua',
  perl: 'Perl',
};

/** Id → pocketrun language: 1.13's ids first, then the hosted CE's newer ones for the same languages. */
const IDS: ReadonlyArray<[number, string]> = [
  // Judge0 CE 1.13
  [71, 'python'], [63, 'javascript'], [74, 'typescript'], [50, 'c'], [54, 'cpp'], [62, 'java'], [46, 'bash'],
  [60, 'go'], [73, 'rust'], [72, 'ruby'], [68, 'php'], [64, 'lua'], [85, 'perl'],
  // 1.13's other compilers of C and C++ (GCC 7.4 and 8.3, Clang 7)
  [48, 'c'], [49, 'c'], [75, 'c'], [52, 'cpp'], [53, 'cpp'], [76, 'cpp'],
  // The hosted CE's newer toolchains
  [91, 'java'], [92, 'python'], [93, 'javascript'], [94, 'typescript'], [95, 'go'], [98, 'php'],
  [100, 'python'], [101, 'typescript'], [102, 'javascript'], [103, 'c'], [104, 'c'], [105, 'cpp'],
  [106, 'go'], [107, 'go'], [108, 'rust'], [109, 'python'], [110, 'c'],
];

export const JUDGE0_LANGUAGES: readonly Judge0Language[] = IDS.map(([id, language]) => ({ id, language, label: LABELS[language] }));

const BY_ID = new Map(JUDGE0_LANGUAGES.map((l) => [l.id, l]));

export function findJudge0Language(id: number): Judge0Language | undefined {
  return BY_ID.get(id);
}

/** Judge0's form of a name, `Python (3.11.2)`, `JavaScript (Node.js 20.19.0)`, with the executors' real version. */
export function judge0LanguageName(language: Judge0Language, runtime: RuntimeInfo): string {
  return language.label.includes('(') ? `${language.label} ${runtime.version})` : `${language.label} (${runtime.version})`;
}

/** The id a run of a pocketrun language reports back when nothing recorded the one it was sent with: 1.13's. */
export function primaryJudge0Id(language: string): number | undefined {
  return JUDGE0_LANGUAGES.find((l) => l.language === language)?.id;
}
