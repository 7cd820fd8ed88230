/**
 * The language registry: one file per language beside this one, in the order the page lists them. A name is
 * matched case-insensitively against each language's id and aliases (`py`, `Python`, `c++`, `golang`).
 *
 * To add a language: a file exporting its `Language` (language.ts says what each field means; candidates.ts where
 * tools are looked for), an entry in `ORDER`, and a row in the tests' table (test/integration/languages.test.ts).
 */
import { bash } from './bash';
import { c } from './c';
import { cpp } from './cpp';
import { go } from './go';
import { java } from './java';
import { javascript } from './javascript';
import type { Language } from './language';
import { lua } from './lua';
import { perl } from './perl';
import { php } from './php';
import { python } from './python';
import { ruby } from './ruby';
import { rust } from './rust';
import { typescript } from './typescript';

export type { CommandContext, CompileStep, Language, SourceTransform, SourceTransformName, ToolSpec } from './language';

const ORDER: Language[] = [python, javascript, typescript, c, cpp, java, go, rust, ruby, php, lua, perl, bash];

/** Id → language, in the page's order. */
export const LANGUAGES: ReadonlyMap<string, Language> = new Map(ORDER.map((l) => [l.id, l]));
export const DEFAULT_LANGUAGE = 'python';

const BY_NAME: ReadonlyMap<string, Language> = (() => {
  const names = new Map<string, Language>();
  for (const language of ORDER) {
    for (const name of [language.id, ...language.aliases]) {
      const key = name.toLowerCase();
      const taken = names.get(key);
      if (taken) throw new Error(`languages: ${JSON.stringify(name)} names both ${taken.id} and ${language.id}`);
      names.set(key, language);
    }
  }
  return names;
})();

/** The language an id or alias names, in any case; undefined for anything else. */
export function findLanguage(name: string): Language | undefined {
  return typeof name === 'string' ? BY_NAME.get(name.toLowerCase()) : undefined;
}
