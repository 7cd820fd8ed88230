/**
 * The local platform as `npm start` runs it (API in this process, executor instances as child processes, folder
 * buckets), with STORE_REQUEST_LOG set so that both handlers log each storage request to one file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ENV } from '../core/config';
import { ExecutorInstance } from '../local/executorInstance';
import { startLocalPlatform } from '../local/platform';
import { DEFAULT_WORK_ROOT } from '../local/settings';
import { claimUidBlock } from '../local/uidBlock';
import { timedStart, type BenchTarget, type StorageRecord } from './benchTarget';

export async function startLocalTarget(executors: number, isolation: 'auto' | 'bwrap' | 'uid' = 'auto'): Promise<BenchTarget> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-bench-'));
  const log = path.join(dataDir, 'requests.jsonl');
  const platform = await startLocalPlatform({ port: 0, dataDir: path.join(dataDir, 'data'), executors, isolation, handlerEnv: { [ENV.storeRequestLog]: log } });
  let read = 0;
  const records: StorageRecord[] = [];
  return {
    label: 'local',
    mode: 'local',
    url: platform.url,
    isolation: platform.isolation,
    executors,
    latencyMs: 0,
    triggerDelayMs: 0,
    apiPid: process.pid,
    executorPids: () => platform.instances.map((i) => i.pid).filter((pid): pid is number => pid !== undefined),
    requests() {
      // Read what was appended since the last call (whole lines only).
      const text = fs.existsSync(log) ? fs.readFileSync(log).subarray(read).toString('utf8') : '';
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      read += Buffer.byteLength(complete);
      for (const line of complete.split('\n')) {
        if (!line) continue;
        const r = JSON.parse(line) as StorageRecord & { pid: number };
        records.push({ at: r.at, who: r.pid === process.pid ? 'api' : 'executor', kind: r.kind, key: r.key, bytes: r.bytes });
      }
      return records;
    },
    async coldStart() {
      const uids = claimUidBlock(2);
      const instance = new ExecutorInstance({
        entry: path.resolve(__dirname, '../executor/index.js'),
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          [ENV.store]: 'fs',
          [ENV.dataDir]: path.join(dataDir, 'cold'),
          [ENV.isolation]: platform.isolation,
          [ENV.sandboxUidBase]: String(uids.base),
          [ENV.sandboxUidCount]: '2',
          [ENV.workRoot]: `${DEFAULT_WORK_ROOT}-bench-cold`,
        },
      });
      try {
        return await timedStart(instance);
      } finally {
        uids.release();
      }
    },
    async stop() {
      await platform.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
