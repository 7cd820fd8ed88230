/**
 * The executor: the function the OSS trigger invokes (asynchronously) for each run manifest. One run per instance
 * (`instanceConcurrency: 1`: the sandbox, its uid and its PTY belong to that run), a timeout above the longest run
 * (compile step and clean-up included: `minExecutorTimeoutSeconds`),
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
import { RUN_QUEUE_MAX_MS } from '../core/limits';
import { ASYNC_INVOKE_ATTEMPTS } from '../local/settings';
import { EXECUTOR_DISK_MARGIN_MIB, FUNCTION_DISK_SIZES_MIB, RUN_LIMITS, runDiskMaxMibFor } from '../core/runLimits';
import { FC_LIMITS, LAYER_ARN_PATTERN, minExecutorTimeoutSeconds } from './config';
import { checkEnvironment, customRuntimeFunctionArgs, storageEnvironment, type CustomRuntimeFunctionArgs } from './customRuntime';

/** Retries after the first attempt: ASYNC_INVOKE_ATTEMPTS in all, as the local platform does. */
export const EXECUTOR_ASYNC_RETRIES = ASYNC_INVOKE_ATTEMPTS - 1;
/** Queued OSS events older than this are dropped (core/limits.ts says what the API then reports). */
export const EXECUTOR_EVENT_MAX_AGE_SECONDS = RUN_QUEUE_MAX_MS / 1000;

export interface ExecutorFunctionArgs extends CustomRuntimeFunctionArgs {
  /**
   * The function's disk in MB (its /tmp, which holds the work root and so the run folders): one of FC's sizes, with
   * room for the largest run disk limit and the executor's margin (core/runLimits.ts). Default the smallest.
   */
  diskMb?: number;
  /** How many runs may execute at once: the function's reserved concurrency. */
  concurrency: number;
  /** Whether user programs may reach the network: `ALLOW_NETWORK` and the function's internet access agree. */
  allowNetwork: boolean;
  /**
   * FC layer version ARNs (the stack's `executorLayers`). FC unpacks them under /opt, where the language registry
   * already looks (`/opt/<layer>/bin/<tool>`, then `/opt/bin/<tool>`: core/languages/candidates.ts), so they need no
   * variable: the tools are found by path, and a program's environment is the sandbox's own (PATH, HOME, LANG, TERM
   * and its language's), never the function's, so an `LD_LIBRARY_PATH` here would not reach it anyway. A layer's
   * tools find their own libraries (relocatable builds, wrappers, `$ORIGIN` rpaths): README, *Languages*.
   */
  layers?: string[];
}

/** The executor's environment: exactly these keys, none of them a credential. */
export function executorEnvironment(
  args: Pick<ExecutorFunctionArgs, 'codeBucket' | 'runsBucket' | 'network' | 'runLimits' | 'allowNetwork'>,
): Record<string, pulumi.Input<string>> {
  const env: Record<string, pulumi.Input<string>> = {
    ...storageEnvironment(args),
    [ENV.allowNetwork]: args.allowNetwork ? '1' : '0',
  };
  checkEnvironment('ExecutorFunction', env);
  return env;
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
    const minTimeout = minExecutorTimeoutSeconds(args.runLimits.timeoutMaxMs);
    if (args.timeoutSeconds < minTimeout) {
      throw new Error(
        `${where}: timeoutSeconds: ${args.timeoutSeconds} s must cover the longest run, its compile step and clean-up included (at least ${minTimeout} s for a ${args.runLimits.timeoutMaxMs / 1000} s maximum)`,
      );
    }
    if (args.memoryMb * 1024 * 1024 <= args.runLimits.memoryMaxBytes) {
      throw new Error(`${where}: memoryMb: ${args.memoryMb} MB must be above the largest run memory limit (${args.runLimits.memoryMaxBytes / 1024 / 1024} MiB)`);
    }
    const diskMb = args.diskMb ?? FUNCTION_DISK_SIZES_MIB[0];
    if (!(FUNCTION_DISK_SIZES_MIB as readonly number[]).includes(diskMb)) {
      throw new Error(`${where}: diskMb: FC gives a function ${FUNCTION_DISK_SIZES_MIB.join(' or ')} MB of disk, got ${diskMb}`);
    }
    const runDiskMaxBytes = args.runLimits.diskMaxBytes ?? RUN_LIMITS.diskBytes.max;
    if (runDiskMaxBytes > runDiskMaxMibFor(diskMb) * 1024 * 1024) {
      throw new Error(
        `${where}: diskMb: ${diskMb} MB cannot hold a run of ${runDiskMaxBytes / 1024 / 1024} MiB (runLimits.diskMaxBytes) and the executor's own ${EXECUTOR_DISK_MARGIN_MIB} MiB`,
      );
    }
    if (args.network.internetAccess !== args.allowNetwork) {
      throw new Error(`${where}: network.internetAccess (${args.network.internetAccess}) and allowNetwork (${args.allowNetwork}) must agree`);
    }
    if (!Number.isInteger(args.concurrency) || args.concurrency < 1) throw new Error(`${where}: concurrency: expected a whole number >= 1, got ${args.concurrency}`);
    const layers = args.layers ?? [];
    if (layers.length > FC_LIMITS.layers.max) throw new Error(`${where}: layers: at most ${FC_LIMITS.layers.max} (FC's limit), got ${layers.length}`);
    for (const arn of layers) {
      if (!LAYER_ARN_PATTERN.test(arn)) throw new Error(`${where}: layers: expected layer version ARNs (acs:fc:<region>:<account>:layers/<name>/versions/<n>), got ${JSON.stringify(arn)}`);
    }

    this.fn = new alicloud.fc.V3Function(
      name,
      customRuntimeFunctionArgs(args, {
        role: 'executor',
        description: 'pocketrun executor: runs one program per instance, triggered by run manifests',
        // One run per instance: the sandbox, its uid range and the PTY belong to that run alone.
        instanceConcurrency: 1,
        diskMb,
        internetAccess: args.network.internetAccess,
        environmentVariables: executorEnvironment(args),
        instanceMetrics: true,
        layers,
      }),
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
