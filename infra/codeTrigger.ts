/**
 * The OSS trigger that starts a run: an object created under `manifests/` with suffix `.json` in the code bucket
 * invokes the executor (asynchronously). OSS assumes an invocation role, trusted by `oss.aliyuncs.com`, whose only
 * permission is to invoke the executor.
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';
import { MANIFEST_PREFIX, MANIFEST_SUFFIX } from '../core/protocol';
import { ServiceRole } from './serviceRole';

/**
 * The API writes each manifest with one PutObject (forbid-overwrite): that is the event. Other creations
 * (copies, multipart, appends) never make a manifest, and the executor's role could not be asked to run them.
 */
export const MANIFEST_EVENTS = ['oss:ObjectCreated:PutObject'];

export interface CodeTriggerArgs {
  region: string;
  accountId: pulumi.Input<string>;
  /** The code bucket the API writes manifests to. */
  codeBucket: pulumi.Input<string>;
  /** The executor function: name and (for the invocation role's policy) nothing else. */
  executorFunctionName: pulumi.Input<string>;
  /** Physical name of the invocation role. */
  invocationRoleName: string;
  /** What must exist before OSS may send events, e.g. the executor's async invocation config. */
  dependsOn?: pulumi.Resource[];
}

/** `acs:oss:<region>:<account>:<bucket>`: the event source. */
export function bucketSourceArn(region: string, accountId: string, bucket: string): string {
  return `acs:oss:${region}:${accountId}:${bucket}`;
}

/** The FC 3.0 function ARNs `fc:InvokeFunction` is granted on: the function, and its qualified forms (LATEST). */
export function functionInvokeArns(region: string, accountId: string, functionName: string): string[] {
  return [`acs:fc:${region}:${accountId}:functions/${functionName}`, `acs:fc:${region}:${accountId}:functions/${functionName}/*`];
}

export function manifestTriggerConfig(): string {
  return JSON.stringify({ events: MANIFEST_EVENTS, filter: { key: { prefix: MANIFEST_PREFIX, suffix: MANIFEST_SUFFIX } } });
}

export class CodeTrigger extends pulumi.ComponentResource {
  readonly invocationRole: ServiceRole;
  readonly trigger: alicloud.fc.V3Trigger;

  constructor(name: string, args: CodeTriggerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:CodeTrigger', name, {}, opts);
    if (!MANIFEST_PREFIX || !MANIFEST_SUFFIX) throw new Error(`CodeTrigger ${name}: the manifest key filter must have a prefix and a suffix`);

    const invokeArns = pulumi
      .all([args.accountId, args.executorFunctionName])
      .apply(([accountId, functionName]) => functionInvokeArns(args.region, accountId, functionName));
    this.invocationRole = new ServiceRole(
      `${name}-invoke`,
      {
        roleName: args.invocationRoleName,
        trustedService: 'oss.aliyuncs.com',
        description: 'Lets OSS invoke the pocketrun executor for new run manifests',
        statements: [{ actions: ['fc:InvokeFunction'], resources: [invokeArns.apply((a) => a[0]), invokeArns.apply((a) => a[1])] }],
      },
      { parent: this },
    );

    this.trigger = new alicloud.fc.V3Trigger(
      name,
      {
        functionName: args.executorFunctionName,
        qualifier: 'LATEST',
        triggerName: 'manifests',
        triggerType: 'oss',
        description: `runs the executor for each ${MANIFEST_PREFIX}*${MANIFEST_SUFFIX} put into the code bucket`,
        sourceArn: pulumi.all([args.accountId, args.codeBucket]).apply(([accountId, bucket]) => bucketSourceArn(args.region, accountId, bucket)),
        invocationRole: this.invocationRole.arn,
        triggerConfig: manifestTriggerConfig(),
      },
      // The role must be allowed to invoke before OSS is told to use it.
      { parent: this, dependsOn: [this.invocationRole.attachment, ...(args.dependsOn ?? [])] },
    );
    this.registerOutputs({ triggerName: this.trigger.triggerName });
  }
}
