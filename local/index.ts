/**
 * `npm start`: the local platform on one machine. Its environment is read by local/settings.ts (PORT, DATA_DIR,
 * EXECUTORS (or EXECUTORS_MIN, EXECUTORS_MAX, EXECUTOR_MEMORY_MIB, EXECUTORS_SPARE, EXECUTOR_IDLE_MS), API_TOKEN, CORS_ORIGIN, API_TIMEOUT_MS, LIFECYCLE_MS, ISOLATION, ALLOW_NETWORK, WORK_ROOT, HOST, LOG, and the run
 * limits' and sandbox switches' variables, passed on to the handlers); a bad value stops it before anything starts.
 */
import { requireRoot } from '../adapters/process/requireRoot';
import { startLocalPlatform } from './platform';
import type { PoolSettings } from './poolPolicy';
import { reachableUrls } from './reachableUrls';
import { readLocalSettings } from './settings';

function executorsNote(pool: PoolSettings, fixed: boolean): string {
  if (fixed) return `${pool.max} (fixed: EXECUTORS)`;
  return `${pool.min} warm, scaling with demand up to ${pool.max}, ${pool.spare} spare ahead, idle ones stopped after ${pool.idleMs / 1000} s`;
}

async function main(): Promise<void> {
  const settings = readLocalSettings(process.env);
  requireRoot('the local platform');
  const platform = await startLocalPlatform({ ...settings, log: settings.log ? (r) => console.log(JSON.stringify(r)) : undefined });
  const isolationNote =
    platform.isolation === 'bwrap'
      ? 'bwrap (namespaces + unprivileged uid + rlimits)'
      : 'uid only: bwrap unavailable, so no namespaces; unprivileged uid + rlimits + cleanup still hold';
  const port = Number(new URL(platform.url).port);
  const urls = reachableUrls(settings.host ?? '127.0.0.1', port);
  const open = urls.some((u) => !/^http:\/\/(127\.|\[::1\]|localhost)/.test(u));
  console.log(`pocketrun local platform
  url:        ${urls.join('\n              ')}
  data:       ${platform.dataDir}
  executors:  ${executorsNote(platform.pool.settings, settings.executors !== undefined)}
  isolation:  ${isolationNote}
  api token:  ${settings.apiToken ? 'required' : 'not required'}
Ctrl-C (or SIGTERM) stops everything; a second one forces the stop.`);
  if (open && !settings.apiToken) {
    // Listening beyond this machine with no token: anyone on the network may run programs here.
    console.log(`
  !!! WARNING: listening on ${settings.host} with no API_TOKEN: anyone who can reach this machine can run code
  !!! on it. Set API_TOKEN=<a long random string> (the page asks for it once) unless this network is yours alone.`);
  }

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
