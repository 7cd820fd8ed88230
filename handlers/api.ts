/**
 * The API function: an HTTP server on port 9000 behind FC's HTTP trigger (requests arrive as they were sent).
 * Thin: it turns HTTP into RunService calls and back. The seed's protocol stays available at `POST /`.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'crypto';
import * as http from 'http';
import type { Duplex } from 'stream';
import type { WebSocketServer } from 'ws';
import { ApiError, notFound } from '../core/apiError';
import { VARIABLES } from '../core/config';
import { ConfigReader } from '../core/configReader';
import { readLimitPolicy } from '../core/limitPolicy';
import * as L from '../core/limits';
import { systemClock } from '../core/ports';
import { parseExecuteRequest } from '../core/executeRequest';
import { IDEMPOTENCY_KEY_HEADER, MIN_CREATE_KEY_CHARS, parseIdempotencyKey } from '../core/idempotencyKey';
import { RunService } from '../core/runService';
import { parseCreateRun, parseInput, parseJsonBody, parseOutputQuery, parseResize, parseSeedRequest } from '../core/validate';
import { answerClientErrors, clipped, endWithJson, header, logLine, parseTarget, readBody, requireBodyLength, requireHost, sendJson, sendText, SERVER_OPTIONS } from './http';
import { Router, type Params, type RoutePattern } from './router';
import { bucketsFromEnv, type Buckets } from './stores';
import { servePage } from '../web/serve';
import * as judge0 from './judge0/judge0Api';
import { JUDGE0_ERRORS } from './judge0/judge0Errors';
import { pistonExecute, pistonRuntimes } from './piston/pistonApi';
import { PISTON_ERRORS, pistonError } from './piston/pistonErrors';
import { PistonSocket, sessionLimitMs } from './piston/pistonSocket';

export interface ApiServerOptions {
  service: RunService;
  /** Hex SHA-256 of the bearer token; unset: no token needed. */
  tokenSha256?: string;
  /** The page origin allowed to call cross-origin; unset: same origin only. */
  corsOrigin?: string;
  /** What `/api/health` reports about the executors' sandbox. */
  isolation: string;
  /**
   * The API's request time limit (API_TIMEOUT_MS: FC's timeout of the function, which cuts every connection still
   * open then); a Piston WebSocket session ends cleanly shortly before it. Default API_TIMEOUT_DEFAULT_MS.
   */
  requestTimeLimitMs?: number;
  refreshCredentials?: Buckets['refreshCredentials'];
  log?: (record: Record<string, unknown>) => void;
}

/** How a protocol's callers get errors: each error comes back in the shape its caller reads. */
interface ErrorShape {
  /** The body of a 4xx. */
  client(err: ApiError): unknown;
  /** The body of a 500: nothing of the cause, only the request id to find it in the logs by. */
  internal(requestId: string): unknown;
}

const INTERNAL_MESSAGE = 'internal error; see the request id in the logs';

/** `{"error": {"code", "message"}}`: the `/api` routes, and whatever is refused before a route is known. */
const API_ERRORS: ErrorShape = {
  client: (err) => err.toBody(),
  internal: (requestId) => ({ error: { code: 'internal_error', message: INTERNAL_MESSAGE, requestId } }),
};

/** The seed's `{"Error": {"Code", "Message"}, "ResponseId"}`, which its clients parse. */
const SEED_ERRORS: ErrorShape = {
  client: (err) => ({ Error: { Code: err.code, Message: err.message }, ResponseId: randomUUID() }),
  internal: (requestId) => ({ Error: { Code: 'internal_error', Message: `${INTERNAL_MESSAGE} (${requestId})` }, ResponseId: randomUUID() }),
};

/** A route of the API: its method and path (see Router), and whether it needs the bearer token when one is set. */
interface ApiRoute extends RoutePattern {
  readonly method: 'GET' | 'HEAD' | 'POST';
  /** Names the route in the request log. */
  readonly name: string;
  readonly token: boolean;
  /** The shape of its errors; default API_ERRORS. */
  readonly errors?: ErrorShape;
  /** A header that may carry the token as it is, beside `Authorization: Bearer` (Judge0's `X-Auth-Token`). */
  readonly tokenHeader?: string;
  handle(ctx: Ctx, params: Record<string, string>): Promise<void>;
}

/** Declares a route; its handler gets the parameters its path names (`:id` → `params.id`). */
function route<P extends string>(spec: Omit<ApiRoute, 'path' | 'handle'> & { path: P | readonly P[]; handle(ctx: Ctx, params: Params<P>): Promise<void> }): ApiRoute {
  return spec;
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  reply(status: number, body: unknown): void;
  replyText(status: number, text: string): void;
  json(): Promise<unknown>;
  runId?: string;
}

function tokenMatches(req: http.IncomingMessage, expectedSha256: string, tokenHeader?: string): boolean {
  const auth = header(req, 'authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(auth);
  const token = match?.[1] ?? (tokenHeader ? header(req, tokenHeader) : undefined);
  if (!token) return false;
  const got = createHash('sha256').update(token).digest();
  const want = Buffer.from(expectedSha256, 'hex');
  return want.length === got.length && timingSafeEqual(got, want);
}

/** Piston's WebSocket, also at emkc.org's path like its REST routes. */
const PISTON_CONNECT_PATHS = ['/api/v2/connect', '/api/v2/piston/connect'];

/** Where the page's files are: the page itself, its hashed assets, and what a phone asks for to install it. */
const PAGE_PATHS = ['/', '/index.html', '/manifest.webmanifest', '/favicon.ico', '/assets/:file'];

/** The server over a service; built only through `createApi`, so FC and the local platform build it alike. */
function createApiServer(options: ApiServerOptions): http.Server {
  const { service } = options;
  const log = options.log ?? logLine;

  const router = new Router<ApiRoute>([
    // The page and its files (web/serve.ts): GET, and HEAD as browsers and caches use it.
    ...(['GET', 'HEAD'] as const).map((method) =>
      route({
        method,
        path: PAGE_PATHS,
        name: 'page',
        token: false,
        handle: async (ctx) => {
          if (!servePage(ctx.req, ctx.res, ctx.url.pathname)) throw notFound(`page file ${clipped(ctx.url.pathname)}`);
        },
      }),
    ),
    route({
      method: 'GET',
      path: '/api/health',
      name: 'health',
      token: false,
      handle: async (ctx) =>
        ctx.reply(200, { ok: true, isolation: options.isolation, limits: service.policy, executor: await service.executorReport().catch(() => null) }),
    }),
    route({
      method: 'GET',
      path: '/api/runtimes',
      name: 'runtimes',
      // Public like health: which languages and versions exist tells nobody anything, and a page needs it to start.
      token: false,
      // The executors' list (keys.runtimes): the API itself never sees a toolchain.
      handle: async (ctx) => {
        const doc = await service.runtimes();
        if (!doc) throw new ApiError(503, 'unavailable', 'runtimes: no executor instance has reported what it can run yet (each does once it has started)');
        ctx.reply(200, doc.runtimes);
      },
    }),
    route({
      method: 'POST',
      path: '/api/runs',
      name: 'create',
      token: true,
      handle: async (ctx) => {
        const key = parseIdempotencyKey(header(ctx.req, IDEMPOTENCY_KEY_HEADER), MIN_CREATE_KEY_CHARS);
        const request = parseCreateRun(await ctx.json(), service.policy);
        ctx.runId = await service.create(request, request.tty, {}, key);
        ctx.reply(201, { id: ctx.runId });
      },
    }),
    route({
      method: 'POST',
      path: '/api/execute',
      name: 'execute',
      token: true,
      // Blocking: the answer comes once every test has run (core/judge/executeAndWait.ts bounds the wait).
      handle: async (ctx) => {
        const { id, result } = await service.execute(parseExecuteRequest(await ctx.json(), service.policy));
        ctx.runId = id;
        ctx.reply(200, result);
      },
    }),
    route({
      method: 'GET',
      path: '/api/runs/:id',
      name: 'info',
      token: true,
      handle: async (ctx, { id }) => ctx.reply(200, await service.info(id)),
    }),
    route({
      method: 'GET',
      path: '/api/runs/:id/output',
      name: 'output',
      token: true,
      handle: async (ctx, { id }) => {
        const q = parseOutputQuery(ctx.url.searchParams);
        ctx.reply(200, await service.output(id, q.offset, q.waitMs, q.encoding));
      },
    }),
    route({
      method: 'POST',
      path: '/api/runs/:id/input',
      name: 'input',
      token: true,
      handle: async (ctx, { id }) => {
        // The key is read first: a malformed one refuses the request before anything is written.
        const key = parseIdempotencyKey(header(ctx.req, IDEMPOTENCY_KEY_HEADER));
        await service.input(id, parseInput(await ctx.json()), key);
        ctx.reply(202, { accepted: true });
      },
    }),
    route({
      method: 'POST',
      path: '/api/runs/:id/kill',
      name: 'kill',
      token: true,
      handle: async (ctx, { id }) => {
        await service.kill(id);
        ctx.reply(202, { accepted: true });
      },
    }),
    route({
      method: 'POST',
      path: '/api/runs/:id/resize',
      name: 'resize',
      token: true,
      handle: async (ctx, { id }) => {
        const { cols, rows } = parseResize(await ctx.json());
        await service.resize(id, cols, rows);
        ctx.reply(202, { accepted: true });
      },
    }),
    // Judge0 CE's API (handlers/judge0): its routes at its own paths, its error shape, its X-Auth-Token.
    ...judge0Routes(service),
    // Piston v2 (handlers/piston), also at emkc.org's paths, which piston-client uses for its default server.
    route({
      method: 'POST',
      path: ['/api/v2/execute', '/api/v2/piston/execute'],
      name: 'piston.execute',
      token: true,
      errors: PISTON_ERRORS,
      handle: (ctx) => pistonExecute(ctx, service),
    }),
    route({ method: 'GET', path: ['/api/v2/runtimes', '/api/v2/piston/runtimes'], name: 'piston.runtimes', token: false, errors: PISTON_ERRORS, handle: (ctx) => pistonRuntimes(ctx, service) }),
    // A plain GET of the socket's path (the upgrade itself never reaches the router: see `upgrade` below).
    route({
      method: 'GET',
      path: PISTON_CONNECT_PATHS,
      name: 'piston.connect',
      token: true,
      errors: PISTON_ERRORS,
      handle: async () => {
        throw new ApiError(426, 'invalid_request', 'connect is a WebSocket: send an upgrade request', { upgrade: 'websocket' });
      },
    }),
    route({ method: 'POST', path: '/', name: 'seed', token: true, errors: SEED_ERRORS, handle: (ctx) => seedProtocol(ctx, service) }),
  ]);

  const corsHeaders = (req: http.IncomingMessage): Record<string, string> => {
    const origin = header(req, 'origin');
    if (!options.corsOrigin || origin !== options.corsOrigin) return {};
    return {
      'access-control-allow-origin': options.corsOrigin,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': `authorization, content-type, ${IDEMPOTENCY_KEY_HEADER}`,
      'access-control-max-age': '600',
      vary: 'origin',
    };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const started = Date.now();
    let requestId: string = randomUUID();
    let routeName = 'unknown';
    let cors: Record<string, string> = {};
    let ctx: Ctx | undefined;
    let errors = API_ERRORS;
    // Everything that reads the request is inside the guard: nobody needs a token to send a broken one.
    try {
      requestId = header(req, 'x-fc-request-id') ?? requestId;
      cors = corsHeaders(req);
      options.refreshCredentials?.(req);
      requireHost(req);
      requireBodyLength(req);
      const url = parseTarget(req.url);
      ctx = {
        req,
        res,
        url,
        reply: (status, body) => sendJson(res, status, body, cors),
        replyText: (status, text) => sendText(res, status, text, cors),
        json: async () => parseJsonBody(await readBody(req, L.MAX_REQUEST_BODY_BYTES)),
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors);
        res.end();
        return;
      }
      const { route, params } = router.match(String(req.method), url.pathname);
      routeName = route.name;
      errors = route.errors ?? API_ERRORS;
      if (route.token && options.tokenSha256 && !tokenMatches(req, options.tokenSha256, route.tokenHeader)) {
        throw new ApiError(401, 'unauthorized', 'authorization: a valid bearer token is required');
      }
      ctx.runId = params.id;
      await route.handle(ctx, params);
    } catch (err) {
      if (err instanceof ApiError) {
        sendJson(res, err.status, errors.client(err), { ...cors, ...err.headers });
      } else {
        log({ event: 'error', requestId, route: routeName, error: err instanceof Error ? err.message : String(err) });
        sendJson(res, 500, errors.internal(requestId), cors);
      }
    } finally {
      log({ event: 'request', requestId, route: routeName, method: req.method, status: res.statusCode, ms: Date.now() - started, runId: ctx?.runId });
    }
  };

  const server = http.createServer(SERVER_OPTIONS, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only a failure to answer or to log lands here; the connection is all that can still be closed.
      process.stderr.write(`api: request handler failed: ${err instanceof Error ? err.message : String(err)}\n`);
      res.destroy();
    });
  });
  answerClientErrors(server);
  // A client that sends its request slowly holds the connection no longer than FC would (its timeout cuts every
  // connection then); Node's own bound for receiving a request is 300 s, and 60 s for its headers alone.
  const requestTimeLimitMs = options.requestTimeLimitMs ?? L.API_TIMEOUT_DEFAULT_MS;
  server.requestTimeout = requestTimeLimitMs;
  server.headersTimeout = Math.min(server.headersTimeout, requestTimeLimitMs);

  // Piston's WebSocket (handlers/piston/pistonSocket.ts): the upgrade is checked like a request of the Piston
  // routes (path, token), refusals answered in Piston's error shape.
  // `ws` is loaded at the first upgrade, not with the function (scripts/bundles.js ships it beside index.js): a cold
  // start that serves no socket does not parse it.
  let sockets: WebSocketServer | null = null;
  const socketServer = (): WebSocketServer => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sockets ??= new (require('ws') as typeof import('ws')).WebSocketServer({ noServer: true, maxPayload: L.PISTON_MAX_MESSAGE_BYTES });
    return sockets;
  };
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const started = Date.now();
    let status = 101;
    let errors = API_ERRORS;
    socket.on('error', () => socket.destroy());
    try {
      requireHost(req);
      requireBodyLength(req);
      const { pathname } = parseTarget(req.url);
      if (!PISTON_CONNECT_PATHS.includes(pathname)) throw notFound(`route ${clipped(pathname)}`);
      errors = PISTON_ERRORS;
      if (req.method !== 'GET') throw pistonError('connect: a WebSocket upgrade is a GET', 405);
      if (options.tokenSha256 && !tokenMatches(req, options.tokenSha256)) throw new ApiError(401, 'unauthorized', 'authorization: a valid bearer token is required');
      socketServer().handleUpgrade(req, socket, head, (ws) => new PistonSocket(ws, service, log, sessionLimitMs(requestTimeLimitMs)));
    } catch (err) {
      const known = err instanceof ApiError ? err : null;
      status = known?.status ?? 500;
      const requestId = header(req, 'x-fc-request-id') ?? randomUUID();
      if (!known) log({ event: 'error', requestId, route: 'piston.connect', error: err instanceof Error ? err.message : String(err) });
      endWithJson(socket, status, http.STATUS_CODES[status] ?? 'Error', known ? errors.client(known) : errors.internal(requestId), known?.headers ?? {});
    } finally {
      log({ event: 'request', route: 'piston.connect', method: req.method, status, ms: Date.now() - started });
    }
  });
  // An open socket is a connection the HTTP server no longer tracks: closing "all connections" (the local platform's
  // stop) must end those too.
  const closeAllConnections = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    for (const ws of sockets?.clients ?? []) ws.terminate();
    closeAllConnections();
  };
  return server;
}

/** Judge0's routes; `batch` before `:token`, which would take it (the router tries routes in order). */
function judge0Routes(service: RunService): ApiRoute[] {
  const j = { errors: JUDGE0_ERRORS, tokenHeader: 'x-auth-token' };
  return [
    route({ method: 'POST', path: '/submissions', name: 'judge0.create', token: true, ...j, handle: (ctx) => judge0.createSubmission(ctx, service) }),
    route({ method: 'POST', path: '/submissions/batch', name: 'judge0.createBatch', token: true, ...j, handle: (ctx) => judge0.createBatch(ctx, service) }),
    route({ method: 'GET', path: '/submissions/batch', name: 'judge0.getBatch', token: true, ...j, handle: (ctx) => judge0.getBatch(ctx, service) }),
    route({
      method: 'GET',
      path: '/submissions/:token',
      name: 'judge0.get',
      token: true,
      ...j,
      handle: (ctx, { token }) => {
        ctx.runId = token;
        return judge0.getSubmission(ctx, service, token);
      },
    }),
    // Public like /api/runtimes.
    route({ method: 'GET', path: '/languages', name: 'judge0.languages', token: false, ...j, handle: (ctx) => judge0.listLanguages(ctx, service) }),
    // `all` before `:id`, which would take it.
    route({ method: 'GET', path: '/languages/all', name: 'judge0.languagesAll', token: false, ...j, handle: (ctx) => judge0.listAllLanguages(ctx, service) }),
    route({ method: 'GET', path: '/languages/:id', name: 'judge0.language', token: false, ...j, handle: (ctx, { id }) => judge0.getLanguage(ctx, service, id) }),
    route({ method: 'GET', path: '/statuses', name: 'judge0.statuses', token: false, ...j, handle: (ctx) => judge0.listStatuses(ctx) }),
    route({ method: 'GET', path: '/about', name: 'judge0.about', token: false, ...j, handle: (ctx) => judge0.about(ctx) }),
    route({ method: 'GET', path: '/config_info', name: 'judge0.configInfo', token: false, ...j, handle: (ctx) => judge0.configInfo(ctx, service) }),
    route({ method: 'GET', path: '/version', name: 'judge0.version', token: false, ...j, handle: (ctx) => judge0.version(ctx) }),
  ];
}

/**
 * The seed's protocol at `POST /`, for its existing clients (forms in `parseSeedRequest`). Answers
 * `{Response: {result}, ResponseId}`; its errors, the token's 401 included, are in its shape too (SEED_ERRORS).
 */
async function seedProtocol(ctx: Ctx, service: RunService): Promise<void> {
  const request = parseSeedRequest(await ctx.json(), service.policy);
  let result: string;
  switch (request.type) {
    case 'run':
      ctx.runId = await service.create(request.run);
      result = ctx.runId;
      break;
    case 'input':
      ctx.runId = request.id;
      await service.input(request.id, request.data);
      result = 'ok';
      break;
    case 'output':
      ctx.runId = request.id;
      result = await service.outputSoFar(request.id);
      break;
    case 'blocking':
      ctx.runId = await service.create(request.run, false);
      result = (await service.waitForAll(ctx.runId, request.run.limits.timeoutMs + L.HEARTBEAT_STALE_MS)).output;
      break;
  }
  ctx.reply(200, { Response: { result }, ResponseId: randomUUID() });
}

/** What `createApi` builds: the server (not yet listening) and the service behind it. */
export interface Api {
  server: http.Server;
  service: RunService;
}

/** What the API reads from its environment besides its buckets and the limit policy. */
const API_VARIABLES = {
  tokenSha256: VARIABLES.apiTokenSha256,
  corsOrigin: VARIABLES.corsOrigin,
  executorIsolation: VARIABLES.executorIsolation,
  apiTimeoutMs: VARIABLES.apiTimeoutMs,
  port: VARIABLES.port,
};

/**
 * The one way to build the API, for FC (`main`) and the local platform alike: the service over `buckets`, the
 * limits, token hash, CORS origin and isolation note from `env` (the variables of core/config.ts; an invalid
 * value throws, naming it).
 */
export function createApi(buckets: Buckets, env: Record<string, string | undefined>, options: { log?: ApiServerOptions['log'] } = {}): Api {
  const config = new ConfigReader(env);
  const settings = config.readAll(API_VARIABLES);
  const policy = readLimitPolicy(config);
  config.check();
  const service = new RunService({ code: buckets.code, runs: buckets.runs, clock: systemClock, randomBytes, policy });
  const server = createApiServer({
    service,
    tokenSha256: settings.tokenSha256,
    corsOrigin: settings.corsOrigin,
    isolation: settings.executorIsolation,
    requestTimeLimitMs: settings.apiTimeoutMs,
    refreshCredentials: buckets.refreshCredentials,
    log: options.log,
  });
  return { server, service };
}

/** The hex SHA-256 the API compares bearer tokens with (`API_TOKEN_SHA256`): only this reaches the function. */
export function apiTokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** FC entry: STORE=oss with the runtime's credentials, listening on PORT (9000). */
export function main(env: NodeJS.ProcessEnv = process.env): http.Server {
  const config = new ConfigReader(env);
  const settings = config.readAll(API_VARIABLES);
  readLimitPolicy(config);
  // Throws every problem of the whole configuration at once (the API's own variables were read above).
  const buckets = bucketsFromEnv(config);
  const { server } = createApi(buckets, env);
  server.listen(settings.port, () => {
    const address = server.address();
    logLine({ event: 'listening', function: 'api', port: typeof address === 'object' && address ? address.port : undefined });
  });
  return server;
}
