/**
 * The cloud, simulated: both function bundles (dist/api, dist/executor) with STORE=oss, as FC runs them, against
 * OSS-speaking servers (local/ossEmulator) that add `latencyMs` of round trip to every request; the OSS trigger
 * invokes an executor instance `triggerDelayMs` after the manifest's PutObject, one event per instance at a time
 * (FC's instance concurrency 1). Requests are counted where OSS would bill them: at the servers, attributed by the
 * access key that signed them (the API's, or an executor's from its environment or its invocation's headers).
 */
import * as fs from 'fs';
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';
import type { RequestKind } from '../adapters/storage/countRequests';
import { ENV } from '../core/config';
import { HANDLER_NODE_FLAGS } from '../core/handlerNodeFlags';
import { ossPutEvent, runIdFromManifestKey, type OssEvent } from '../core/protocol';
import { ExecutorInstance } from '../local/executorInstance';
import { FakeOssServer, type RecordedRequest } from '../local/ossEmulator/fakeOssServer';
import { startOssEndpoint } from '../local/ossEmulator/ossEndpoint';
import { DEFAULT_WORK_ROOT } from '../local/settings';
import { claimUidBlock, type UidBlock } from '../local/uidBlock';
import { timedStart, type BenchTarget, type StorageRecord } from './benchTarget';

const REGION = 'oss-cn-hangzhou';
const API_KEY = { accessKeyId: 'BENCH-API', accessKeySecret: 'bench-api-secret' };
const EXECUTOR_KEY = { accessKeyId: 'BENCH-EXECUTOR', accessKeySecret: 'bench-executor-secret' };
/** What local/executorInstance.ts sends in every invocation's x-fc-* headers. */
const INVOCATION_KEY = { accessKeyId: 'LOCAL-PLACEHOLDER-KEY-ID', accessKeySecret: 'LOCAL-PLACEHOLDER-KEY-SECRET', stsToken: 'LOCAL-PLACEHOLDER-TOKEN' };

export interface CloudOptions {
  latencyMs: number;
  triggerDelayMs: number;
  executors: number;
  isolation: string;
}

function kindOf(r: RecordedRequest): RequestKind {
  if (r.key === '') return 'LIST';
  if (r.method === 'POST') return 'APPEND';
  return r.method as RequestKind;
}

/** Starts a bundle and resolves its port once it logs that it listens. */
function startBundle(entry: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  // As FC starts it (infra/customRuntime.ts).
  const child = spawn(process.execPath, [...HANDLER_NODE_FLAGS, entry], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      // BENCH_LOG=file keeps the bundles' log records, the executors' too (to read where an outlier's time went).
      if (process.env.BENCH_LOG) fs.appendFileSync(process.env.BENCH_LOG, `${line}\n`);
      try {
        const record = JSON.parse(line) as { event?: string; port?: number };
        if (record.event === 'listening' && record.port) resolve({ child, port: record.port });
      } catch {
        // not a log record
      }
    });
  });
}

export async function startCloudTarget(options: CloudOptions): Promise<BenchTarget> {
  const stops: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await Promise.resolve(step()).catch(() => undefined);
  };
  try {
    const credentials = [API_KEY, EXECUTOR_KEY, INVOCATION_KEY];
    const queue: OssEvent[] = [];
    const idle: ExecutorInstance[] = [];
    const pump = () => {
      while (queue.length > 0 && idle.length > 0) {
        const instance = idle.shift()!;
        void instance.invoke(queue.shift()!).finally(() => {
          idle.push(instance);
          pump();
        });
      }
    };
    const code = await FakeOssServer.start({
      bucket: 'code',
      credentials,
      latencyMs: options.latencyMs,
      onObjectCreated: (key, object) => {
        if (!runIdFromManifestKey(key)) return;
        const event = ossPutEvent('code', key, object.data.length, object.etag, 'cn-hangzhou');
        setTimeout(() => {
          queue.push(event);
          pump();
        }, options.triggerDelayMs);
      },
    });
    stops.push(() => code.close());
    const runs = await FakeOssServer.start({ bucket: 'runs', credentials, latencyMs: options.latencyMs });
    stops.push(() => runs.close());
    const endpoint = await startOssEndpoint([code, runs]);
    stops.push(() => endpoint.close());
    const ossEnv = (key: { accessKeyId: string; accessKeySecret: string }) => ({
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      [ENV.store]: 'oss',
      [ENV.ossRegion]: REGION,
      [ENV.ossEndpoint]: endpoint.url,
      [ENV.codeBucket]: 'code',
      [ENV.runsBucket]: 'runs',
      [ENV.accessKeyId]: key.accessKeyId,
      [ENV.accessKeySecret]: key.accessKeySecret,
    });
    const dist = path.resolve(__dirname, '..');
    const api = await startBundle(path.join(dist, 'api', 'index.js'), { ...ossEnv(API_KEY), [ENV.port]: '0', [ENV.executorIsolation]: options.isolation });
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          if (api.child.exitCode !== null) return resolve();
          api.child.once('exit', () => resolve());
          api.child.kill('SIGTERM');
        }),
    );
    const uidBlocks: UidBlock[] = [];
    stops.push(() => uidBlocks.forEach((b) => b.release()));
    const makeInstance = (workRoot: string) => {
      const uids = claimUidBlock(2);
      uidBlocks.push(uids);
      return new ExecutorInstance({
        entry: path.join(dist, 'executor', 'index.js'),
        env: {
          ...ossEnv(EXECUTOR_KEY),
          [ENV.isolation]: options.isolation,
          [ENV.sandboxUidBase]: String(uids.base),
          [ENV.sandboxUidCount]: '2',
          [ENV.workRoot]: workRoot,
        },
        onLog: (line) => {
          if (process.env.BENCH_LOG) fs.appendFileSync(process.env.BENCH_LOG, `${line}\n`);
        },
      });
    };
    const instances = Array.from({ length: options.executors }, () => makeInstance(`${DEFAULT_WORK_ROOT}-bench-cloud`));
    stops.push(() => Promise.all(instances.map((i) => i.stop())).then(() => undefined));
    await Promise.all(instances.map((i) => i.start()));
    idle.push(...instances);

    return {
      label: `cloud ${options.latencyMs} ms`,
      mode: 'cloud',
      url: `http://127.0.0.1:${api.port}`,
      isolation: options.isolation,
      executors: options.executors,
      latencyMs: options.latencyMs,
      triggerDelayMs: options.triggerDelayMs,
      apiPid: api.child.pid!,
      executorPids: () => instances.map((i) => i.pid).filter((pid): pid is number => pid !== undefined),
      requests: (): StorageRecord[] =>
        [...code.requests, ...runs.requests]
          .map((r) => ({
            at: r.at,
            who: String(r.headers.authorization ?? '').startsWith(`OSS ${API_KEY.accessKeyId}:`) ? ('api' as const) : ('executor' as const),
            kind: kindOf(r),
            key: r.key === '' ? (r.query.prefix ?? '') : r.key,
            bytes: r.method === 'PUT' || r.method === 'POST' ? r.bodyBytes : 0,
            status: r.status,
          }))
          .sort((a, b) => a.at - b.at),
      async coldStart() {
        return timedStart(makeInstance(`${DEFAULT_WORK_ROOT}-bench-cold`));
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
