/**
 * `npm start`: the local platform on one machine. Environment: PORT (8080), DATA_DIR (./.data), EXECUTORS
 * (instances, default one per core), API_TOKEN (bearer token for /api), CORS_ORIGIN, LIFECYCLE_MS (run data
 * age, default 1 day), ISOLATION (auto | bwrap | uid), ALLOW_NETWORK (0), and the RUN_* limits of core/config.ts.
 */
import { ENV, intFromEnv } from '../core/config';
import * as L from '../core/limits';
import { startLocalPlatform } from './platform';

async function main(): Promise<void> {
  const env = process.env;
  const handlerEnv = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('RUN_') && v !== undefined)) as Record<string, string>;
  const isolation = env[ENV.isolation] ?? 'auto';
  if (!['auto', 'bwrap', 'uid'].includes(isolation)) throw new Error(`ISOLATION: expected auto, bwrap or uid, got ${isolation}`);
  const platform = await startLocalPlatform({
    port: intFromEnv(env, 'PORT', L.DEFAULT_PORT, 0),
    host: env.HOST ?? '127.0.0.1',
    dataDir: env[ENV.dataDir] ?? L.DEFAULT_DATA_DIR,
    executors: env.EXECUTORS ? intFromEnv(env, 'EXECUTORS', 2) : undefined,
    lifecycleMs: intFromEnv(env, 'LIFECYCLE_MS', L.DEFAULT_LIFECYCLE_MS),
    apiToken: env.API_TOKEN || undefined,
    corsOrigin: env[ENV.corsOrigin] || undefined,
    isolation: isolation as 'auto' | 'bwrap' | 'uid',
    allowNetwork: env[ENV.allowNetwork] === '1',
    handlerEnv,
    log: env.LOG === '1' ? (r) => console.log(JSON.stringify(r)) : undefined,
  });
  const isolationNote =
    platform.isolation === 'bwrap'
      ? 'bwrap (namespaces + unprivileged uid + rlimits)'
      : 'uid only: bwrap unavailable, so no namespaces; unprivileged uid + rlimits + cleanup still hold';
  console.log(`pocketrun local platform
  url:        ${platform.url}
  data:       ${platform.dataDir}
  executors:  ${platform.instances.length}
  isolation:  ${isolationNote}
  api token:  ${env.API_TOKEN ? 'required' : 'not required'}
Ctrl-C stops everything.`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping (runs in flight are killed and recorded)...`);
    platform.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error(`pocketrun: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
