/**
 * The one clamp, in both of its modes, against the one table: the API refuses what no run may have (a 400 naming
 * `limits.<name>`), the executor repairs it (a manifest is data from storage, and there is nobody to answer).
 */
import { ApiError } from '../../core/apiError';
import { clampLimits } from '../../core/clampLimits';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import { RUN_LIMIT_NAMES, RUN_LIMITS, type RunLimitName } from '../../core/runLimits';

const policy = limitPolicyFromEnv({ RUN_TIMEOUT_MAX_MS: '20000' });
const refuse = { onInvalid: 'refuse' } as const;
const repair = { onInvalid: 'repair' } as const;
const defaults = Object.fromEntries(RUN_LIMIT_NAMES.map((name) => [name, policy[name].default]));

function refusal(requested: unknown): ApiError {
  try {
    clampLimits(requested, policy, refuse);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

test.each(RUN_LIMIT_NAMES)('%s: both modes agree on what is valid: missing, at the minimum, above the maximum', (name: RunLimitName) => {
  const { min } = RUN_LIMITS[name];
  const { max } = policy[name];
  for (const mode of [refuse, repair]) {
    expect(clampLimits({}, policy, mode)[name]).toBe(policy[name].default);
    expect(clampLimits({ [name]: null }, policy, mode)[name]).toBe(policy[name].default);
    expect(clampLimits({ [name]: min }, policy, mode)[name]).toBe(min);
    expect(clampLimits({ [name]: max + 1 }, policy, mode)[name]).toBe(max);
  }
});

test.each(RUN_LIMIT_NAMES.filter((name) => RUN_LIMITS[name].min > 0))('%s below its minimum: refused by the API, raised by the executor', (name) => {
  const { min } = RUN_LIMITS[name];
  const error = refusal({ [name]: min - 1 });
  expect(error.status).toBe(400);
  expect(error.message).toBe(`limits.${name}: must be at least ${min}`);
  expect(clampLimits({ [name]: min - 1 }, policy, repair)[name]).toBe(min);
});

test.each<[string, unknown, RegExp, Record<string, number>]>([
  ['a string', { timeoutMs: 'soon' }, /^limits\.timeoutMs: expected an integer$/, defaults],
  ['a fraction', { memoryBytes: 20_000_000.5 }, /^limits\.memoryBytes: expected an integer$/, defaults],
  ['NaN', { cpuMs: NaN }, /^limits\.cpuMs: expected an integer$/, defaults],
  ['an unknown limit', { gpus: 1 }, /^limits\.gpus: unknown limit$/, defaults],
  ['a name from the prototype', { toString: 1 }, /^limits\.toString: unknown limit$/, defaults],
  ['not an object', [1, 2], /^limits: expected an object$/, defaults],
  ['a number for the object', 5, /^limits: expected an object$/, defaults],
])('%s: refused by the API, the default (or ignored) in the executor', (_label, requested, message, repaired) => {
  expect(refusal(requested).message).toMatch(message);
  expect(clampLimits(requested, policy, repair)).toEqual(repaired);
});

test('the configured policy is what both clamp to', () => {
  expect(clampLimits({ timeoutMs: 60_000 }, policy, refuse).timeoutMs).toBe(20_000);
  expect(clampLimits({ timeoutMs: 60_000 }, policy, repair).timeoutMs).toBe(20_000);
});
