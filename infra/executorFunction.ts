/**
 * The executor: the function the OSS trigger invokes (asynchronously) for each run manifest. One run per instance
 * (`instanceConcurrency: 1`: the sandbox, its uid and its PTY belong to that run), a timeout above the longest run,
 * no internet unless the stack allows it, and an environment of bucket names, region and endpoint only.
 *
 * Asynchronous invocation: FC queues the OSS events, retries a failed invocation (a 5xx / `x-fc-status: 404` from
 * the handler, or a crash) up to `maxAsyncRetryAttempts` times with backoff, and drops events older than
 * `maxAsyncEventAgeInSeconds`. The executor is idempotent (the first write of `runs/<id>/claim` wins, with
 * overwrite forbidden), so a retry of a run that did start sees the claim and stops: retries cost nothing and
 * rescue runs whose instance died before claiming. Two retries mirror the local platform (ASYNC_INVOKE_ATTEMPTS = 3
 * attempts in all); ten minutes is as long as a contestant waits for a queued run in a burst: an older event would
 * only start a program nobody watches and take an executor from someone who is waiting.
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';
import { ENV } from '../core/config';
import { ASYNC_INVOKE_ATTEMPTS } from '../core/limits';
import type { StackConfig } from './config';
import { checkEnvironment, customRuntimeConfig, CUSTOM_RUNTIME, FC_HANDLER } from './customRuntime';
import type { FunctionNetwork } from './functionNetwork';

/** Retries after the first attempt: ASYNC_INVOKE_ATTEMPTS in all, as the local platform does. */
export const EXECUTOR_ASYNC_RETRIES = ASYNC_INVOKE_ATTEMPTS - 1;
/** Queued OSS events older than this are dropped. */
export const EXECUTOR_EVENT_MAX_AGE_SECONDS = 600;

export interface FunctionLogTarget {
  project: pulumi.Input<string>;
  logstore: pulumi.Input<string>;
}

export interface ExecutorFunctionArgs {
  functionName: string;
  code: pulumi.Input<{ ossBucketName: string; ossObjectName: string; checksum: string }>;
  /** ARN of the executor's role (read the code bucket, write the runs bucket). */
  roleArn: pulumi.Input<string>;
  /** Resources the function must wait for, e.g. the role's policy attachment. */
  dependsOn?: pulumi.Resource[];
  memoryMb: number;
  cpu: number;
  timeoutSeconds: number;
  /** How many runs may execute at once: the function's reserved concurrency. */
  concurrency: number;
  codeBucket: pulumi.Input<string>;
  runsBucket: pulumi.Input<string>;
  network: FunctionNetwork;
  runLimits: StackConfig['runLimits'];
  /** Whether user programs may reach the network: `ALLOW_NETWORK` and the function's internet access agree. */
  allowNetwork: boolean;
  logs?: FunctionLogTarget;
}

/** The executor's environment: exactly these keys, none of them a credential. */
export function executorEnvironment(
  args: Pick<ExecutorFunctionArgs, 'codeBucket' | 'runsBucket' | 'network' | 'runLimits' | 'allowNetwork'>,
): Record<string, pulumi.Input<string>> {
  const env: Record<string, pulumi.Input<string>> = {
    [ENV.store]: 'oss',
    [ENV.codeBucket]: args.codeBucket,
    [ENV.runsBucket]: args.runsBucket,
    [ENV.ossRegion]: args.network.ossRegion,
    [ENV.ossEndpoint]: args.network.ossEndpoint,
    [ENV.allowNetwork]: args.allowNetwork ? '1' : '0',
    ...runLimitEnvironment(args.runLimits),
  };
  checkEnvironment('ExecutorFunction', env);
  return env;
}

export function runLimitEnvironment(limits: StackConfig['runLimits']): Record<string, string> {
  return {
    [ENV.timeoutDefaultMs]: String(limits.timeoutDefaultMs),
    [ENV.timeoutMaxMs]: String(limits.timeoutMaxMs),
    [ENV.outputDefaultBytes]: String(limits.outputDefaultBytes),
    [ENV.outputMaxBytes]: String(limits.outputMaxBytes),
    [ENV.memoryDefaultBytes]: String(limits.memoryDefaultBytes),
    [ENV.memoryMaxBytes]: String(limits.memoryMaxBytes),
  };
}

export class ExecutorFunction extends pulumi.ComponentResource {
  readonly fn: alicloud.fc.V3Function;
  readonly asyncConfig: alicloud.fc.V3AsyncInvokeConfig;
  readonly concurrencyConfig: alicloud.fc.V3ConcurrencyConfig;
  readonly functionName: pulumi.Output<string>;
  readonly functionArn: pulumi.Output<string>;

  constructor(name: string, args: ExecutorFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:ExecutorFunction', name, {}, opts);
    const where = `ExecutorFunction ${name}`;
    if (args.timeoutSeconds * 1000 <= args.runLimits.timeoutMaxMs) {
      throw new Error(`${where}: timeoutSeconds: ${args.timeoutSeconds} s must be above the longest run (${args.runLimits.timeoutMaxMs / 1000} s)`);
    }
    if (args.memoryMb * 1024 * 1024 <= args.runLimits.memoryMaxBytes) {
      throw new Error(`${where}: memoryMb: ${args.memoryMb} MB must be above the largest run memory limit (${args.runLimits.memoryMaxBytes / 1024 / 1024} MiB)`);
    }
    if (args.network.internetAccess !== args.allowNetwork) {
      throw new Error(`${where}: network.internetAccess (${args.network.internetAccess}) and allowNetwork (${args.allowNetwork}) must agree`);
    }
    if (!Number.isInteger(args.concurrency) || args.concurrency < 1) throw new Error(`${where}: concurrency: expected a whole number >= 1, got ${args.concurrency}`);

    this.fn = new alicloud.fc.V3Function(
      name,
      {
        functionName: args.functionName,
        description: 'pocketrun executor: runs one program per instance, triggered by run manifests',
        runtime: CUSTOM_RUNTIME,
        handler: FC_HANDLER,
        customRuntimeConfig: customRuntimeConfig(),
        code: args.code,
        role: args.roleArn,
        memorySize: args.memoryMb,
        cpu: args.cpu,
        diskSize: 512,
        timeout: args.timeoutSeconds,
        // One run per instance: the sandbox, its uid range and the PTY belong to that run alone.
        instanceConcurrency: 1,
        internetAccess: args.network.internetAccess,
        environmentVariables: executorEnvironment(args),
        logConfig: args.logs
          ? { project: args.logs.project, logstore: args.logs.logstore, logBeginRule: 'None', enableRequestMetrics: true, enableInstanceMetrics: true }
          : undefined,
        tags: { app: 'pocketrun', role: 'executor' },
      },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.functionName = this.fn.functionName;
    this.functionArn = this.fn.functionArn;

    this.asyncConfig = new alicloud.fc.V3AsyncInvokeConfig(
      name,
      {
        functionName: this.fn.functionName,
        qualifier: 'LATEST',
        maxAsyncRetryAttempts: EXECUTOR_ASYNC_RETRIES,
        maxAsyncEventAgeInSeconds: EXECUTOR_EVENT_MAX_AGE_SECONDS,
        asyncTask: false,
      },
      { parent: this },
    );
    this.concurrencyConfig = new alicloud.fc.V3ConcurrencyConfig(
      name,
      { functionName: this.fn.functionName, reservedConcurrency: args.concurrency },
      { parent: this },
    );
    this.registerOutputs({ functionName: this.functionName, functionArn: this.functionArn });
  }
}
