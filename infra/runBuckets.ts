/**
 * The two buckets that carry the run protocol (core/protocol.ts): the code bucket, where the API writes one
 * manifest per run under `manifests/` (the executor's OSS trigger watches exactly that), and the runs bucket, where
 * everything a run produces lives under `runs/`. Both expire their data: runs after `runsLifecycleDays`, submitted
 * code after `codeLifecycleDays`.
 */
import * as pulumi from '@pulumi/pulumi';
import { MANIFEST_PREFIX, RUNS_PREFIX } from '../core/protocol';
import { PrivateBucket } from './privateBucket';

export interface RunBucketsArgs {
  /** Physical name of the code bucket. */
  codeBucketName: pulumi.Input<string>;
  /** Physical name of the runs bucket. */
  runsBucketName: pulumi.Input<string>;
  runsLifecycleDays: number;
  codeLifecycleDays: number;
}

export class RunBuckets extends pulumi.ComponentResource {
  readonly code: PrivateBucket;
  readonly runs: PrivateBucket;
  readonly codeBucketName: pulumi.Output<string>;
  readonly runsBucketName: pulumi.Output<string>;

  constructor(name: string, args: RunBucketsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:RunBuckets', name, {}, opts);
    for (const key of ['runsLifecycleDays', 'codeLifecycleDays'] as const) {
      if (!Number.isInteger(args[key]) || args[key] < 1) throw new Error(`RunBuckets ${name}: ${key}: expected a whole number of days >= 1, got ${args[key]}`);
    }
    this.code = new PrivateBucket(
      `${name}-code`,
      {
        bucketName: args.codeBucketName,
        purpose: 'code',
        expiry: [{ id: 'expire-manifests', prefix: MANIFEST_PREFIX, days: args.codeLifecycleDays }],
      },
      { parent: this },
    );
    this.runs = new PrivateBucket(
      `${name}-runs`,
      {
        bucketName: args.runsBucketName,
        purpose: 'runs',
        expiry: [{ id: 'expire-runs', prefix: RUNS_PREFIX, days: args.runsLifecycleDays }],
      },
      { parent: this },
    );
    this.codeBucketName = this.code.bucketName;
    this.runsBucketName = this.runs.bucketName;
    this.registerOutputs({ codeBucketName: this.codeBucketName, runsBucketName: this.runsBucketName });
  }
}
