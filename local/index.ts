/**
 * `npm start`: the local platform on one machine. Environment: PORT (8080), DATA_DIR (./.data), EXECUTORS
 * (instances, default one per core), API_TOKEN (bearer token for /api), CORS_ORIGIN, LIFECYCLE_MS (run data
 * age, default 1 day), ISOLATION (auto | bwrap | uid), ALLOW_NETWORK (0), WORK_ROOT (run folders, default
 * <tmp>/pocketrun), and the RUN_* limits of core/config.ts.
 */
import { ENV, intFromEnv } from '../core/config';
import * as L from '../core/limits';
import { startLocalPlatform } from './platform';

async function main(): Promise<void> {
  const env = process.env;
  // The run limits and the sandbox's switches go to the handlers as FC's function environment would carry them.
  const handlerEnv = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => (k.startsWith('RUN_') || [ENV.sandboxMounts, ENV.sandboxSharedGuard, ENV.sandboxPrivateProc, ENV.sandboxMemoryCgroup].includes(k as never)) && v !== undefined),
  ) as Record<string, string>;
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
    workRoot: env[ENV.workRoot] || undefined,
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
Ctrl-C (or SIGTERM) stops everything; a second one forces the stop.`);

  // SIGINT and SIGTERM alike (Ctrl-C; systemd, docker stop): the first stops gracefully, a second one during that
  // stop forces it. Either way the executors' programs are killed and swept and runs in flight recorded.
  let forced = false;
  let stopping: Promise<void> | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) {
      console.log(`\n${signal}: stopping (runs in flight are killed and recorded)...`);
      stopping = platform.stop().then(
        () => finish(0),
        (err: unknown) => {
          console.error(`pocketrun: stop failed: ${err instanceof Error ? err.message : String(err)}`);
          finish(1);
        },
      );
      return;
    }
    if (forced) return;
    forced = true;
    console.log(`${signal} again: forcing the stop (executors killed, their programs swept, runs in flight recorded as killed)...`);
    void platform.kill();
  };
  const finish = (code: number) => {
    console.log(forced ? 'pocketrun: stopped (forced)' : 'pocketrun: stopped');
    process.exit(forced ? 1 : code);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err) => {
  console.error(`pocketrun: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
