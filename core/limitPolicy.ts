/**
 * The limit policy a deployment runs with: per limit, what a run gets by default and the most it may ask for.
 * Built-in values come from `RUN_LIMITS`; a configurable limit takes its variables from the environment, each a
 * whole number no smaller than the limit's minimum, the default no larger than the maximum.
 */
import { ConfigReader, type Env } from './configReader';
import { configurableLimits, RUN_LIMIT_NAMES, RUN_LIMITS, type RunLimitName, type RunLimitSpec } from './runLimits';

export type LimitPolicy = { [K in RunLimitName]: { default: number; max: number } };

/** Reads the policy's variables into `reader` (problems are recorded there, with the reader's others). */
export function readLimitPolicy(reader: ConfigReader): LimitPolicy {
  return Object.fromEntries(
    RUN_LIMIT_NAMES.map((name) => {
      const spec: RunLimitSpec = RUN_LIMITS[name];
      if (!spec.configurable) return [name, { default: spec.default, max: spec.max }];
      const { env } = spec.configurable;
      const meaning = `run limit ${name}`;
      const max = reader.read({ name: env.max, kind: 'int', min: spec.min, default: spec.max, meaning });
      // A maximum configured below the built-in default lowers the default with it.
      const def = reader.read({ name: env.default, kind: 'int', min: spec.min, default: Math.min(spec.default, max), meaning });
      if (def > max) reader.fail(env.default, `default ${def} is above the maximum ${max} (${env.max})`);
      return [name, { default: def, max }];
    }),
  ) as LimitPolicy;
}

/** The policy alone, from an environment; throws a `ConfigError` naming every bad variable. */
export function limitPolicyFromEnv(env: Env): LimitPolicy {
  const reader = new ConfigReader(env);
  const policy = readLimitPolicy(reader);
  reader.check();
  return policy;
}

/** Every variable `readLimitPolicy` reads. */
export function limitPolicyVariables(): string[] {
  return configurableLimits().flatMap(({ configurable }) => [configurable.env.default, configurable.env.max]);
}
