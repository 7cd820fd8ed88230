/**
 * The one reader of environment variables, table-driven: each kind read, defaulted and refused, every problem
 * collected and reported together, naming its variable.
 */
import { VARIABLES } from '../../core/config';
import { ConfigError, ConfigReader, type Env, type Variable } from '../../core/configReader';
import { readLimitPolicy } from '../../core/limitPolicy';
import { readLocalSettings } from '../../local/settings';
import { RUN_LIMITS } from '../../core/runLimits';

const INT: Variable = { name: 'N', kind: 'int', min: 2, default: 5, meaning: '' };
const INT_UNSET: Variable = { name: 'N', kind: 'int', min: 0, meaning: '' };
const ENUM: Variable = { name: 'E', kind: 'enum', values: ['auto', 'bwrap', 'uid'], default: 'auto', meaning: '' };
const PAIR: Variable = { name: 'P', kind: 'enum', values: ['oss', 'fs'], default: 'fs', meaning: '' };
const BOOL: Variable = { name: 'B', kind: 'bool', default: false, meaning: '' };
const STRING: Variable = { name: 'S', kind: 'string', default: 'x', meaning: '' };
const STRING_UNSET: Variable = { name: 'S', kind: 'string', meaning: '' };

describe('a value that is valid, unset or empty', () => {
  test.each<[string, Variable, string | undefined, unknown]>([
    ['int', INT, '7', 7],
    ['int at its minimum', INT, '2', 2],
    ['int unset: its default', INT, undefined, 5],
    ['int empty: its default', INT, '', 5],
    ['int without a default, unset', INT_UNSET, undefined, undefined],
    ['int 0 where 0 is allowed', INT_UNSET, '0', 0],
    ['enum', ENUM, 'bwrap', 'bwrap'],
    ['enum unset', ENUM, undefined, 'auto'],
    ['bool 1', BOOL, '1', true],
    ['bool 0', BOOL, '0', false],
    ['bool unset', BOOL, undefined, false],
    ['string', STRING, '/srv/data', '/srv/data'],
    ['string unset', STRING, undefined, 'x'],
    ['string without a default, empty', STRING_UNSET, '', undefined],
  ])('%s', (_label, variable, raw, expected) => {
    const reader = new ConfigReader({ [variable.name]: raw });
    expect(reader.read(variable)).toEqual(expected);
    expect(reader.issues).toEqual([]);
    expect(() => reader.check()).not.toThrow();
  });
});

describe('an invalid value is refused, naming the variable and what it may be', () => {
  test.each<[string, Variable, string, string]>([
    ['int not a number', INT, 'soon', 'N: expected an integer >= 2, got "soon"'],
    ['int below its minimum', INT, '1', 'N: expected an integer >= 2, got "1"'],
    ['int fractional', INT, '2.5', 'N: expected an integer >= 2, got "2.5"'],
    ['int negative', INT_UNSET, '-1', 'N: expected an integer >= 0, got "-1"'],
    ['enum of three', ENUM, 'bwarp', 'E: expected one of auto, bwrap, uid, got "bwarp"'],
    ['enum of two', PAIR, 'tape', 'P: expected "oss" or "fs", got "tape"'],
    ['enum is case-sensitive', ENUM, 'UID', 'E: expected one of auto, bwrap, uid, got "UID"'],
    ['bool spelled out', BOOL, 'true', 'B: expected 0 or 1, got "true"'],
  ])('%s', (_label, variable, raw, message) => {
    const reader = new ConfigReader({ [variable.name]: raw });
    // An invalid value reads as the default, so that reading goes on and finds the other problems.
    expect(reader.read(variable)).toEqual(variable.default);
    expect(() => reader.check()).toThrow(ConfigError);
    expect(() => reader.check()).toThrow(message);
  });
});

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('every problem is reported at once, one line each', () => {
  const reader = new ConfigReader({ ISOLATION: 'bwarp', ALLOW_NETWORK: 'yes', RUN_TIMEOUT_MAX_MS: '50' });
  reader.readAll({ isolation: VARIABLES.isolation, allowNetwork: VARIABLES.allowNetwork });
  readLimitPolicy(reader);
  const error = problemsOf(() => reader.check());
  expect(error.variables).toEqual(['ISOLATION', 'ALLOW_NETWORK', 'RUN_TIMEOUT_MAX_MS']);
  expect(error.message.split('\n')).toEqual([
    'invalid configuration:',
    '  ISOLATION: expected one of auto, bwrap, uid, got "bwarp"',
    '  ALLOW_NETWORK: expected 0 or 1, got "yes"',
    // The smallest timeout a request may ask for is the floor of the configured maximum too.
    '  RUN_TIMEOUT_MAX_MS: expected an integer >= 100, got "50"',
  ]);
});

test('the limit policy: a lower maximum takes the default down with it; a default above the maximum is refused', () => {
  const policyOf = (env: Env) => {
    const reader = new ConfigReader(env);
    const policy = readLimitPolicy(reader);
    reader.check();
    return policy;
  };
  expect(policyOf({ RUN_CPU_MAX_MS: '10000' }).cpuMs).toEqual({ default: 10_000, max: 10_000 });
  expect(policyOf({ RUN_DISK_DEFAULT_BYTES: String(8 << 20) }).diskBytes).toEqual({ default: 8 << 20, max: RUN_LIMITS.diskBytes.max });
  expect(problemsOf(() => policyOf({ RUN_DISK_DEFAULT_BYTES: String(1 << 30) })).message).toBe(
    `RUN_DISK_DEFAULT_BYTES: default ${1 << 30} is above the maximum ${RUN_LIMITS.diskBytes.max} (RUN_DISK_MAX_BYTES)`,
  );
});

describe('the local platform reads its own variables and checks those it passes on', () => {
  test('defaults, and only the handlers\' variables that are set are passed on', () => {
    const settings = readLocalSettings({ RUN_TIMEOUT_MAX_MS: '20000', SANDBOX_MOUNTS: 'off', RUN_FOO: '1', PATH: '/bin' });
    expect(settings).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: './.data', isolation: 'auto', allowNetwork: false, log: false });
    expect(settings.executors).toBeUndefined();
    expect(settings.handlerEnv).toEqual({ RUN_TIMEOUT_MAX_MS: '20000', SANDBOX_MOUNTS: 'off' });
  });

  test('a bad value of either kind stops it, all named together', () => {
    const error = problemsOf(() => readLocalSettings({ EXECUTORS: 'two', PORT: '-1', SANDBOX_PRIVATE_PROC: 'on', RUN_MEMORY_MAX_BYTES: 'lots' }));
    expect(error.variables).toEqual(['PORT', 'EXECUTORS', 'RUN_MEMORY_MAX_BYTES', 'SANDBOX_PRIVATE_PROC']);
    expect(error.message).toContain('SANDBOX_PRIVATE_PROC: expected "auto" or "off", got "on"');
  });
});
