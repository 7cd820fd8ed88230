/**
 * The layers, read off the import lines of every file of core/ and adapters/: the core imports no adapter, no
 * cloud SDK, no node-pty and no fs; storage stands alone; the sandbox builds on process spawning, never the
 * other way round.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

/** Which layers each layer may import from (packages aside). */
const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  'adapters/storage': ['core', 'adapters/storage'],
  'adapters/process': ['core', 'adapters/process'],
  'adapters/sandbox': ['core', 'adapters/process', 'adapters/sandbox'],
};
const LAYERS = Object.keys(ALLOWED);

/** Packages the core must not import: the file system, node-pty, cloud SDKs. */
const CORE_FORBIDDEN = /^(node:)?fs(\/|$)|^(@lydell\/)?node-pty(\/|$)|^ali-oss(\/|$)|^@alicloud\/|^@pulumi\/|^@?aws-sdk/;

interface Arrow {
  from: string;
  /** A repository path without extension for the project's own files, else the package name as written. */
  to: string;
  own: boolean;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(rel);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [rel] : [];
  });
}

/** Every module a file names: static imports and re-exports (type-only included), require() and import(). */
function importsOf(text: string): string[] {
  const patterns = [
    /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]));
}

function arrowsOf(from: string, text: string): Arrow[] {
  return importsOf(text).map((spec) =>
    spec.startsWith('.')
      ? { from, to: path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)), own: true }
      : { from, to: spec, own: false },
  );
}

/** The layer of a repository path: the longest layer folder holding it, else its top folder. */
function layerOf(rel: string): string {
  const layers = LAYERS.filter((layer) => rel.startsWith(`${layer}/`)).sort((a, b) => b.length - a.length);
  return layers[0] ?? rel.split('/')[0];
}

function violations(arrows: Arrow[]): Arrow[] {
  return arrows.filter((arrow) => {
    const from = layerOf(arrow.from);
    if (arrow.own) return !ALLOWED[from].includes(layerOf(arrow.to));
    return from === 'core' && CORE_FORBIDDEN.test(arrow.to);
  });
}

const files = [...sourceFiles('core'), ...sourceFiles('adapters')];
const arrows = files.flatMap((file) => arrowsOf(file, fs.readFileSync(path.join(ROOT, file), 'utf8')));

describe('layering', () => {
  test('the import lines are read: multi-line, type-only, re-exports, require() and import()', () => {
    const text = "import {\n  a,\n  type B,\n} from './x';\nimport type { C } from '../y';\nexport { d } from './z';\nconst m = require('m') as typeof import('n');";
    expect(arrowsOf('adapters/process/p.ts', text).map((a) => a.to)).toEqual(['adapters/process/x', 'adapters/y', 'adapters/process/z', 'm', 'n']);
    expect(arrows).toContainEqual({ from: 'adapters/sandbox/sandbox.ts', to: 'adapters/process/systemTools', own: true });
    expect(arrows).toContainEqual({ from: 'adapters/process/ptySpawner.ts', to: '@lydell/node-pty', own: false });
    expect(arrows.filter((a) => a.from.startsWith('core/')).length).toBeGreaterThan(10);
  });

  test('what a wrong arrow looks like is caught', () => {
    const wrong: Arrow[] = [
      { from: 'adapters/process/ptySpawner.ts', to: 'adapters/sandbox/runHead', own: true },
      { from: 'adapters/storage/fsStore.ts', to: 'adapters/process/procfs', own: true },
      { from: 'adapters/storage/fsStore.ts', to: 'adapters/sandbox/sandbox', own: true },
      { from: 'core/run.ts', to: 'adapters/storage/memoryStore', own: true },
      { from: 'core/run.ts', to: 'handlers/http', own: true },
      { from: 'core/run.ts', to: 'node:fs', own: false },
      { from: 'core/run.ts', to: 'fs/promises', own: false },
      { from: 'core/run.ts', to: '@lydell/node-pty', own: false },
      { from: 'core/run.ts', to: 'ali-oss', own: false },
      { from: 'adapters/sandbox/sandbox.ts', to: 'local/uidBlock', own: true },
    ];
    expect(violations(wrong)).toEqual(wrong);
    expect(violations([{ from: 'adapters/sandbox/sandbox.ts', to: 'adapters/process/systemTools', own: true }])).toEqual([]);
  });

  test('every adapter lives in one of the three folders', () => {
    expect(sourceFiles('adapters').filter((f) => !LAYERS.includes(layerOf(f)))).toEqual([]);
  });

  test('no arrow process → sandbox, storage → process or sandbox, core → adapters; the core imports no fs, node-pty or SDK', () => {
    expect(violations(arrows)).toEqual([]);
  });
});
