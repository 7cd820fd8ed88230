/**
 * The executor function: an HTTP server on port 9000 that FC calls with `POST /invoke` for each OSS event (body =
 * the event JSON). It claims the run, runs the program in the sandbox under a PTY, streams it to the runs bucket,
 * and answers once the run is over. One run per instance (`instanceConcurrency: 1`).
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import * as os from 'os';
import { createSandbox } from '../adapters/sandbox/sandbox';
import { resolveInterpreter } from '../adapters/sandbox/resolveInterpreter';
import { PipeSpawner } from '../adapters/process/pipeSpawner';
import { PtySpawner } from '../adapters/process/ptySpawner';
import { ENV, intFromEnv, limitPolicyFromEnv } from '../core/config';
import { systemClock } from '../core/ports';
import type { OssEvent } from '../core/protocol';
import { keys, runIdFromManifestKey } from '../core/protocol';
import { handleRunEvent, type ExecutorDeps, type InvokeOutcome } from '../core/run';
import { header, logLine, readBody, sendJson } from './http';
import { bucketsFromEnv, type Buckets } from './stores';

/** OSS events are small; anything bigger is not one. */
const MAX_EVENT_BYTES = 128 * 1024;

export interface ExecutorServerOptions {
  deps: ExecutorDeps;
  /** Aborted when the instance stops: runs in flight end as `killed` and are recorded. */
  shutdown?: AbortSignal;
  refreshCredentials?: Buckets['refreshCredentials'];
  /** Called when the sandbox can no longer take runs: the process should go. */
  onUnusable?: () => void;
}

function manifestRunIds(body: unknown): string[] {
  const events = (body as OssEvent | null)?.events;
  if (!Array.isArray(events)) return [];
  return events.flatMap((e) => {
    const key = e?.oss?.object?.key;
    const id = typeof key === 'string' ? runIdFromManifestKey(decodeURIComponent(key)) : null;
    return id ? [id] : [];
  });
}

export function createExecutorServer(options: ExecutorServerOptions): http.Server {
  const { deps } = options;
  return http.createServer((req, res) => {
    const requestId = header(req, 'x-fc-request-id') ?? randomUUID();
    const started = Date.now();
    void (async () => {
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/invoke') {
        sendJson(res, 404, { error: { code: 'not_found', message: 'path: the executor only answers POST /invoke' } }, { 'x-fc-status': '404' });
        return;
      }
      if (!deps.sandbox.ready) {
        // This instance cannot prove a clean cell for the next user: refuse (FC retries the event elsewhere) and
        // leave, so that FC (or the local platform) replaces the instance.
        logLine({ event: 'invoke_refused', requestId, reason: 'sandbox not ready' });
        sendJson(res, 503, { error: { code: 'unavailable', message: 'sandbox: no clean sandbox uid left on this instance' } }, { 'x-fc-status': '404' });
        options.onUnusable?.();
        return;
      }
      try {
        options.refreshCredentials?.(req);
        let body: unknown;
        try {
          body = JSON.parse((await readBody(req, MAX_EVENT_BYTES)).toString('utf8'));
        } catch {
          // Not an OSS event: retrying would not help, so this is answered as handled.
          logLine({ event: 'invoke', requestId, outcome: 'ignored', reason: 'malformed event' });
          sendJson(res, 200, { outcomes: [] }, { 'x-fc-status': '200' });
          return;
        }
        const outcomes: Array<{ runId: string; outcome: InvokeOutcome }> = [];
        for (const runId of manifestRunIds(body)) {
          outcomes.push({ runId, outcome: await handleRunEvent(deps, runId, requestId, options.shutdown) });
        }
        logLine({ event: 'invoke', requestId, outcomes, ms: Date.now() - started });
        sendJson(res, 200, { outcomes }, { 'x-fc-status': '200' });
        if (!deps.sandbox.ready) options.onUnusable?.();
      } catch (err) {
        // Storage failed before the run could be closed: a function error makes FC retry, and the claim makes the
        // retry safe.
        logLine({ event: 'invoke_failed', requestId, error: err instanceof Error ? err.message : String(err), ms: Date.now() - started });
        sendJson(res, 500, { error: { code: 'internal_error', message: 'invocation failed' } }, { 'x-fc-status': '404' });
      }
    })();
  });
}

export async function createExecutorDeps(env: NodeJS.ProcessEnv, buckets: Buckets): Promise<ExecutorDeps> {
  const isolation = (env[ENV.isolation] ?? 'auto') as 'auto' | 'bwrap' | 'uid';
  const uidBase = intFromEnv(env, ENV.sandboxUidBase, 20000);
  // Two uids at least, used in turn: the next run never gets the previous run's uid.
  const uidCount = intFromEnv(env, ENV.sandboxUidCount, 2);
  const policy = limitPolicyFromEnv(env);
  const sandbox = await createSandbox({
    isolation,
    uidBase,
    uidCount,
    workRoot: env[ENV.workRoot] ?? '/tmp/pocketrun',
    mounts: onOff(env, ENV.sandboxMounts),
    sharedFolderGuard: onOff(env, ENV.sandboxSharedGuard),
    privateProc: onOff(env, ENV.sandboxPrivateProc),
    diskMaxBytes: policy.diskBytes.max,
    log: (message) => logLine({ event: 'sandbox', message }),
  });
  return {
    code: buckets.code,
    runs: buckets.runs,
    spawners: { pty: new PtySpawner(), pipes: new PipeSpawner() },
    sandbox,
    clock: systemClock,
    policy,
    allowNetwork: env[ENV.allowNetwork] === '1',
    resolveInterpreter: (language) => resolveInterpreter(language.candidates, uidBase, uidBase),
    executorId: `${os.hostname()}:${process.pid}`,
    log: logLine,
  };
}

function onOff(env: NodeJS.ProcessEnv, name: string): 'auto' | 'off' {
  const value = env[name] ?? 'auto';
  if (value !== 'auto' && value !== 'off') throw new Error(`${name}: expected auto or off, got ${JSON.stringify(value)}`);
  return value;
}

/** How long a stopping instance waits for its run to be killed and recorded. */
const SHUTDOWN_GRACE_MS = 5_000;

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<http.Server> {
  const buckets = bucketsFromEnv(env);
  const deps = await createExecutorDeps(env, buckets);
  const shutdown = new AbortController();
  const report = { ...deps.sandbox.report(), executor: deps.executorId, at: new Date().toISOString() };
  // For /api/health: the API never meets an executor, so the newest one leaves its findings in the runs bucket.
  await deps.runs.put(keys.executorReport(), JSON.stringify(report), { contentType: 'application/json' }).catch((err: unknown) =>
    logLine({ event: 'report_failed', error: err instanceof Error ? err.message : String(err) }),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    shutdown.abort();
    // Open invocations finish once their run is recorded; do not wait past the grace.
    const exit = () => void deps.sandbox.close().finally(() => process.exit(0));
    server.close(exit);
    setTimeout(exit, SHUTDOWN_GRACE_MS).unref();
  };
  const server = createExecutorServer({ deps, shutdown: shutdown.signal, refreshCredentials: buckets.refreshCredentials, onUnusable: stop });
  server.listen(Number(env[ENV.port] ?? 9000), () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : undefined;
    logLine({ event: 'listening', function: 'executor', port, ...report });
  });
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
