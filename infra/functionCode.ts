/**
 * A function's code package: the bundle folder (scripts/bundles.js) zipped reproducibly, uploaded to the deploy
 * bucket under a key named by the zip's SHA-256, and handed to FC with its CRC-64 as `checksum`.
 *
 * The key carries the content hash, so an unchanged bundle means an unchanged `code` input and no function
 * update, while a changed bundle means a new object, a new key and a function update. FC verifies the package
 * against the checksum when it fetches it. The previous object is deleted after the function points at the new one
 * (Pulumi replaces create-before-delete).
 */
import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { crc64ecma, deterministicZip } from './deterministicZip';

export interface FunctionCodeArgs {
  /** The bundle folder: `index.js` and, for the executor, `node_modules/` with node-pty's linux-x64 binary. */
  bundleDir: string;
  /** Paths (relative to `bundleDir`) that must exist, e.g. the native binary: a bundle without them must not ship. */
  requiredFiles: string[];
  /** The bucket the package is uploaded to. */
  bucket: pulumi.Input<string>;
  /** Object key prefix, e.g. `functions/executor/`. */
  keyPrefix: string;
  /** Where the zip is written for the upload; relative paths keep the stack's state identical across machines. */
  zipPath: string;
}

export interface CodePackage {
  zip: Buffer;
  sha256: string;
  crc64: string;
}

/** Zips and hashes a bundle folder; throws naming the folder or the missing file. */
export function packageBundle(bundleDir: string, requiredFiles: string[]): CodePackage {
  if (!fs.existsSync(bundleDir) || !fs.statSync(bundleDir).isDirectory()) {
    throw new Error(`FunctionCode: bundleDir: ${bundleDir} is not a folder (run npm run build, or let infra/index.ts build it)`);
  }
  for (const file of requiredFiles) {
    if (!fs.existsSync(path.join(bundleDir, file))) throw new Error(`FunctionCode: requiredFiles: ${file} is missing from ${bundleDir}`);
  }
  const zip = deterministicZip(bundleDir);
  return { zip, sha256: createHash('sha256').update(zip).digest('hex'), crc64: crc64ecma(zip) };
}

export class FunctionCode extends pulumi.ComponentResource {
  readonly object: alicloud.oss.BucketObject;
  readonly sha256: string;
  readonly crc64: string;
  /** What `fc.V3Function.code` takes. */
  readonly code: pulumi.Output<{ ossBucketName: string; ossObjectName: string; checksum: string }>;

  constructor(name: string, args: FunctionCodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('pocketrun:infra:FunctionCode', name, {}, opts);
    if (!args.keyPrefix.endsWith('/') || args.keyPrefix.startsWith('/')) {
      throw new Error(`FunctionCode ${name}: keyPrefix: expected a relative prefix ending in '/', got ${JSON.stringify(args.keyPrefix)}`);
    }
    const pkg = packageBundle(args.bundleDir, args.requiredFiles);
    this.sha256 = pkg.sha256;
    this.crc64 = pkg.crc64;
    fs.mkdirSync(path.dirname(path.resolve(args.zipPath)), { recursive: true });
    fs.writeFileSync(args.zipPath, pkg.zip);

    this.object = new alicloud.oss.BucketObject(
      name,
      {
        bucket: args.bucket,
        key: `${args.keyPrefix}${pkg.sha256}.zip`,
        source: args.zipPath,
        contentType: 'application/zip',
        contentMd5: createHash('md5').update(pkg.zip).digest('hex'),
        serverSideEncryption: 'AES256',
        acl: 'private',
      },
      { parent: this },
    );
    this.code = pulumi
      .all([this.object.bucket, this.object.key])
      .apply(([bucket, key]) => ({ ossBucketName: bucket, ossObjectName: key, checksum: pkg.crc64 }));
    this.registerOutputs({ sha256: pkg.sha256, key: this.object.key });
  }
}
