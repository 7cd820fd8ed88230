/**
 * TypeScript → JavaScript for the `typescript` language, in the executor itself, once per run, before the file is
 * written: sucrase (pure JavaScript, no I/O, never evaluates what it transforms) removes the types and turns
 * `import`/`export` into CommonJS, without type checking (a type error never blocks a run, as with `tsx`) and
 * keeping every statement on its line, so Node's traces point at the user's lines. Modern syntax is left as it is
 * (Node 20 runs it). About 1 ms per run after a 40 ms load, against 160 ms + 45 ms for typescript's own
 * `transpileModule`, which also moves lines.
 *
 * Only the executor imports this (handlers/executor.ts hands it to runs as `transforms.typescript`), so the API
 * bundle stays without it; scripts/bundles.js ships sucrase beside the executor's index.js.
 */
import type { SourceTransform } from './languages';

let sucrase: typeof import('sucrase') | null = null;

/**
 * Loads sucrase (about 40 ms) on first use, not with the executor: a cold start that runs no TypeScript does not
 * pay for it, and the executor warms it up once its runtime probe is through.
 */
export function loadTypeScriptTranspiler(): typeof import('sucrase') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sucrase ??= require('sucrase') as typeof import('sucrase');
  return sucrase;
}

export const transpileTypeScript: SourceTransform = (code, fileName) => {
  try {
    return { code: loadTypeScriptTranspiler().transform(code, { transforms: ['typescript', 'imports'], disableESTransforms: true, filePath: fileName }).code };
  } catch (err) {
    // What a compiler prints: `main.ts:2:10: error: Unexpected token`, the line, a caret under the column.
    const loc = (err as { loc?: { line: number; column: number } }).loc;
    const message = (err instanceof Error ? err.message : String(err)).replace(/^Error transforming [^:]*: /, '').replace(/ \(\d+:\d+\)$/, '');
    if (!loc) return { error: `${fileName}: error: ${message}\n` };
    const line = code.split('\n')[loc.line - 1] ?? '';
    // sucrase counts columns from 1.
    return { error: `${fileName}:${loc.line}:${loc.column}: error: ${message}\n${line}\n${' '.repeat(Math.max(0, loc.column - 1))}^\n` };
  }
};
