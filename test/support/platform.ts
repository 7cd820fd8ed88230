/** Starts a real local platform (API server, executor processes, folder buckets) in a fresh data folder. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from '../../local/platform';
import { ApiClient } from './client';

export const ROOT = path.resolve(__dirname, '../..');
export const EXECUTOR_ENTRY = path.join(ROOT, 'dist/executor/index.js');

export interface TestPlatform {
  platform: LocalPlatform;
  client: ApiClient;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestPlatform(options: LocalPlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-test-'));
  // As `./.data` would be under a 022 umask: the platform itself must close it.
  fs.chmodSync(dataDir, 0o755);
  const platform = await startLocalPlatform({
    port: 0,
    dataDir,
    executors: 2,
    executorEntry: EXECUTOR_ENTRY,
    retryBaseMs: 200,
    ...options,
  });
  return {
    platform,
    client: new ApiClient(platform.url, options.apiToken),
    dataDir,
    async stop() {
      await platform.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
