/**
 * The whole platform for one environment, from a validated `StackConfig`. `infra/index.ts` calls this once with
 * the stack's configuration and freshly built bundles; the tests call it under `pulumi.runtime.setMocks`.
 *
 *   code bucket ──(OSS trigger: manifests/*.json, invocation role)──▶ executor (1 run per instance)
 *        ▲                                                               │
 *        │ manifest                                       output, status │ control (stdin)
 *   API (HTTP trigger) ◀──────────────── runs bucket ◀────────────────────┘
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';
import * as path from 'path';
import { keys, RUNS_PREFIX } from '../core/protocol';
import { ApiFunction } from './apiFunction';
import { CodeTrigger } from './codeTrigger';
import type { StackConfig } from './config';
import { CustomDomain, fcEndpoint } from './customDomain';
import { ExecutorFunction } from './executorFunction';
import { FunctionCode } from './functionCode';
import { functionNetwork } from './functionNetwork';
import { Logging } from './logging';
import { PrivateBucket } from './privateBucket';
import { RunBuckets } from './runBuckets';
import { ServiceRole, type PolicyStatement } from './serviceRole';

/** Files a bundle must contain to be deployable. */
export const REQUIRED_BUNDLE_FILES = {
  api: ['index.js'],
  // node-pty is loaded at run time from beside the bundle: its JS and the linux-x64 binary FC needs.
  executor: ['index.js', 'node_modules/@lydell/node-pty/package.json', 'node_modules/@lydell/node-pty-linux-x64/pty.node'],
} as const;

export interface StackOptions {
  /** The `api` and `executor` bundle folders (scripts/bundles.js `buildBundles`). */
  bundles: { api: string; executor: string };
  /** Where the code zips are written before upload; relative to the project folder. Default `dist/fc`. */
  zipDir?: string;
}

export interface StackOutputs {
  apiUrl: pulumi.Output<string>;
  region: string;
  codeBucket: pulumi.Output<string>;
  runsBucket: pulumi.Output<string>;
  deployBucket: pulumi.Output<string>;
  apiFunction: pulumi.Output<string>;
  executorFunction: pulumi.Output<string>;
  logProject?: pulumi.Output<string>;
  logstore?: pulumi.Output<string>;
  /** Where the page is served, when `customDomain` is set: `https://<domain>/` (`http://` without a certificate). */
  pageUrl?: string;
  /** What a custom domain's CNAME must point to (`<accountId>.<region>.fc.aliyuncs.com`), set or not. */
  customDomainCname: pulumi.Output<string>;
  /** SHA-256 of each deployed code package: equal across runs means no redeploy. */
  apiCodeSha256: string;
  executorCodeSha256: string;
}

/** `acs:oss:*:<account>:<bucket>/<prefix>*`: objects under one prefix of one bucket. */
export function ossObjectsArn(accountId: string, bucket: string, prefix: string): string {
  return `acs:oss:*:${accountId}:${bucket}/${prefix}*`;
}

/** `acs:oss:*:<account>:<bucket>/<key>`: one object, or (a `*` in the key) every object of that form. */
export function ossObjectArn(accountId: string, bucket: string, key: string): string {
  return `acs:oss:*:${accountId}:${bucket}/${key}`;
}

/** A key of core/protocol.ts for every run at once: RAM's `*` stands for the run id. */
const EVERY_RUN = '*';

/**
 * The objects each function writes, from the key functions of core/protocol.ts (`*` for the run id). Writing is
 * `oss:PutObject` (PutObject, AppendObject) and nothing else restricts it to the object the code means, so these
 * lists are the boundary: the API (on the internet, parsing anyone's requests) can create a manifest and append to
 * a control stream, never forge a claim, a status or output; the executor (where hostile programs run) can write
 * what a run produces and its instance reports, never append to another run's control stream (its stdin).
 */
export const WRITES = {
  api: { code: [keys.manifest(EVERY_RUN)], runs: [keys.control(EVERY_RUN)] },
  executor: { runs: [keys.claim(EVERY_RUN), keys.status(EVERY_RUN), keys.output(EVERY_RUN), keys.executorReport(), keys.runtimes()] },
} as const;

function objectArns(accountId: pulumi.Input<string>, bucket: pulumi.Input<string>, objectKeys: readonly string[]): pulumi.Input<string>[] {
  return objectKeys.map((key) => pulumi.all([accountId, bucket]).apply(([a, b]) => ossObjectArn(a, b, key)));
}

/** Read anything under a prefix: reads need no narrowing beyond the bucket's own protocol prefix. */
function prefixArn(accountId: pulumi.Input<string>, bucket: pulumi.Input<string>, prefix: string): pulumi.Input<string> {
  return pulumi.all([accountId, bucket]).apply(([a, b]) => ossObjectsArn(a, b, prefix));
}

/**
 * The API may write (and check for) manifests, read the runs bucket, and append to control streams only.
 * HeadObject is `oss:GetObject`; AppendObject is `oss:PutObject`.
 */
export function apiPolicyStatements(accountId: pulumi.Input<string>, codeBucket: pulumi.Input<string>, runsBucket: pulumi.Input<string>): PolicyStatement[] {
  return [
    { actions: ['oss:PutObject', 'oss:GetObject'], resources: objectArns(accountId, codeBucket, WRITES.api.code) },
    // Reads status, output and the executors' reports.
    { actions: ['oss:GetObject'], resources: [prefixArn(accountId, runsBucket, RUNS_PREFIX)] },
    // Appends stdin, kill, signal and resize records to a run's control stream.
    { actions: ['oss:PutObject'], resources: objectArns(accountId, runsBucket, WRITES.api.runs) },
  ];
}

/**
 * The executor may read manifests and run objects (control, claim, status), and write what a run produces (claim,
 * status, output appends) and its instance reports; nothing else.
 */
export function executorPolicyStatements(accountId: pulumi.Input<string>, codeBucket: pulumi.Input<string>, runsBucket: pulumi.Input<string>): PolicyStatement[] {
  return [
    { actions: ['oss:GetObject'], resources: objectArns(accountId, codeBucket, [keys.manifest(EVERY_RUN)]) },
    { actions: ['oss:GetObject'], resources: [prefixArn(accountId, runsBucket, RUNS_PREFIX)] },
    { actions: ['oss:PutObject'], resources: objectArns(accountId, runsBucket, WRITES.executor.runs) },
  ];
}

export function pocketrunStack(config: StackConfig, options: StackOptions): StackOutputs {
  const prefix = config.namePrefix;
  const zipDir = options.zipDir ?? path.join('dist', 'fc');

  // One explicit provider, so the region comes from pocketrun:region and nothing falls back to ambient settings.
  const provider = new alicloud.Provider('alicloud', { region: config.region });
  const opts: pulumi.ComponentResourceOptions = { providers: [provider] };
  const accountId = alicloud.getCallerIdentityOutput({ provider }).accountId;
  // Bucket and log project names are global across Alibaba Cloud: the account id keeps them ours.
  const globalName = (role: string) => pulumi.interpolate`${prefix}-${role}-${accountId}`;

  const buckets = new RunBuckets(
    'buckets',
    {
      codeBucketName: globalName('code'),
      runsBucketName: globalName('runs'),
      runsLifecycleDays: config.runsLifecycleDays,
      codeLifecycleDays: config.codeLifecycleDays,
    },
    opts,
  );
  // Function code packages: kept apart from user data, never expired (FC reads them only at deploy time).
  const deployBucket = new PrivateBucket('deploy', { bucketName: globalName('deploy'), purpose: 'deploy' }, opts);

  const logging = config.logging
    ? new Logging('logs', { projectName: globalName('logs'), logstoreName: 'functions', retentionDays: config.logRetentionDays }, opts)
    : undefined;
  const logs = logging ? { project: logging.projectName, logstore: logging.logstoreName } : undefined;

  const apiRole = new ServiceRole(
    'api-role',
    {
      roleName: `${prefix}-api`,
      trustedService: 'fc.aliyuncs.com',
      description: 'pocketrun API: writes run manifests, reads and appends run objects',
      statements: apiPolicyStatements(accountId, buckets.codeBucketName, buckets.runsBucketName),
    },
    opts,
  );
  const executorRole = new ServiceRole(
    'executor-role',
    {
      roleName: `${prefix}-executor`,
      trustedService: 'fc.aliyuncs.com',
      description: 'pocketrun executor: reads run manifests, writes run objects',
      statements: executorPolicyStatements(accountId, buckets.codeBucketName, buckets.runsBucketName),
    },
    opts,
  );

  const apiCode = new FunctionCode(
    'api-code',
    {
      bundleDir: options.bundles.api,
      requiredFiles: [...REQUIRED_BUNDLE_FILES.api],
      bucket: deployBucket.bucketName,
      keyPrefix: 'functions/api/',
      zipPath: path.join(zipDir, 'api.zip'),
    },
    opts,
  );
  const executorCode = new FunctionCode(
    'executor-code',
    {
      bundleDir: options.bundles.executor,
      requiredFiles: [...REQUIRED_BUNDLE_FILES.executor],
      bucket: deployBucket.bucketName,
      keyPrefix: 'functions/executor/',
      zipPath: path.join(zipDir, 'executor.zip'),
    },
    opts,
  );

  const executor = new ExecutorFunction(
    'executor',
    {
      functionName: `${prefix}-executor`,
      code: executorCode.code,
      roleArn: executorRole.arn,
      dependsOn: [executorRole.attachment],
      memoryMb: config.executor.memoryMb,
      cpu: config.executor.cpu,
      diskMb: config.executor.diskMb,
      timeoutSeconds: config.executor.timeoutSeconds,
      concurrency: config.executor.concurrency,
      codeBucket: buckets.codeBucketName,
      runsBucket: buckets.runsBucketName,
      network: functionNetwork({ region: config.region, internet: config.allowNetwork }),
      runLimits: config.runLimits,
      allowNetwork: config.allowNetwork,
      // Toolchains beyond custom.debian10's Node and Python: FC unpacks them under /opt, where the registry looks.
      layers: config.executor.layers,
      logs,
    },
    opts,
  );

  const api = new ApiFunction(
    'api',
    {
      functionName: `${prefix}-api`,
      code: apiCode.code,
      roleArn: apiRole.arn,
      dependsOn: [apiRole.attachment],
      memoryMb: config.api.memoryMb,
      cpu: config.api.cpu,
      timeoutSeconds: config.api.timeoutSeconds,
      instanceConcurrency: config.api.instanceConcurrency,
      codeBucket: buckets.codeBucketName,
      runsBucket: buckets.runsBucketName,
      network: functionNetwork({ region: config.region, internet: false }),
      runLimits: config.runLimits,
      apiToken: config.apiToken,
      corsOrigin: config.corsOrigin,
      logs,
    },
    opts,
  );

  // The page's own address: on the trigger's fcapp.run address browsers download it instead of showing it.
  const pageDomain = config.customDomain
    ? new CustomDomain(
        'page-domain',
        {
          domainName: config.customDomain.name,
          functionName: api.functionName,
          // FC 3.0 routes a custom domain only to a function with an HTTP trigger: both must exist first.
          dependsOn: [api.fn, api.trigger],
          tls: config.customDomain.tls,
          certName: `${prefix}-page`,
        },
        opts,
      )
    : undefined;

  new CodeTrigger(
    'manifest-trigger',
    {
      region: config.region,
      accountId,
      codeBucket: buckets.codeBucketName,
      executorFunctionName: executor.functionName,
      invocationRoleName: `${prefix}-oss-invoke`,
      // The executor's retry policy must be in place before OSS starts sending events.
      dependsOn: [executor.asyncConfig],
    },
    opts,
  );

  return {
    apiUrl: api.url,
    region: config.region,
    codeBucket: buckets.codeBucketName,
    runsBucket: buckets.runsBucketName,
    deployBucket: deployBucket.bucketName,
    apiFunction: api.functionName,
    executorFunction: executor.functionName,
    logProject: logging?.projectName,
    logstore: logging?.logstoreName,
    pageUrl: pageDomain?.url,
    customDomainCname: accountId.apply((id) => fcEndpoint(id, config.region)),
    apiCodeSha256: apiCode.sha256,
    executorCodeSha256: executorCode.sha256,
  };
}
