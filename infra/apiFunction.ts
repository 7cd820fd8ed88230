/**
 * The API: an HTTP server behind FC's HTTP trigger. Many requests per instance (it mostly waits on OSS and holds
 * output long polls), no internet (it only talks to OSS's internal endpoint), and an anonymous trigger: when the
 * stack sets `apiToken`, the API itself demands `Authorization: Bearer <token>`, checked against the SHA-256 in
 * `API_TOKEN_SHA256`. The token itself never reaches the function, its environment or the state in clear.
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'crypto';
import { ENV } from '../core/config';
import * as L from '../core/limits';
import { API_DISK_MB, checkEnvironment, customRuntimeFunctionArgs, storageEnvironment, type CustomRuntimeFunctionArgs } from './customRuntime';

/** What the HTTP trigger lets through: the API's routes plus CORS preflight. */
export const API_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'];

export interface ApiFunctionArgs extends CustomRuntimeFunctionArgs {
  /** Requests one instance serves at once; above 1. */
  instanceConcurrency: number;
  /** The bearer token, if any: only its SHA-256 is used. */
  apiToken?: string;
  corsOrigin?: string;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The API's environment: exactly these keys (token hash and CORS origin only when configured), none of them a
 * credential. The hash of a 32+ character token reveals nothing, but it stays a secret so it never shows in a
 * preview diff posted to a pull request.
 */
export function apiEnvironment(
  args: Pick<ApiFunctionArgs, 'codeBucket' | 'runsBucket' | 'network' | 'runLimits' | 'apiToken' | 'corsOrigin' | 'timeoutSeconds'>,
): Record<string, pulumi.Input<string>> {
  const env: Record<string, pulumi.Input<string>> = {
    ...storageEnvironment(args),
    // The function's own `timeout`, which FC ends every connection at: the API ends its WebSocket sessions cleanly
    // just before (handlers/piston/pistonSocket.ts), where FC would cut them without a word.
    [ENV.apiTimeoutMs]: String(args.timeoutSeconds * 1000),
  };
  if (args.apiToken !== undefined) env[ENV.apiTokenSha256] = pulumi.secret(sha256Hex(args.apiToken));
  if (args.corsOrigin !== undefined) env[ENV.corsOrigin] = args.corsOrigin;
  checkEnvironment('ApiFunction', env);
  return env;
}

export class ApiFunction extends pulumi.ComponentResource {
  readonly fn: alicloud.fc.V3Function;
  readonly trigger: alicloud.fc.V3Trigger;
  readonly functionName: pulumi.Output<string>;
  /** The public URL of the HTTP trigger. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ApiFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:ApiFunction', name, {}, opts);
    const where = `ApiFunction ${name}`;
    if (!Number.isInteger(args.instanceConcurrency) || args.instanceConcurrency < 2 || args.instanceConcurrency > 200) {
      throw new Error(`${where}: instanceConcurrency: expected 2..200 (the API serves many requests per instance), got ${args.instanceConcurrency}`);
    }
    if (args.timeoutSeconds * 1000 <= L.MAX_LONG_POLL_MS) {
      throw new Error(`${where}: timeoutSeconds: ${args.timeoutSeconds} s must be above the longest output long poll (${L.MAX_LONG_POLL_MS / 1000} s)`);
    }
    if (args.network.internetAccess) throw new Error(`${where}: network.internetAccess: the API needs no internet, only OSS's internal endpoint`);

    this.fn = new alicloud.fc.V3Function(
      name,
      customRuntimeFunctionArgs(args, {
        role: 'api',
        description: 'pocketrun API: HTTP in front of the run protocol',
        instanceConcurrency: args.instanceConcurrency,
        diskMb: API_DISK_MB,
        internetAccess: false,
        environmentVariables: apiEnvironment(args),
        instanceMetrics: false,
      }),
      { parent: this, dependsOn: args.dependsOn },
    );
    this.functionName = this.fn.functionName;

    this.trigger = new alicloud.fc.V3Trigger(
      name,
      {
        functionName: this.fn.functionName,
        qualifier: 'LATEST',
        triggerName: 'http',
        triggerType: 'http',
        description: 'public HTTP endpoint of the API (the API checks its own bearer token)',
        triggerConfig: JSON.stringify({ authType: 'anonymous', methods: API_METHODS, disableURLInternet: false }),
      },
      { parent: this },
    );
    this.url = this.trigger.httpTrigger.apply((t) => t?.urlInternet ?? '');
    this.registerOutputs({ functionName: this.functionName, url: this.url });
  }
}
