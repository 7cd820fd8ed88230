/**
 * The executor function: an HTTP server on port 9000 that FC calls with `POST /invoke` for each OSS event (body =
 * the event JSON). It claims the run, runs the program in the sandbox under a PTY, streams it to the runs bucket,
 * and answers once the run is over. One run per instance (`instanceConcurrency: 1`).
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import type * as net from 'net';
import * as os from 'os';
import { HostFacts } from '../adapters/sandbox/hostFacts';
import { createSandbox } from '../adapters/sandbox/sandbox';
import { permitsExecution } from '../adapters/sandbox/resolveInterpreter';
import { findTool, systemTool } from '../adapters/process/systemTools';
import { PipeSpawner } from '../adapters/process/pipeSpawner';
import { PtySpawner } from '../adapters/process/ptySpawner';
import { requireRoot } from '../adapters/process/requireRoot';
import { rootPeerVerdict, type PeerVerdict } from '../adapters/process/socketPeer';
import { ApiError } from '../core/apiError';
import { ENV, VARIABLES } from '../core/config';
import { ConfigReader, type ValuesOf } from '../core/configReader';
import { readLimitPolicy, type LimitPolicy } from '../core/limitPolicy';
import { LANGUAGES, type Language } from '../core/languages';
import * as L from '../core/limits';
import { RuntimeProbe, runtimeInfo, type SharedToolResults, type ToolResult } from '../core/runtimeProbe';
import { loadTypeScriptTranspiler, transpileTypeScript } from '../core/transpileTypeScript';
import { systemClock } from '../core/ports';
import type { OssEvent, RuntimesDoc } from '../core/protocol';
import { keys, runIdFromManifestKey } from '../core/protocol';
import { handleRunEvent, type ExecutorDeps, type InvokeOutcome } from '../core/run';
import { answerClientErrors, header, logLine, parseTarget, readBody, requireBodyLength, requireHost, sendJson, SERVER_OPTIONS } from './http';
import { INVOKE_SECRET_HEADER, secretMatches } from './invokeGate';
import { StartTimeline } from './startTimeline';
import { executorBuild, RuntimesReport } from './runtimesReport';
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
  /** Called when the sandbox can no longer take runs: the process should go. */
  onUnusable?: () => void;
  /** Told when an accepted invocation's runs start and when they are over (the runtimes report probes when idle). */
  activity?: { runStarted(): void; runEnded(): void };
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
  const stopping = () => options.shutdown?.aborted === true;
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = Date.now();
    let requestId: string = randomUUID();
    // A stopping instance closes each connection after its answer, so that the server's close completes as soon
    // as the last run is recorded rather than when idle keep-alive connections time out.
    const answer = (status: number, body: unknown, extra: Record<string, string> = {}) =>
      sendJson(res, status, body, { ...FC_STATUS(status), ...(stopping() ? { connection: 'close' } : {}), ...extra });
    const refuse = (message: string) => {
      logLine({ event: 'invoke_refused', requestId, reason: message });
      answer(403, { error: { code: 'forbidden', message } }, { connection: 'close' });
    };
    // Everything that reads the request is inside the guard: a broken request must not take the instance (and
    // the run on it) down.
    try {
      requestId = header(req, 'x-fc-request-id') ?? requestId;
      const verdict = verdicts.get(req.socket) ?? acceptPeer(req.socket);
      if (!verdict.ok) return refuse(`peer: ${verdict.reason}; only the platform may call the executor`);
      requireHost(req);
      requireBodyLength(req);
      const url = parseTarget(req.url);
      if (req.method !== 'POST' || url.pathname !== '/invoke') {
        answer(404, { error: { code: 'not_found', message: 'path: the executor only answers POST /invoke' } });
        return;
      }
      if (options.invokeSecret !== undefined && !secretMatches(header(req, INVOKE_SECRET_HEADER), options.invokeSecret)) {
        return refuse(`${INVOKE_SECRET_HEADER}: missing or wrong; only the platform's trigger may invoke the executor`);
      }
      if (stopping()) {
        // Not claimed, so not lost: a function error makes the caller deliver it again, to another instance.
        answer(503, { error: { code: 'unavailable', message: 'instance: stopping; deliver the event elsewhere' } });
        return;
      }
      if (!deps.sandbox.ready) {
        // This instance cannot prove a clean cell for the next user: refuse (the event is delivered again,
        // elsewhere) and leave, so that FC (or the local platform) replaces the instance.
        logLine({ event: 'invoke_refused', requestId, reason: 'sandbox not ready' });
        answer(503, { error: { code: 'unavailable', message: 'sandbox: too few clean sandbox uids left on this instance' } });
        options.onUnusable?.();
        return;
      }
      // Only now: a refused caller must not get to swap the credentials the run in flight writes with.
      options.refreshCredentials?.(req);
      let body: unknown;
      try {
        body = JSON.parse((await readBody(req, MAX_EVENT_BYTES)).toString('utf8'));
      } catch {
        // Not an OSS event: retrying would not help, so this is answered as handled.
        logLine({ event: 'invoke', requestId, outcome: 'ignored', reason: 'malformed event' });
        answer(200, { outcomes: [] });
        return;
      }
      const outcomes: Array<{ runId: string; outcome: InvokeOutcome }> = [];
      // Answered only once every run is over AND its cell cleaned up (handleRunEvent resolves after the dispose that
      // follows the final status, core/run.ts): the answer is what frees this instance for its next event (FC's
      // instanceConcurrency 1; local/asyncInvoker.ts), so the next run never starts beside this one's clean-up.
      options.activity?.runStarted();
      try {
        for (const runId of manifestRunIds(body)) {
          outcomes.push({ runId, outcome: await handleRunEvent(deps, runId, requestId, options.shutdown) });
        }
      } finally {
        options.activity?.runEnded();
      }
      logLine({ event: 'invoke', requestId, outcomes, ms: Date.now() - started });
      answer(200, { outcomes });
      if (!deps.sandbox.ready) options.onUnusable?.();
    } catch (err) {
      if (err instanceof ApiError) {
        answer(err.status, err.toBody(), { ...err.headers });
        return;
      }
      // Storage failed before the run could be closed: a function error makes FC retry, and the claim makes the
      // retry safe.
      logLine({ event: 'invoke_failed', requestId, error: err instanceof Error ? err.message : String(err), ms: Date.now() - started });
      answer(500, { error: { code: 'internal_error', message: 'invocation failed' } });
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

/** What the executor reads from its environment besides its buckets and the limit policy. */
const EXECUTOR_VARIABLES = {
  isolation: VARIABLES.isolation,
  uidBase: VARIABLES.sandboxUidBase,
  uidCount: VARIABLES.sandboxUidCount,
  workRoot: VARIABLES.workRoot,
  mounts: VARIABLES.sandboxMounts,
  sharedFolderGuard: VARIABLES.sandboxSharedGuard,
  privateProc: VARIABLES.sandboxPrivateProc,
  memoryCgroups: VARIABLES.sandboxMemoryCgroup,
  hostFacts: VARIABLES.sandboxHostFacts,
  allowNetwork: VARIABLES.allowNetwork,
  port: VARIABLES.port,
  listenHost: VARIABLES.listenHost,
  invokeSecret: VARIABLES.invokeSecret,
  lifeline: VARIABLES.lifeline,
};

export type ExecutorSettings = ValuesOf<typeof EXECUTOR_VARIABLES> & { policy: LimitPolicy };

/**
 * The registry as this host can offer it to the sandbox uid: candidates that do not exist, or that the uid's
 * permission bits rule out (pyenv's python under /root), are dropped before the runtime probe spends a spawn on them.
 */
function hostLanguages(uid: number): Language[] {
  return [...LANGUAGES.values()].map((language) => ({
    ...language,
    tools: Object.fromEntries(
      Object.entries(language.tools).map(([name, spec]) => [name, { ...spec, candidates: spec.candidates.filter((c) => permitsExecution(c, uid, uid)) }]),
    ),
  }));
}

export async function createExecutorDeps(settings: ExecutorSettings, buckets: Buckets, shutdown?: AbortSignal, timeline?: StartTimeline): Promise<ExecutorDeps & { runtimes: RuntimeProbe; build: string; hostFacts?: HostFacts }> {
  const { uidBase, policy } = settings;
  const hostFacts = settings.hostFacts ? new HostFacts(settings.hostFacts) : undefined;
  // Judge commands' spawner: it holds each memory cgroup's first process ahead (joinAhead).
  const judge = new PipeSpawner({ stderr: 'separate' });
  const sandbox = await createSandbox({
    isolation: settings.isolation,
    uidBase,
    uidCount: settings.uidCount,
    workRoot: settings.workRoot,
    mounts: settings.mounts,
    sharedFolderGuard: settings.sharedFolderGuard,
    privateProc: settings.privateProc,
    memoryCgroups: settings.memoryCgroups,
    joinAhead: judge,
    diskMaxBytes: policy.diskBytes.max,
    hostFacts,
    log: (message) => logLine({ event: 'sandbox', message }),
    onStep: (step) => timeline?.mark(step),
  });
  const pipes = new PipeSpawner();
  const transforms = { typescript: transpileTypeScript };
  // Nothing is probed yet: a run probes its own language's tools (once per instance), and the full list is the
  // background's (runtimesReport.ts).
  const shell = systemTool('bash');
  if (!shell) throw new Error('executor: bash is needed for the runtime probe');
  const nice = findTool(NICE_CANDIDATES) ?? undefined;
  // What the runtimes list and the shared tools depend on besides the host (hashed once: the bundle is 0.5 MB).
  const build = executorBuild(process.argv[1] ?? '', sandbox.isolation);
  const shared = hostFacts && sharedToolResults(hostFacts, build);
  const runtimes = new RuntimeProbe({ sandbox, spawner: pipes, clock: systemClock, shell, nice, languages: hostLanguages(uidBase), transforms: ['typescript'], shutdown, shared, log: logLine });
  return {
    code: buckets.code,
    runs: buckets.runs,
    spawners: { pty: new PtySpawner({ holdAhead: true }), pipes, judge, split: new PipeSpawner({ stderr: 'separate', usage: false }) },
    sandbox,
    clock: systemClock,
    policy,
    allowNetwork: settings.allowNetwork,
    resolveRuntime: (language) => runtimes.runtime(language),
    transforms,
    executorId: `${os.hostname()}:${process.pid}`,
    log: logLine,
    runtimes,
    build,
    hostFacts,
  };
}

/**
 * The tools found by this host's instances (RuntimeProbe's `shared`), as one host fact: valid for this executor build
 * (bundle and isolation, as the runtimes list) and as long as that list would be. Read at start and when a tool is
 * not known yet; merged and written as tools are found.
 */
function sharedToolResults(facts: HostFacts, build: string): SharedToolResults {
  type Found = Record<string, NonNullable<ToolResult>>;
  const read = () => facts.read<Found>('runtimes', build, L.RUNTIMES_DOC_MAX_AGE_MS) ?? {};
  const known = read();
  return {
    // A tool not known yet is looked up again (one small file read): an instance started in a burst, before the
    // first run's probe was through, still takes what that probe found.
    get: (key) => (Object.hasOwn(known, key) ? known[key] : Object.assign(known, read())[key]),
    put: (results) => {
      if (results.size === 0) return;
      const merged: Found = { ...read(), ...Object.fromEntries(results) };
      Object.assign(known, merged);
      facts.write('runtimes', build, merged);
    },
  };
}

/**
 * The longest a host-wide turn at the full runtime probe is respected: past the probe's own bound (30 s per cell)
 * with room for a niced probe on a loaded host; then a holder is taken for stuck (or its pid for reused).
 */
const RUNTIMES_PROBE_TURN_MS = 120_000;

/** coreutils' nice: the background's full runtime probe runs at the lowest priority. */
const NICE_CANDIDATES = ['/usr/bin/nice', '/bin/nice'];

/** How long a stopping instance waits for its run to be killed and recorded. */
const SHUTDOWN_GRACE_MS = 5_000;

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<http.Server> {
  const timeline = new StartTimeline();
  timeline.mark('node and bundle loaded');
  const config = new ConfigReader(env);
  const settings = { ...config.readAll(EXECUTOR_VARIABLES), policy: readLimitPolicy(config) };
  // Throws every problem of the whole configuration at once, before anything is started.
  const buckets = bucketsFromEnv(config);
  requireRoot('the executor');
  // Not inherited by anything this process starts (the sandbox builds its programs' environment from scratch anyway).
  delete env[ENV.invokeSecret];
  const shutdown = new AbortController();
  const deps = await createExecutorDeps(settings, buckets, shutdown.signal, timeline);
  const invokeSecret = settings.invokeSecret;
  const report = { ...deps.sandbox.report(), executor: deps.executorId, at: new Date().toISOString() };
  // For /api/health: the API never meets an executor, so the newest one leaves its findings in the runs bucket.
  await deps.runs.put(keys.executorReport(), JSON.stringify(report), { contentType: 'application/json' }).catch((err: unknown) =>
    logLine({ event: 'report_failed', error: err instanceof Error ? err.message : String(err) }),
  );
  // For /api/runtimes, likewise, when the list there is missing or stale: probed when this instance is idle.
  const runtimesReport = new RuntimesReport({
    probe: deps.runtimes,
    runs: deps.runs,
    executorId: deps.executorId,
    build: deps.build,
    // One full probe at a time on a host the instances share (a burst's instances go idle together).
    turn: deps.hostFacts ? () => deps.hostFacts!.turn('runtimes-probe', RUNTIMES_PROBE_TURN_MS) : undefined,
    clock: systemClock,
    log: logLine,
    // In the background, so that the first TypeScript run does not load the transpiler.
    onProbed: (found) => {
      if (!found.some((r) => r.language.transform === 'typescript')) return;
      setImmediate(() => {
        try {
          loadTypeScriptTranspiler();
        } catch (err) {
          logLine({ event: 'transpiler_load_failed', error: err instanceof Error ? err.message : String(err) });
        }
      });
    },
  });
  runtimesReport.start();
  // Invocations whose runs are not over yet (killed, recorded and cleaned up), counted apart from the connections:
  // a caller that went away (the local platform killed outright) leaves no connection while its run still ends.
  let runsInFlight = 0;
  let onRunsOver: (() => void) | null = null;
  const activity = {
    runStarted: () => {
      runsInFlight++;
      runtimesReport.runStarted();
    },
    runEnded: () => {
      runsInFlight--;
      runtimesReport.runEnded();
      if (runsInFlight === 0) onRunsOver?.();
    },
  };
  const runsOver = () => (runsInFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onRunsOver = resolve)));
  const server = createExecutorServer({
    deps,
    shutdown: shutdown.signal,
    refreshCredentials: buckets.refreshCredentials,
    invokeSecret,
    onUnusable: () => stop('SIGTERM'),
    activity,
  });
  const onListening = () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : undefined;
    timeline.mark('listening');
    logLine({ event: 'listening', function: 'executor', port, ...report });
    logLine({ event: 'start_timeline', steps: timeline.steps });
  };
  const { port, listenHost } = settings;
  if (listenHost) server.listen(port, listenHost, onListening);
  else server.listen(port, onListening);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // Only the first signal counts. When a whole process group or cgroup is signalled (Ctrl-C in a terminal,
    // systemd's default KillMode, kill -TERM -<pgid>) this process gets it from there and again from the local
    // platform that stops it; dying of the second would leave the run undisposed and unrecorded.
    if (stopping) return;
    stopping = true;
    logLine({ event: 'stopping', signal });
    shutdown.abort();
    // Exits 0 only once every invocation has answered and every run is over, i.e. killed, disposed and recorded
    // (its caller may be gone), and the sandbox has undone its mounts (a timer kept alive, so the process cannot
    // drift out without that).
    // The runtime probe's cell is disposed before the sandbox closes (it stops probing at once when stopping).
    const closeSpawners = () => Promise.all(Object.values(deps.spawners).map((spawner) => spawner?.close?.()));
    const exit = (code: number) => void runtimesReport.stop().then(() => deps.sandbox.close()).then(closeSpawners).finally(() => process.exit(code));
    server.close(() => void runsOver().then(() => exit(0)));
    server.closeIdleConnections();
    setTimeout(() => {
      logLine({ event: 'stop_grace_expired', graceMs: SHUTDOWN_GRACE_MS });
      exit(1);
    }, SHUTDOWN_GRACE_MS);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The local platform's pipe (EXECUTOR_LIFELINE): it ends only when the platform is gone. An instance that outlived
  // it, killed or crashed, would otherwise keep its sandbox's mounts, uids and held preludes until the host reboots.
  if (settings.lifeline) {
    // Its log pipes die with it: a log line written after that (EPIPE) must not crash the stop that records the run.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    process.stdin.once('end', () => stop('SIGTERM'));
    process.stdin.once('error', () => stop('SIGTERM'));
    process.stdin.resume();
  }
  return server;
}
