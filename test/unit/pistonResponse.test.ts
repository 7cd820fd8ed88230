/**
 * A judge answer as Piston's execute response (handlers/piston/pistonResponse.ts): which stages it has, and on a
 * compile error `run` being the compile stage, as Piston's api/src/api/v2.js answers (`result.run = result.compile`).
 */
import type { ExecuteResult } from '../../core/judge/executeResult';
import type { RuntimeInfo } from '../../core/protocol';
import { pistonResponse } from '../../handlers/piston/pistonResponse';

const runtime = (language: string, compiled: boolean): RuntimeInfo => ({ language, name: language, version: '1.2.3', aliases: [], compiled, editorMode: language });

const ok: ExecuteResult = { status: 'ok', stdout: 'hi\n', stderr: '', exitCode: 0, signal: null, wallMs: 12, cpuMs: 8, memoryKb: 2048 };
const compileError: ExecuteResult = {
  status: 'compile_error',
  stdout: '',
  stderr: '',
  exitCode: null,
  signal: null,
  wallMs: 0,
  cpuMs: 0,
  memoryKb: 0,
  message: 'the compiler exited with code 1',
  compileOutput: "main.c:1:10: error: expected ')'\n",
};

const cases: Array<[string, RuntimeInfo, ExecuteResult, { compile: boolean; run: 'program' | 'compile' }]> = [
  ['an interpreted language: run only', runtime('python', false), ok, { compile: false, run: 'program' }],
  ['a compiled language that compiled: both, run the program', runtime('c', true), { ...ok, compileOutput: '' }, { compile: true, run: 'program' }],
  ['a compile error: run is the compile stage', runtime('c', true), compileError, { compile: true, run: 'compile' }],
  ['TypeScript that does not transpile: the same', runtime('typescript', false), { ...compileError, compileOutput: 'main.ts:1:5: error: Unexpected token\n' }, { compile: true, run: 'compile' }],
];

const compileTimeout: ExecuteResult = { ...compileError, message: 'the compiler ran out of time: wall time limit of 0.1 s exceeded', compileOutput: '' };

// Piston's api/src/job.js: a stage isolate stopped for time has no exit code, signal SIGKILL and status TO.
const compileStageCases: Array<[string, ExecuteResult, Record<string, unknown>]> = [
  ['the compiler refused the code', compileError, { code: 1, signal: null, status: 'RE', message: compileError.message }],
  ['the compiler ran out of time', compileTimeout, { code: null, signal: 'SIGKILL', status: 'TO', message: compileTimeout.message }],
  ['the compiler succeeded', { ...ok, compileOutput: '' }, { code: 0, signal: null, status: null, message: null }],
];

test.each(compileStageCases)('compile stage: %s', (_name, result, stage) => {
  const r = pistonResponse(runtime('c', true), result) as { compile: Record<string, unknown> };
  expect(r.compile).toMatchObject(stage);
});

test.each(cases)('%s', (_name, info, result, want) => {
  const r = pistonResponse(info, result) as { compile?: Record<string, unknown>; run: Record<string, unknown> };
  expect(r.compile !== undefined).toBe(want.compile);
  if (want.run === 'compile') {
    expect(r.run).toEqual(r.compile);
    expect(r.run).toMatchObject({ code: 1, status: 'RE', stderr: result.compileOutput, output: result.compileOutput, stdout: '' });
  } else {
    expect(r.run).toMatchObject({ stdout: 'hi\n', code: 0, status: null, cpu_time: 8, wall_time: 12, memory: 2048 * 1024 });
  }
});
