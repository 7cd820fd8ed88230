/**
 * The two buckets, from the handler's environment: OSS in FC (credentials from the runtime, refreshed from each
 * request's `x-fc-*` headers), folders on the local platform.
 */
import * as fs from 'fs';
import type { IncomingMessage } from 'http';
import * as path from 'path';
import { countRequests } from '../adapters/storage/countRequests';
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
  requestLog: VARIABLES.storeRequestLog,
};

/**
 * With STORE_REQUEST_LOG, every request of `store` becomes a line of that file (appended synchronously: a few
 * microseconds, and only when the bench asks; lines of concurrent processes do not interleave, O_APPEND).
 */
function counted<S extends ObjectStore>(store: S, file: string | undefined): S {
  if (!file) return store;
  return countRequests(store, (request) => fs.appendFileSync(file, JSON.stringify({ at: Date.now(), pid: process.pid, ...request }) + '\n'));
}

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
      code: counted(new FsObjectStore({ root, bucket: env.codeBucket }), env.requestLog),
      runs: counted(new FsObjectStore({ root, bucket: env.runsBucket }), env.requestLog),
      refreshCredentials: () => undefined,
    };
  }
  const region = env.ossRegion as string;
  const credentials = { accessKeyId: env.accessKeyId, accessKeySecret: env.accessKeySecret, stsToken: env.securityToken };
  const make = (bucket: string) => new OssObjectStore({ bucket, region, endpoint: env.ossEndpoint, ...credentials });
  const code = make(env.codeBucket);
  const runs = make(env.runsBucket);
  return {
    code: counted(code, env.requestLog),
    runs: counted(runs, env.requestLog),
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
