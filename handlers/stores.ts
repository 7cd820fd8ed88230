/**
 * The two buckets, from the handler's environment: OSS in FC (credentials from the runtime, refreshed from each
 * request's `x-fc-*` headers), folders on the local platform.
 */
import type { IncomingMessage } from 'http';
import * as path from 'path';
import { FsObjectStore } from '../adapters/storage/fsStore';
import { OssObjectStore } from '../adapters/storage/ossStore';
import { ConfigError, ENV } from '../core/config';
import { DEFAULT_DATA_DIR } from '../core/limits';
import type { ObjectStore } from '../core/ports';
import { header } from './http';

export interface Buckets {
  code: ObjectStore;
  runs: ObjectStore;
  /** Picks up the per-request STS credentials FC sends (no-op for folders). */
  refreshCredentials(req: IncomingMessage): void;
}

export function bucketsFromEnv(env: NodeJS.ProcessEnv): Buckets {
  const kind = env[ENV.store] ?? 'fs';
  const codeBucket = env[ENV.codeBucket] ?? 'code';
  const runsBucket = env[ENV.runsBucket] ?? 'runs';
  if (kind === 'fs') {
    const root = path.resolve(env[ENV.dataDir] ?? DEFAULT_DATA_DIR);
    return {
      code: new FsObjectStore({ root, bucket: codeBucket }),
      runs: new FsObjectStore({ root, bucket: runsBucket }),
      refreshCredentials: () => undefined,
    };
  }
  if (kind !== 'oss') throw new ConfigError(ENV.store, `expected "oss" or "fs", got ${JSON.stringify(kind)}`);
  const region = env[ENV.ossRegion];
  if (!region) throw new ConfigError(ENV.ossRegion, 'required when STORE=oss');
  // FC 3.0 puts the role's STS credentials in these variables; they are the handler's, never the program's.
  const credentials = {
    accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID ?? '',
    accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET ?? '',
    stsToken: env.ALIBABA_CLOUD_SECURITY_TOKEN,
  };
  const make = (bucket: string) => new OssObjectStore({ bucket, region, endpoint: env[ENV.ossEndpoint], ...credentials });
  const code = make(codeBucket);
  const runs = make(runsBucket);
  return {
    code,
    runs,
    refreshCredentials(req) {
      const accessKeyId = header(req, 'x-fc-access-key-id');
      const accessKeySecret = header(req, 'x-fc-access-key-secret');
      if (!accessKeyId || !accessKeySecret) return;
      const fresh = { accessKeyId, accessKeySecret, stsToken: header(req, 'x-fc-security-token') };
      code.setCredentials(fresh);
      runs.setCredentials(fresh);
    },
  };
}
