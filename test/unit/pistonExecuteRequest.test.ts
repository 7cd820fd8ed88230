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

/** A data file's bytes in each of Piston's encodings, as the judge request carries them (text, exact bytes beside where not UTF-8). */
const binary = Buffer.from([0x00, 0xff, 0x80, 0x0a]);
const asFile = (content: string, encoding?: string) => job({ files: [{ content: 'print(1)' }, { name: 'data.bin', content, ...(encoding ? { encoding } : {}) }] });
test.each<[string, Record<string, unknown>, Record<string, unknown>]>([
  ['base64 that is not UTF-8', asFile(binary.toString('base64'), 'base64'), { name: 'data.bin', content: binary.toString('utf8'), contentBase64: binary.toString('base64') }],
  ['hex that is not UTF-8', asFile(binary.toString('hex'), 'hex'), { name: 'data.bin', content: binary.toString('utf8'), contentBase64: binary.toString('base64') }],
  ['base64 line-wrapped', asFile('AP+A\nCg==', 'base64'), { name: 'data.bin', content: binary.toString('utf8'), contentBase64: binary.toString('base64') }],
  ['base64 that is UTF-8', asFile(Buffer.from('é').toString('base64'), 'base64'), { name: 'data.bin', content: 'é' }],
  ['utf8', asFile('AP+A', 'utf8'), { name: 'data.bin', content: 'AP+A' }],
])('a file in %s', (_name, body, file) => {
  expect(parsePistonExecute(body, [PYTHON], policy).request.files).toEqual([file]);
});

test.each<[string, Record<string, unknown>, RegExp]>([
  ['base64 with a stray character', asFile('AP8*', 'base64'), /^files\[1\]\.content is not valid base64$/],
  ['hex of odd length', asFile('abc', 'hex'), /^files\[1\]\.content is not valid hex$/],
  ['an unknown encoding', asFile('x', 'latin1'), /^files\[1\]\.encoding must be one of utf8, base64, hex$/],
])('a file in %s: refused', (_name, body, message) => {
  expect(refusal(body)).toMatch(message);
});

test('the files cap counts decoded bytes', () => {
  const fill = (n: number) => Buffer.alloc(n, 0xff).toString('base64');
  const under = asFile(fill(L.MAX_CODE_BYTES - 'print(1)'.length), 'base64');
  expect(parsePistonExecute(under, [PYTHON], policy).request.files[0].contentBase64).toBeDefined();
  expect(() => parsePistonExecute(asFile(fill(L.MAX_CODE_BYTES), 'base64'), [PYTHON], policy)).toThrow(/the files together are larger than 65536 bytes/);
});
