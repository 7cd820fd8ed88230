/**
 * How both functions run: FC 3.0's `custom.debian10` runtime starting the bundle's `index.js` with the Node 20 that
 * the runtime ships (and the flags of core/handlerNodeFlags.ts), as an HTTP server on port 9000 (the handlers'
 * default `PORT`).
 */
import type * as alicloud from '@pulumi/alicloud';
import type * as pulumi from '@pulumi/pulumi';
import { ENV } from '../core/config';
import { HANDLER_NODE_FLAGS } from '../core/handlerNodeFlags';
import { limitPolicyVariables } from '../core/limitPolicy';
import { FUNCTION_DISK_SIZES_MIB } from '../core/runLimits';
import { runLimitField, type RunLimitSettings } from './config';
import type { FunctionNetwork } from './functionNetwork';

export const CUSTOM_RUNTIME = 'custom.debian10';
export const FC_PORT = 9000;
/** Required by the API even though a custom runtime never calls it. */
export const FC_HANDLER = 'index.handler';
export const NODE_BINARY = '/var/fc/lang/nodejs20/bin/node';
/** The API writes no files of its own: the smallest disk FC gives (the executor's is configured: executorDiskMb). */
export const API_DISK_MB = FUNCTION_DISK_SIZES_MIB[0];

export function customRuntimeConfig(): { commands: string[]; args: string[]; port: number } {
  return { commands: [NODE_BINARY], args: [...HANDLER_NODE_FLAGS, 'index.js'], port: FC_PORT };
}

/** The environment variables a handler may be given: only names, regions, endpoints, limits and a hash. */
export function checkEnvironment(where: string, env: Record<string, unknown>): void {
  for (const key of Object.keys(env)) {
    if (/ACCESS_KEY|SECRET|PASSWORD|SECURITY_TOKEN|^ALIBABA_CLOUD_|^ALICLOUD_/i.test(key)) {
      throw new Error(`${where}: environmentVariables.${key}: credentials never go into the environment (FC supplies STS credentials)`);
    }
    if (env[key] === undefined) throw new Error(`${where}: environmentVariables.${key}: no value`);
  }
}

export interface FunctionLogTarget {
  project: pulumi.Input<string>;
  logstore: pulumi.Input<string>;
}

/** What both functions are built from; each component's Args adds its own. */
export interface CustomRuntimeFunctionArgs {
  functionName: string;
  code: pulumi.Input<{ ossBucketName: string; ossObjectName: string; checksum: string }>;
  /** ARN of the function's role. */
  roleArn: pulumi.Input<string>;
  /** Resources the function must wait for, e.g. the role's policy attachment. */
  dependsOn?: pulumi.Resource[];
  memoryMb: number;
  cpu: number;
  timeoutSeconds: number;
  codeBucket: pulumi.Input<string>;
  runsBucket: pulumi.Input<string>;
  network: FunctionNetwork;
  runLimits: RunLimitSettings;
  logs?: FunctionLogTarget;
}

/** The run limits' variables, from the stack's settings: each field is its variable (see `RunLimitSettings`). */
export function runLimitEnvironment(limits: RunLimitSettings): Record<string, string> {
  const fields: Partial<Record<string, number>> = limits;
  return Object.fromEntries(
    limitPolicyVariables().flatMap((variable) => {
      const value = fields[runLimitField(variable)];
      return value === undefined ? [] : [[variable, String(value)]];
    }),
  );
}

/** The variables both handlers read: where the buckets are, and the run limits. */
export function storageEnvironment(
  args: Pick<CustomRuntimeFunctionArgs, 'codeBucket' | 'runsBucket' | 'network' | 'runLimits'>,
): Record<string, pulumi.Input<string>> {
  return {
    [ENV.store]: 'oss',
    [ENV.codeBucket]: args.codeBucket,
    [ENV.runsBucket]: args.runsBucket,
    [ENV.ossRegion]: args.network.ossRegion,
    [ENV.ossEndpoint]: args.network.ossEndpoint,
    ...runLimitEnvironment(args.runLimits),
  };
}

/** The V3Function inputs both functions share, with what differs between them. */
export function customRuntimeFunctionArgs(
  args: CustomRuntimeFunctionArgs,
  own: {
    role: 'api' | 'executor';
    description: string;
    instanceConcurrency: number;
    /** The function's disk in MB, one of FC's sizes (FUNCTION_DISK_SIZES_MIB, core/runLimits.ts). */
    diskMb: number;
    internetAccess: boolean;
    environmentVariables: Record<string, pulumi.Input<string>>;
    instanceMetrics: boolean;
    /** FC layer version ARNs; none: no `layers` input at all, so stacks without layers do not change. */
    layers?: string[];
  },
): alicloud.fc.V3FunctionArgs {
  return {
    functionName: args.functionName,
    description: own.description,
    runtime: CUSTOM_RUNTIME,
    handler: FC_HANDLER,
    customRuntimeConfig: customRuntimeConfig(),
    code: args.code,
    role: args.roleArn,
    memorySize: args.memoryMb,
    cpu: args.cpu,
    diskSize: own.diskMb,
    timeout: args.timeoutSeconds,
    instanceConcurrency: own.instanceConcurrency,
    internetAccess: own.internetAccess,
    environmentVariables: own.environmentVariables,
    logConfig: args.logs
      ? {
          project: args.logs.project,
          logstore: args.logs.logstore,
          logBeginRule: 'None',
          enableRequestMetrics: true,
          enableInstanceMetrics: own.instanceMetrics,
        }
      : undefined,
    ...(own.layers && own.layers.length > 0 ? { layers: [...own.layers] } : {}),
    tags: { app: 'pocketrun', role: own.role },
  };
}
