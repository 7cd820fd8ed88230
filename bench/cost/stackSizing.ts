/**
 * The two functions' sizes and the buckets' lifecycle days the cost model prices, from the Pulumi program itself:
 * `parseStackConfig` (infra/config.ts) gives its defaults, or a stack file's values when one is given, and the
 * functions' disk size is what `customRuntimeFunctionArgs` (infra/customRuntime.ts) sets. Nothing is re-typed.
 */
import { parseStackConfig, type RawStackConfig } from '../../infra/config';
import { API_DISK_MB } from '../../infra/customRuntime';

export interface FunctionSizing {
  memoryMb: number;
  cpu: number;
  diskMb: number;
}

export interface StackSizing {
  stack: string;
  region: string;
  api: FunctionSizing & { instanceConcurrency: number };
  executor: FunctionSizing;
  runsLifecycleDays: number;
  codeLifecycleDays: number;
}

/** The region the defaults are priced in when no stack file is given (the stacks in this repository use it). */
export const DEFAULT_REGION = 'cn-hangzhou';

/** `pocketrun:<key>: <value>` lines of a Pulumi.<stack>.yaml (flat keys only; lists and comments are skipped). */
export function parseStackFile(text: string): RawStackConfig {
  const raw: RawStackConfig = {};
  for (const line of text.split('\n')) {
    const match = /^\s+pocketrun:([A-Za-z]+):\s*(.*?)\s*$/.exec(line);
    if (!match || match[2] === '') continue;
    raw[match[1]] = match[2].replace(/^"(.*)"$/, '$1');
  }
  return raw;
}

/**
 * A stack that requires a token keeps it as a secret outside its file; whether one is required changes nothing a run
 * costs, so it is not asked for here.
 */
const NOT_PRICED = ['requireApiToken'];

export function stackSizing(stack = 'defaults', raw: RawStackConfig = { region: DEFAULT_REGION }): StackSizing {
  const priced = Object.fromEntries(Object.entries(raw).filter(([key]) => !NOT_PRICED.includes(key)));
  const config = parseStackConfig(priced, { stack });
  return {
    stack,
    region: config.region,
    api: { memoryMb: config.api.memoryMb, cpu: config.api.cpu, diskMb: API_DISK_MB, instanceConcurrency: config.api.instanceConcurrency },
    executor: { memoryMb: config.executor.memoryMb, cpu: config.executor.cpu, diskMb: config.executor.diskMb },
    runsLifecycleDays: config.runsLifecycleDays,
    codeLifecycleDays: config.codeLifecycleDays,
  };
}
