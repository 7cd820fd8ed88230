/**
 * The executor function: an HTTP server on port 9000 that FC calls with `POST /invoke` for each OSS event (body =
 * the event JSON). It claims the run, runs the program in the sandbox under a PTY, streams it to the runs bucket,
 * and answers once the run is over. One run per instance (`instanceConcurrency: 1`).
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type * as net from 'net';
import * as os from 'os';
import { createSandbox, resolveInterpreter } from '../adapters/sandbox';
import { PipeSpawner } from '../adapters/pipeSpawner';
import { PtySpawner } from '../adapters/ptySpawner';
import { rootPeerVerdict, type PeerVerdict } from '../adapters/socketPeer';
import { ApiError } from '../core/apiError';
import { ENV, intFromEnv, limitPolicyFromEnv } from '../core/config';
import { systemClock } from '../core/ports';
import type { OssEvent } from '../core/protocol';
import { runIdFromManifestKey } from '../core/protocol';
import { handleRunEvent, type ExecutorDeps, type InvokeOutcome } from '../core/run';
import { answerClientErrors, header, logLine, parseTarget, readBody, requireHost, sendJson, SERVER_OPTIONS } from './http';
import { INVOKE_SECRET_ENV, INVOKE_SECRET_HEADER, LISTEN_HOST_ENV, secretMatches } from './invokeGate';
import { bucketsFromEnv, type Buckets } from './stores';

/** OSS events are small; anything bigger is not one. */
const MAX_EVENT_BYTES = 128 * 1024;

export interface ExecutorServerOptions {
  deps: ExecutorDeps;
  /** Aborted when the instance stops: runs in flight end as `killed` and are recorded. */
  shutdown?: AbortSignal;
  refreshCredentials?: Buckets['refreshCredentials'];
  /** When set, every invocation must carry it in `x-pocketrun-invoke-secret` (the local trigger; see invokeGate.ts). */
  invokeSecret?: string;
  /** Whether a connection may be served at all; default: not when its other end is a local non-root socket. */
  acceptPeer?: (socket: net.Socket) => PeerVerdict;
}

function manifestRunIds(body: unknown): string[] {
  const events = (body as OssEvent | null)?.events;
  if (!Array.isArray(events)) return [];
  return events.flatMap((e) => {
    const key = e?.oss?.object?.key;
    const id = typeof key === 'string' ? runIdFromManifestKey(decodedKey(key)) : null;
    return id ? [id] : [];
  });
}

/** OSS events carry keys URL-encoded; a key that does not decode names no manifest (and must not throw). */
function decodedKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return '';
  }
}

const FC_STATUS = (status: number) => ({ 'x-fc-status': status === 200 ? '200' : '404' });

export function createExecutorServer(options: ExecutorServerOptions): http.Server {
  const { deps } = options;
  const acceptPeer = options.acceptPeer ?? rootPeerVerdict;
  // Judged once per connection, as it is accepted: the peer's socket is surely still open then.
  const verdicts = new WeakMap<net.Socket, PeerVerdict>();
  const refuse = (res: http.ServerResponse, requestId: string, message: string) => {
    logLine({ event: 'invoke_refused', requestId, reason: message });
    sendJson(res, 403, { error: { code: 'forbidden', message } }, { ...FC_STATUS(403), connection: 'close' });
  };
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = Date.now();
    let requestId: string = randomUUID();
    // Everything that reads the request is inside the guard: a broken request must not take the instance (and
    // the run on it) down.
    try {
      requestId = header(req, 'x-fc-request-id') ?? requestId;
      const verdict = verdicts.get(req.socket) ?? acceptPeer(req.socket);
      if (!verdict.ok) return refuse(res, requestId, `peer: ${verdict.reason}; only the platform may call the executor`);
      requireHost(req);
      const url = parseTarget(req.url);
      if (req.method !== 'POST' || url.pathname !== '/invoke') {
        sendJson(res, 404, { error: { code: 'not_found', message: 'path: the executor only answers POST /invoke' } }, FC_STATUS(404));
        return;
      }
      if (options.invokeSecret !== undefined && !secretMatches(header(req, INVOKE_SECRET_HEADER), options.invokeSecret)) {
        return refuse(res, requestId, `${INVOKE_SECRET_HEADER}: missing or wrong; only the platform's trigger may invoke the executor`);
      }
      // Only now: a refused caller must not get to swap the credentials the run in flight writes with.
      options.refreshCredentials?.(req);
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req, MAX_EVENT_BYTES)).toString('utf8'));
      } catch {
        // Not an OSS event: retrying would not help, so this is answered as handled.
        logLine({ event: 'invoke', requestId, outcome: 'ignored', reason: 'malformed event' });
        sendJson(res, 200, { outcomes: [] }, FC_STATUS(200));
        return;
      }
      const outcomes: Array<{ runId: string; outcome: InvokeOutcome }> = [];
      for (const runId of manifestRunIds(body)) {
        outcomes.push({ runId, outcome: await handleRunEvent(deps, runId, requestId, options.shutdown) });
      }
      logLine({ event: 'invoke', requestId, outcomes, ms: Date.now() - started });
      sendJson(res, 200, { outcomes }, FC_STATUS(200));
    } catch (err) {
      if (err instanceof ApiError) {
        sendJson(res, err.status, err.toBody(), FC_STATUS(err.status));
        return;
      }
      // Storage failed before the run could be closed: a function error makes FC retry, and the claim makes the
      // retry safe.
      logLine({ event: 'invoke_failed', requestId, error: err instanceof Error ? err.message : String(err), ms: Date.now() - started });
      sendJson(res, 500, { error: { code: 'internal_error', message: 'invocation failed' } }, FC_STATUS(500));
    }
  };
  const server = http.createServer(SERVER_OPTIONS, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      process.stderr.write(`executor: request handler failed: ${err instanceof Error ? err.message : String(err)}\n`);
      res.destroy();
    });
  });
  server.on('connection', (socket: net.Socket) => verdicts.set(socket, acceptPeer(socket)));
  answerClientErrors(server, FC_STATUS(400));
  return server;
}

export async function createExecutorDeps(env: NodeJS.ProcessEnv, buckets: Buckets): Promise<ExecutorDeps> {
  const isolation = (env[ENV.isolation] ?? 'auto') as 'auto' | 'bwrap' | 'uid';
  const uidBase = intFromEnv(env, ENV.sandboxUidBase, 20000);
  const uidCount = intFromEnv(env, ENV.sandboxUidCount, 1);
  const sandbox = await createSandbox({ isolation, uidBase, uidCount, workRoot: env[ENV.workRoot] ?? '/tmp/pocketrun' });
  return {
    code: buckets.code,
    runs: buckets.runs,
    spawners: { pty: new PtySpawner(), pipes: new PipeSpawner() },
    sandbox,
    clock: systemClock,
    policy: limitPolicyFromEnv(env),
    allowNetwork: env[ENV.allowNetwork] === '1',
    resolveInterpreter: (language) => resolveInterpreter(language.candidates, uidBase, uidBase),
    executorId: `${os.hostname()}:${process.pid}`,
    log: logLine,
  };
}

/** How long a stopping instance waits for its run to be killed and recorded. */
const SHUTDOWN_GRACE_MS = 5_000;

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<http.Server> {
  const buckets = bucketsFromEnv(env);
  const deps = await createExecutorDeps(env, buckets);
  const shutdown = new AbortController();
  const invokeSecret = env[INVOKE_SECRET_ENV] || undefined;
  // Not inherited by anything this process starts (the sandbox builds its programs' environment from scratch anyway).
  delete env[INVOKE_SECRET_ENV];
  const server = createExecutorServer({ deps, shutdown: shutdown.signal, refreshCredentials: buckets.refreshCredentials, invokeSecret });
  const onListening = () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : undefined;
    logLine({ event: 'listening', function: 'executor', port, isolation: deps.sandbox.isolation });
  };
  const port = Number(env[ENV.port] ?? 9000);
  const host = env[LISTEN_HOST_ENV];
  if (host) server.listen(port, host, onListening);
  else server.listen(port, onListening);
  const stop = () => {
    shutdown.abort();
    server.close(() => process.exit(0));
    // Open invocations finish once their run is recorded; do not wait past the grace.
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
}
