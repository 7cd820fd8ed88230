/** Piston's execute body → a judge request: what it refuses, in Piston's words, naming the field. */
import { ApiError } from '../../core/apiError';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import type { RuntimeInfo } from '../../core/protocol';
import { parsePistonExecute } from '../../handlers/piston/pistonExecuteRequest';

const policy = limitPolicyFromEnv({});
const PYTHON: RuntimeInfo = { language: 'python', name: 'Python', version: '3.11.2', aliases: ['py'], compiled: false, editorMode: 'python' };
const job = (extra: Record<string, unknown>) => ({ language: 'python', version: '*', files: [{ content: 'print(1)' }], ...extra });

function refusal(body: unknown, runtimes: RuntimeInfo[] = [PYTHON]): string {
  try {
    parsePistonExecute(body, runtimes, policy);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    return (err as ApiError).message;
  }
  throw new Error('taken');
}

test.each<[string, Record<string, unknown>, RegExp]>([
  ['an argument with a NUL (exec cannot pass it)', { args: ['a', 'b\0c'] }, /^args\[1\] must not contain NUL$/],
  ['an argument over 4 KiB', { args: ['x'.repeat(L.MAX_ARG_BYTES + 1)] }, /^args\[0\] longer than/],
  ['an argument that is no string', { args: ['a', 5] }, /^args\[1\] must be a string$/],
  ['args that are no array', { args: 'a b' }, /^args must be an array of strings$/],
])('%s: refused', (_name, extra, message) => {
  expect(refusal(job(extra))).toMatch(message);
});

test.each<[string, Record<string, unknown>, RegExp]>([
  ['stdin', { stdin: 5 }, /^stdin must be a string/],
  ['args', { args: [1] }, /^args\[0\] must be a string/],
  ['run_timeout', { run_timeout: -5 }, /^run_timeout must be a positive number/],
  ['compile_memory_limit', { compile_memory_limit: 'lots' }, /^compile_memory_limit must be a number/],
])('a bad %s is named whether or not the runtime exists here', (_name, extra, message) => {
  expect(refusal(job(extra), [])).toMatch(message);
  expect(refusal(job(extra))).toMatch(message);
});

test('a well-formed job for a runtime that is not here: unknown, in Piston\'s words', () => {
  expect(refusal(job({}), [])).toBe('python-* runtime is unknown');
});
