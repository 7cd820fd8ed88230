/**
 * The run limits table holds together: every default within its bounds, every stack key convertible without a
 * remainder, every name (limit, variable, stack key) given once.
 */
import { VARIABLES } from '../../core/config';
import { configurableLimits, RUN_LIMIT_NAMES, RUN_LIMITS, STACK_UNITS } from '../../core/runLimits';
import { CONFIG_KEYS } from '../../infra/config';

test.each(RUN_LIMIT_NAMES)('%s: 0 <= min <= default <= max, whole numbers', (name) => {
  const { min, default: def, max } = RUN_LIMITS[name];
  for (const value of [min, def, max]) expect(Number.isSafeInteger(value)).toBe(true);
  expect(0).toBeLessThanOrEqual(min);
  expect(min).toBeLessThanOrEqual(def);
  expect(def).toBeLessThanOrEqual(max);
});

test.each(configurableLimits().map((c) => [c.name, c]))('%s: its stack keys are in a unit of its own, the built-in values whole in it', (_name, { spec, configurable }) => {
  const unit = STACK_UNITS[configurable.stack.unit];
  expect(unit.of).toBe(spec.unit);
  expect(spec.default % unit.factor).toBe(0);
  expect(spec.max % unit.factor).toBe(0);
  expect(spec.max / unit.factor).toBeLessThanOrEqual(configurable.stack.ceiling);
  expect(configurable.env.default).toMatch(/^RUN_[A-Z]+_DEFAULT_(MS|BYTES)$/);
  expect(configurable.env.max).toBe(configurable.env.default.replace('_DEFAULT_', '_MAX_'));
});

test('every environment variable and stack key is named once', () => {
  const limitVariables = configurableLimits().flatMap((c) => [c.configurable.env.default, c.configurable.env.max]);
  const variables = [...Object.values(VARIABLES).map((v) => v.name), ...limitVariables];
  expect(new Set(variables).size).toBe(variables.length);
  const stackKeys = configurableLimits().flatMap((c) => [c.configurable.stack.default, c.configurable.stack.max]);
  expect(new Set(stackKeys).size).toBe(stackKeys.length);
  for (const key of stackKeys) expect(Object.keys(CONFIG_KEYS)).toContain(key);
});
