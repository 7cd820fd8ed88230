/**
 * The two buckets, from the handler's environment: OSS in FC (credentials from the runtime, refreshed from each
 * request's `x-fc-*` headers), folders on the local platform.
 */
import type { IncomingMessage } from 'http';
import * as path from 'path';
import { FsObjectStore } from '../adapters/storage/fsStore';
import { OssObjectStore } from '../adapters/storage/ossStore';
import { ENV, VARIABLES } from '../core/config';
import type { ConfigReader } from '../core/configReader';
import type { ObjectStore } from '../core/ports';
import { header } from './http';

export interface Buckets {
  code: ObjectStore;
  runs: ObjectStore;
  /** Picks up the per-request STS credentials FC sends (no-op for folders). */
  refreshCredentials(req: IncomingMessage): void;
}

const STORE_VARIABLES = {
  store: VARIABLES.store,
  dataDir: VARIABLES.dataDir,
  codeBucket: VARIABLES.codeBucket,
  runsBucket: VARIABLES.runsBucket,
  ossRegion: VARIABLES.ossRegion,
  ossEndpoint: VARIABLES.ossEndpoint,
  accessKeyId: VARIABLES.accessKeyId,
  accessKeySecret: VARIABLES.accessKeySecret,
  securityToken: VARIABLES.securityToken,
};

/**
 * Reads the storage variables into `config`, then throws every problem it holds, the caller's own variables
 * included: nothing starts without its buckets, so this is where a handler's configuration is complete.
 */
export function bucketsFromEnv(config: ConfigReader): Buckets {
  const env = config.readAll(STORE_VARIABLES);
  if (env.store === 'oss' && env.ossRegion === undefined) config.fail(ENV.ossRegion, 'required when STORE=oss');
  config.check();
  if (env.store === 'fs') {
    const root = path.resolve(env.dataDir);
    return {
      code: new FsObjectStore({ root, bucket: env.codeBucket }),
      runs: new FsObjectStore({ root, bucket: env.runsBucket }),
      refreshCredentials: () => undefined,
    };
  }
  const region = env.ossRegion as string;
  const credentials = { accessKeyId: env.accessKeyId, accessKeySecret: env.accessKeySecret, stsToken: env.securityToken };
  const make = (bucket: string) => new OssObjectStore({ bucket, region, endpoint: env.ossEndpoint, ...credentials });
  const code = make(env.codeBucket);
  const runs = make(env.runsBucket);
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
