/**
 * One OSS bucket the way every pocketrun bucket is: private ACL, public access blocked, AES256 server-side
 * encryption, optional expiry rules, and `forceDestroy` so `pulumi destroy` after a contest succeeds with objects
 * still inside. ACL, public-access block and encryption use their own resources (`oss.BucketAcl`,
 * `oss.BucketPublicAccessBlock`, `oss.BucketServerSideEncryption`), not the deprecated inline bucket fields.
 *
 * Why AES256 and not KMS: the runs bucket holds appendable objects (output, control), and OSS refuses a KMS key id
 * for appendable objects. AES256 (OSS-managed keys) works for every object type and costs nothing extra.
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';

/** Bucket inputs that `oss.BucketAcl` and `oss.BucketServerSideEncryption` manage instead of the bucket. */
export const BUCKET_FIELDS_OWNED_ELSEWHERE = ['acl', 'serverSideEncryptionRule'] as const;

export interface ExpiryRule {
  /** Rule id, unique within the bucket. */
  id: string;
  /** Key prefix the rule applies to, e.g. `runs/`. Must be non-empty: a whole-bucket rule is never intended here. */
  prefix: string;
  /** Days after the last modification when objects are deleted (OSS lifecycle granularity: whole days, at least 1). */
  days: number;
}

export interface PrivateBucketArgs {
  /** Physical name: 3..63 lowercase letters, digits and hyphens, globally unique (so it carries the account id). */
  bucketName: pulumi.Input<string>;
  /** What the bucket is for, kept as a tag. */
  purpose: string;
  expiry?: ExpiryRule[];
  tags?: Record<string, string>;
}

export class PrivateBucket extends pulumi.ComponentResource {
  readonly bucket: alicloud.oss.Bucket;
  /** The bucket's name, known once the bucket exists. */
  readonly bucketName: pulumi.Output<string>;

  constructor(name: string, args: PrivateBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:PrivateBucket', name, {}, opts);
    const ids = new Set<string>();
    for (const rule of args.expiry ?? []) {
      if (!rule.prefix) throw new Error(`PrivateBucket ${name}: expiry[${rule.id}].prefix: must not be empty`);
      if (!Number.isInteger(rule.days) || rule.days < 1) throw new Error(`PrivateBucket ${name}: expiry[${rule.id}].days: expected a whole number of days >= 1, got ${rule.days}`);
      if (ids.has(rule.id)) throw new Error(`PrivateBucket ${name}: expiry[${rule.id}].id: duplicate rule id`);
      ids.add(rule.id);
    }

    this.bucket = new alicloud.oss.Bucket(
      name,
      {
        bucket: args.bucketName,
        storageClass: 'Standard',
        redundancyType: 'LRS',
        forceDestroy: true,
        lifecycleRules: args.expiry?.length
          ? args.expiry.map((rule) => ({ id: rule.id, prefix: rule.prefix, enabled: true, expirations: [{ days: rule.days }] }))
          : undefined,
        tags: { app: 'pocketrun', purpose: args.purpose, ...args.tags },
      },
      // The standalone resources below own these fields; the bucket reads them back from OSS. The provider says to
      // ignore them here (website/docs/r/oss_bucket.html.markdown, the note on standalone sub-resources):
      // serverSideEncryptionRule is Optional but not Computed, so after a refresh the next `pulumi up` would diff it
      // away and call DeleteBucketEncryption, leaving the bucket unencrypted while BucketServerSideEncryption's state
      // still says AES256.
      { parent: this, ignoreChanges: [...BUCKET_FIELDS_OWNED_ELSEWHERE] },
    );
    this.bucketName = this.bucket.bucket;

    new alicloud.oss.BucketAcl(name, { bucket: this.bucket.bucket, acl: 'private' }, { parent: this });
    new alicloud.oss.BucketPublicAccessBlock(name, { bucket: this.bucket.bucket, blockPublicAccess: true }, { parent: this });
    new alicloud.oss.BucketServerSideEncryption(name, { bucket: this.bucket.bucket, sseAlgorithm: 'AES256' }, { parent: this });

    this.registerOutputs({ bucketName: this.bucketName });
  }
}
