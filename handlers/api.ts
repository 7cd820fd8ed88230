/**
 * The API function: an HTTP server on port 9000 behind FC's HTTP trigger (requests arrive as they were sent).
 * Thin: it turns HTTP into RunService calls and back. The seed's protocol stays available at `POST /`.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'crypto';
import * as http from 'http';
import { ApiError, badRequest, notFound } from '../core/apiError';
import { ENV, limitPolicyFromEnv } from '../core/config';
import * as L from '../core/limits';
import { systemClock } from '../core/ports';
import { parseExecuteRequest } from '../core/executeRequest';
import { RunService } from '../core/runService';
import { isObject, parseCreateRun, parseInput, parseJsonBody, parseOutputQuery, parseResize } from '../core/validate';
import { answerClientErrors, clipped, decodeSegment, header, logLine, parseTarget, readBody, requireHost, sendJson, SERVER_OPTIONS } from './http';
import { bucketsFromEnv, type Buckets } from './stores';
import { servePage } from '../web/serve';

export interface ApiServerOptions {
  service: RunService;
  /** Hex SHA-256 of the bearer token; unset: no token needed. */
  tokenSha256?: string;
  /** The page origin allowed to call cross-origin; unset: same origin only. */
  corsOrigin?: string;
  /** What `/api/health` reports about the executors' sandbox. */
  isolation: string;
  refreshCredentials?: Buckets['refreshCredentials'];
  log?: (record: Record<string, unknown>) => void;
}

interface Route {
  method: string;
  pattern: RegExp;
  name: string;
  handle(ctx: Ctx, ...params: string[]): Promise<void>;
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  reply(status: number, body: unknown): void;
  json(): Promise<unknown>;
  runId?: string;
}

function tokenMatches(req: http.IncomingMessage, expectedSha256: string): boolean {
  const auth = header(req, 'authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(auth);
  if (!match) return false;
  const got = createHash('sha256').update(match[1]).digest();
  const want = Buffer.from(expectedSha256, 'hex');
  return want.length === got.length && timingSafeEqual(got, want);
}

export function createApiServer(options: ApiServerOptions): http.Server {
  const { service } = options;
  const log = options.log ?? logLine;

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/api\/health$/,
      name: 'health',
      handle: async (ctx) =>
        ctx.reply(200, { ok: true, isolation: options.isolation, limits: service.policy, executor: await service.executorReport().catch(() => null) }),
    },
    {
      method: 'POST',
      pattern: /^\/api\/runs$/,
      name: 'create',
      handle: async (ctx) => {
        const request = parseCreateRun(await ctx.json(), service.policy);
        ctx.runId = await service.create(request);
        ctx.reply(201, { id: ctx.runId });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/execute$/,
      name: 'execute',
      handle: async (ctx) => {
        const { id, result } = await service.execute(parseExecuteRequest(await ctx.json(), service.policy));
        ctx.runId = id;
        ctx.reply(200, result);
      },
    },
    {
      method: 'GET',
      pattern: /^\/api\/runs\/([^/]+)$/,
      name: 'info',
      handle: async (ctx, id) => ctx.reply(200, await service.info(id)),
    },
    {
      method: 'GET',
      pattern: /^\/api\/runs\/([^/]+)\/output$/,
      name: 'output',
      handle: async (ctx, id) => {
        const q = parseOutputQuery(ctx.url.searchParams);
        ctx.reply(200, await service.output(id, q.offset, q.waitMs, q.encoding));
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/runs\/([^/]+)\/input$/,
      name: 'input',
      handle: async (ctx, id) => {
        await service.input(id, parseInput(await ctx.json()));
        ctx.reply(202, { accepted: true });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/runs\/([^/]+)\/kill$/,
      name: 'kill',
      handle: async (ctx, id) => {
        await service.kill(id);
        ctx.reply(202, { accepted: true });
      },
    },
    {
      method: 'POST',
      pattern: /^\/api\/runs\/([^/]+)\/resize$/,
      name: 'resize',
      handle: async (ctx, id) => {
        const { cols, rows } = parseResize(await ctx.json());
        await service.resize(id, cols, rows);
        ctx.reply(202, { accepted: true });
      },
    },
    { method: 'POST', pattern: /^\/$/, name: 'seed', handle: (ctx) => seedProtocol(ctx, service) },
  ];

  const corsHeaders = (req: http.IncomingMessage): Record<string, string> => {
    const origin = header(req, 'origin');
    if (!options.corsOrigin || origin !== options.corsOrigin) return {};
    return {
      'access-control-allow-origin': options.corsOrigin,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type',
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
    // Everything that reads the request is inside the guard: nobody needs a token to send a broken one.
    try {
      requestId = header(req, 'x-fc-request-id') ?? requestId;
      cors = corsHeaders(req);
      options.refreshCredentials?.(req);
      requireHost(req);
      const url = parseTarget(req.url);
      ctx = {
        req,
        res,
        url,
        reply: (status, body) => sendJson(res, status, body, cors),
        json: async () => parseJsonBody(await readBody(req, L.MAX_REQUEST_BODY_BYTES)),
      };
      if (req.method === 'OPTIONS') {
        res.writeHead(204, cors);
        res.end();
        return;
      }
      if (servePage(req, res, url.pathname)) {
        routeName = 'page';
        return;
      }
      const candidates = routes.filter((r) => r.pattern.test(url.pathname));
      if (candidates.length === 0) throw notFound(`route ${clipped(url.pathname)}`);
      const route = candidates.find((r) => r.method === req.method);
      if (!route) throw new ApiError(405, 'method_not_allowed', `method: ${clipped(String(req.method))} is not allowed on ${clipped(url.pathname)}`);
      routeName = route.name;
      if (options.tokenSha256 && route.name !== 'health' && !tokenMatches(req, options.tokenSha256)) {
        throw new ApiError(401, 'unauthorized', 'authorization: a valid bearer token is required');
      }
      const params = route.pattern.exec(url.pathname)!.slice(1).map((p) => decodeSegment(p, url.pathname));
      if (params[0] !== undefined) ctx.runId = params[0];
      await route.handle(ctx, ...params);
    } catch (err) {
      if (err instanceof ApiError) {
        sendJson(res, err.status, err.toBody(), cors);
      } else {
        log({ event: 'error', requestId, route: routeName, error: err instanceof Error ? err.message : String(err) });
        sendJson(res, 500, { error: { code: 'internal_error', message: 'internal error; see the request id in the logs', requestId } }, cors);
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
  return server;
}

/**
 * The seed's protocol at `POST /`, for its existing clients: `{type:'run'|'input'|'output'}`, and its first
 * blocking form `{code, input}`. Answers `{Response: {result}, ResponseId}` or `{Error: {Code, Message}, ResponseId}`.
 */
async function seedProtocol(ctx: Ctx, service: RunService): Promise<void> {
  const responseId = randomUUID();
  try {
    const body = await ctx.json();
    if (!isObject(body)) throw badRequest('body', 'expected a JSON object');
    let result: string;
    switch (body.type) {
      case 'run':
        result = await service.create(parseCreateRun({ code: body.code, language: body.language }, service.policy));
        ctx.runId = result;
        break;
      case 'input': {
        if (typeof body.id !== 'string') throw badRequest('id', 'expected a run id string');
        ctx.runId = body.id;
        // The seed sent a line without its newline and the executor added one (pexpect sendline).
        const data = typeof body.input === 'string' && !body.input.endsWith('\n') ? body.input + '\n' : body.input;
        await service.input(body.id, parseInput({ data }));
        result = 'ok';
        break;
      }
      case 'output':
        if (typeof body.id !== 'string') throw badRequest('id', 'expected a run id string');
        ctx.runId = body.id;
        result = await service.outputSoFar(body.id);
        break;
      case undefined: {
        const request = parseCreateRun({ code: body.code, language: body.language, stdin: body.input }, service.policy);
        const id = await service.create(request, false);
        ctx.runId = id;
        result = (await service.waitForAll(id, request.limits.timeoutMs + L.HEARTBEAT_STALE_MS)).output;
        break;
      }
      default:
        throw badRequest('type', 'expected "run", "input" or "output"');
    }
    ctx.reply(200, { Response: { result }, ResponseId: responseId });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    ctx.reply(err.status, { Error: { Code: err.code, Message: err.message }, ResponseId: responseId });
  }
}

/** FC entry: STORE=oss with the runtime's credentials; on the local platform `local/` builds the server itself. */
export function main(env: NodeJS.ProcessEnv = process.env): http.Server {
  const buckets = bucketsFromEnv(env);
  const service = new RunService({ code: buckets.code, runs: buckets.runs, clock: systemClock, randomBytes, policy: limitPolicyFromEnv(env) });
  const server = createApiServer({
    service,
    tokenSha256: env[ENV.apiTokenSha256] || undefined,
    corsOrigin: env[ENV.corsOrigin] || undefined,
    // In FC each executor instance probes its own isolation; every run's status records which one it got.
    isolation: env.EXECUTOR_ISOLATION ?? 'auto (per executor instance; see GET /api/runs/:id)',
    refreshCredentials: buckets.refreshCredentials,
  });
  server.listen(Number(env[ENV.port] ?? 9000), () => {
    const address = server.address();
    logLine({ event: 'listening', function: 'api', port: typeof address === 'object' && address ? address.port : undefined });
  });
  return server;
}

