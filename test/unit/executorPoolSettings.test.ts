/** The executor pool's bounds: the memory-bound maximum, and the variables that set them (local/settings.ts). */
import { ConfigError } from '../../core/configReader';
import { poolSettingsOf } from '../../local/platform';
import { EXECUTORS_HARD_MAX, maxExecutorsFor, readLocalSettings } from '../../local/settings';

const GiB = 2 ** 30;

test.each([
  // host memory, MiB per instance, maximum
  [1 * GiB, 128, 4],
  [2 * GiB, 256, 4],
  [8 * GiB, 128, 32],
  [24 * GiB, 128, EXECUTORS_HARD_MAX],
  [256 * 2 ** 20, 512, 1],
])('a host with %i bytes at %i MiB per instance holds at most %i instances', (memory, mib, max) => {
  expect(maxExecutorsFor(memory, mib)).toBe(max);
});

test('the variables: defaults, overrides, and a bad value named', () => {
  expect(readLocalSettings({})).toMatchObject({ executorsMin: 2, executorsSpare: 1, executorIdleMs: 60_000, executorMemoryMib: 128, executorsMax: undefined });
  expect(readLocalSettings({ EXECUTORS_MIN: '5', EXECUTORS_MAX: '9', EXECUTORS_SPARE: '0', EXECUTOR_IDLE_MS: '500', EXECUTOR_MEMORY_MIB: '64' })).toMatchObject({
    executorsMin: 5,
    executorsMax: 9,
    executorsSpare: 0,
    executorIdleMs: 500,
    executorMemoryMib: 64,
  });
  let error: unknown;
  try {
    readLocalSettings({ EXECUTORS_MAX: '0', EXECUTOR_MEMORY_MIB: 'lots' });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).variables).toEqual(['EXECUTORS_MAX', 'EXECUTOR_MEMORY_MIB']);
});

test.each<[string, Parameters<typeof poolSettingsOf>[0], Partial<ReturnType<typeof poolSettingsOf>>]>([
  ['EXECUTORS pins the pool: no scaling, no spare', { executors: 3, executorsMax: 10 }, { min: 3, max: 3, spare: 0 }],
  ['the maximum given', { executorsMin: 4, executorsMax: 8 }, { min: 4, max: 8, spare: 1 }],
  ['a minimum above the maximum is cut to it', { executorsMin: 12, executorsMax: 8 }, { min: 8, max: 8 }],
  ['the maximum from the memory budget', { executorMemoryMib: 1 << 20 }, { min: 1, max: 1 }],
])('%s', (_name, options, expected) => {
  expect(poolSettingsOf(options)).toMatchObject(expected);
});
