import { javascript } from './javascript';
import { fixedSource, type Language } from './language';

/**
 * Run by Node on the executor's own transpilation (core/transpileTypeScript.ts: types removed, lines kept, no type
 * check, as `tsx` does), so a type error never blocks a run and a run costs what a JavaScript one does. The file
 * keeps its `.ts` name (Node 20 loads an unknown extension as CommonJS), so traces say `main.ts:<the user's line>`.
 */
export const typescript: Language = {
  ...javascript,
  id: 'typescript',
  name: 'TypeScript',
  aliases: ['ts'],
  editorMode: 'typescript',
  source: fixedSource('main.ts'),
  transform: 'typescript',
  helloWorld: "const greeting: string = 'Hello, World!';\nconsole.log(greeting);\n",
};
