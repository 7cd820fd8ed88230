/**
 * Which file Java code must be written to and which class `java` starts, read off the code itself: people paste
 * `public class HelloWorld` as often as `public class Main`, and javac insists that a public top-level class lives
 * in a file of its name. Pure and forgiving: a small scanner (comments, strings, text blocks and character literals
 * skipped; braces counted), not a parser; whatever it cannot tell falls back to `Main`.
 *
 * - The file is named after the public top-level type; without one, after the class that declares `main`.
 * - The entry is the top-level type declaring a `void main(` member, else the public type, else `Main`;
 *   qualified with the `package` declaration, if any (javac -d . puts it in that folder).
 */

export interface JavaSource {
  fileName: string;
  entry: string;
}

type Token = { kind: 'word'; text: string } | { kind: 'punct'; text: string };

const IDENTIFIER_START = /[\p{L}\p{Nl}_$]/u;
const IDENTIFIER_PART = /[\p{L}\p{Nl}\p{Nd}\p{Mn}\p{Mc}\p{Pc}$]/u;
/** A class name becomes a file name: keep it well inside NAME_MAX (255 bytes). */
const MAX_NAME_LENGTH = 100;
const TYPE_KEYWORDS = new Set(['class', 'interface', 'enum', 'record']);

function tokens(code: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = code.length;
  while (i < n) {
    const ch = code[i];
    if (ch === '/' && code[i + 1] === '/') {
      while (i < n && code[i] !== '\n') i++;
    } else if (ch === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (code.startsWith('"""', i)) {
      i += 3;
      while (i < n && !code.startsWith('"""', i)) i += code[i] === '\\' ? 2 : 1;
      i += 3;
    } else if (ch === '"' || ch === "'") {
      i++;
      while (i < n && code[i] !== ch && code[i] !== '\n') i += code[i] === '\\' ? 2 : 1;
      i++;
    } else if (IDENTIFIER_START.test(ch)) {
      let j = i + 1;
      while (j < n && IDENTIFIER_PART.test(code[j])) j++;
      out.push({ kind: 'word', text: code.slice(i, j) });
      i = j;
    } else {
      if ('{}();@.'.includes(ch)) out.push({ kind: 'punct', text: ch });
      i++;
    }
  }
  return out;
}

interface TopLevelType {
  name: string;
  isPublic: boolean;
  hasMain: boolean;
}

export function javaSource(code: string): JavaSource {
  const toks = tokens(code);
  const types: TopLevelType[] = [];
  let pkg: string | null = null;
  let depth = 0;
  let parens = 0;
  /** Words since the last boundary at the current level: the modifiers of what comes next. */
  let modifiers: string[] = [];
  let current: TopLevelType | null = null;
  let pending: TopLevelType | null = null;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.kind === 'punct') {
      if (t.text === '(') {
        parens++;
        // A member `… void main(` directly inside a top-level type (static, or an instance main as Java 25 allows).
        const prev = toks[k - 1];
        if (current && depth === 1 && prev?.text === 'main' && modifiers.includes('void')) current.hasMain = true;
      } else if (t.text === ')') {
        parens = Math.max(0, parens - 1);
      } else if (parens > 0) {
        continue;
      } else if (t.text === '{') {
        depth++;
        if (depth === 1 && pending) {
          current = pending;
          types.push(current);
          pending = null;
        }
        modifiers = [];
      } else if (t.text === '}') {
        depth = Math.max(0, depth - 1);
        if (depth === 0) current = null;
        modifiers = [];
      } else if (t.text === ';') {
        modifiers = [];
      }
      continue;
    }
    if (parens > 0) continue;
    if (depth === 0 && t.text === 'package' && !pkg && types.length === 0) {
      const parts: string[] = [];
      for (let j = k + 1; j < toks.length && toks[j].text !== ';'; j++) if (toks[j].kind === 'word') parts.push(toks[j].text);
      if (parts.length > 0) pkg = parts.join('.');
    }
    if (depth === 0 && TYPE_KEYWORDS.has(t.text) && toks[k + 1]?.kind === 'word' && toks[k - 1]?.text !== '.') {
      const name = toks[k + 1].text;
      if (name.length <= MAX_NAME_LENGTH) pending = { name, isPublic: modifiers.includes('public'), hasMain: false };
      k++;
      continue;
    }
    modifiers.push(t.text);
  }
  const publicType = types.find((t) => t.isPublic);
  const mainType = types.find((t) => t.hasMain);
  const fileClass = publicType ?? mainType ?? types[0];
  const entryClass = mainType ?? publicType ?? types[0];
  const fileName = `${fileClass?.name ?? 'Main'}.java`;
  const entry = entryClass?.name ?? 'Main';
  return { fileName, entry: pkg ? `${pkg}.${entry}` : entry };
}
