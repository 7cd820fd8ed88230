import { ApiError } from '../../core/apiError';
import { ConfigError } from '../../core/configReader';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import type { RunLimits } from '../../core/protocol';
import { RUN_LIMITS } from '../../core/runLimits';
import { parseCreateRun, parseInput, parseOutputQuery } from '../../core/validate';

const policy = limitPolicyFromEnv({});

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

test('defaults: python, no args, default limits, 80x24', () => {
  expect(parseCreateRun({ code: 'print(1)' }, policy)).toEqual({
    language: 'python',
    code: 'print(1)',
    args: [],
    cols: 80,
    rows: 24,
    stdin: '',
    limits: {
      timeoutMs: RUN_LIMITS.timeoutMs.default,
      outputBytes: RUN_LIMITS.outputBytes.default,
      memoryBytes: RUN_LIMITS.memoryBytes.default,
      cpuMs: RUN_LIMITS.cpuMs.default,
      processes: RUN_LIMITS.processes.default,
      fileBytes: RUN_LIMITS.fileBytes.default,
      openFiles: RUN_LIMITS.openFiles.default,
      diskBytes: RUN_LIMITS.diskBytes.default,
    },
  });
});

test.each<[string, number, number]>([
  ['timeoutMs', 10 ** 12, RUN_LIMITS.timeoutMs.max],
  ['outputBytes', 10 ** 12, RUN_LIMITS.outputBytes.max],
  ['memoryBytes', 10 ** 12, RUN_LIMITS.memoryBytes.max],
  ['processes', 10 ** 6, RUN_LIMITS.processes.max],
  ['timeoutMs', 1500, 1500],
])('limits.%s = %d is clamped to %d', (name, asked, got) => {
  expect(parseCreateRun({ code: '', limits: { [name]: asked } }, policy).limits[name as keyof RunLimits]).toBe(got);
});

test('the configured maximum wins over the built-in one', () => {
  const tight = limitPolicyFromEnv({ RUN_TIMEOUT_MAX_MS: '5000' });
  expect(tight.timeoutMs).toEqual({ default: 5000, max: 5000 });
  expect(parseCreateRun({ code: '', limits: { timeoutMs: 60_000 } }, tight).limits.timeoutMs).toBe(5000);
});

test.each<[Record<string, string>, RegExp]>([
  [{ RUN_TIMEOUT_MAX_MS: 'soon' }, /RUN_TIMEOUT_MAX_MS: expected an integer/],
  [{ RUN_TIMEOUT_DEFAULT_MS: '9000', RUN_TIMEOUT_MAX_MS: '5000' }, /RUN_TIMEOUT_DEFAULT_MS: default 9000 is above the maximum/],
  [{ RUN_OUTPUT_MAX_BYTES: '0' }, /RUN_OUTPUT_MAX_BYTES/],
])('bad limit configuration %j is refused naming the variable', (env, message) => {
  expect(() => limitPolicyFromEnv(env)).toThrow(ConfigError);
  expect(() => limitPolicyFromEnv(env)).toThrow(message);
});

test.each<[string, () => unknown, number, RegExp]>([
  ['input data missing', () => parseInput({}), 400, /^data: is required/],
  ['input data empty', () => parseInput({ data: '' }), 400, /^data: must not be empty/],
  ['input data wrong type', () => parseInput({ data: 5 }), 400, /^data: expected a string/],
  ['input data too big', () => parseInput({ data: 'x'.repeat(L.MAX_INPUT_CHUNK_BYTES + 1) }), 413, /^data: larger/],
  ['code with multibyte chars over the cap', () => parseCreateRun({ code: '你'.repeat(22_000) }, policy), 413, /^code: larger/],
  ['NUL in an argument', () => parseCreateRun({ code: '', args: ['a\0b'] }, policy), 400, /^args\[0\]: must not contain NUL/],
  ['too many arguments', () => parseCreateRun({ code: '', args: Array(L.MAX_ARGS + 1).fill('a') }, policy), 400, /^args: at most/],
  ['cols too small', () => parseCreateRun({ code: '', cols: 1 }, policy), 400, /^cols: must be at least/],
  ['offset not a number', () => parseOutputQuery(new URLSearchParams('offset=abc')), 400, /^offset:/],
])('%s', (_name, fn, status, message) => {
  const err = errorOf(fn);
  expect(err.status).toBe(status);
  expect(err.message).toMatch(message);
});

test('waitMs is capped at the long-poll maximum', () => {
  expect(parseOutputQuery(new URLSearchParams('waitMs=999999999')).waitMs).toBe(L.MAX_LONG_POLL_MS);
});
