/**
 * Piston's names and versions of pocketrun's runtimes (handlers/piston/pistonRuntimes.ts): TypeScript is listed with
 * the version of the transpiler that does its work (the package the executor ships), with Piston's aliases, and a
 * selector asking for Piston's tsc 5 is refused rather than answered by something else.
 */
import type { RuntimeInfo } from '../../core/protocol';
import { pistonRuntime, resolvePistonRuntime } from '../../handlers/piston/pistonRuntimes';

const sucrase = (require('sucrase/package.json') as { version: string }).version;
const info = (language: string, version: string, aliases: string[]): RuntimeInfo => ({ language, name: language, version, aliases, compiled: false, editorMode: language });
const runtimes = [info('typescript', '20.20.2', ['ts']), info('javascript', '20.20.2', ['js', 'node']), info('cpp', '12.2.0', ['c++'])];

test("TypeScript: the transpiler's version, Piston's aliases, run by node", () => {
  expect(pistonRuntime(runtimes[0])).toEqual({ language: 'typescript', version: sucrase, aliases: expect.arrayContaining(['ts', 'node-ts', 'tsc', 'typescript5', 'ts5']), runtime: 'node' });
  // JavaScript keeps Node's.
  expect(pistonRuntime(runtimes[1]).version).toBe('20.20.2');
});

const resolve: Array<[string, string, string | undefined]> = [
  ['ts5', '*', 'typescript'],
  ['node-ts', '*', 'typescript'],
  ['TSC', '*', 'typescript'],
  ['typescript', sucrase, 'typescript'],
  ['typescript', `^${sucrase.split('.')[0]}`, 'typescript'],
  // Piston's tsc: not what runs here.
  ['typescript', '5.0.3', undefined],
  ['typescript5', '5.x', undefined],
  ['javascript', '20.x', 'javascript'],
  ['c++', '*', 'cpp'],
];

test.each(resolve)('%s %s', (language, version, want) => {
  expect(resolvePistonRuntime(runtimes, language, version)?.language).toBe(want);
});
