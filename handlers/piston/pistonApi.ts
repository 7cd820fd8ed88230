/**
 * Piston v2's REST API over the run path: `POST /api/v2/execute` is a blocking judge run (core/judge, the very path
 * of `POST /api/execute`), `GET /api/v2/runtimes` the executors' runtimes list in Piston's shape. Routes registered
 * in handlers/api.ts. Unlike Piston, a JSON body is read whatever its content type: `piston-client` sends none
 * (node-fetch then says text/plain), which current Piston refuses with 415.
 */
import type { RuntimeInfo } from '../../core/protocol';
import type { RunService } from '../../core/runService';
import { pistonError } from './pistonErrors';
import { parsePistonExecute } from './pistonExecuteRequest';
import { pistonResponse } from './pistonResponse';
import { pistonRuntime } from './pistonRuntimes';

export interface PistonCtx {
  reply(status: number, body: unknown): void;
  json(): Promise<unknown>;
  runId?: string;
}

async function runtimes(service: RunService): Promise<RuntimeInfo[]> {
  const doc = await service.runtimes();
  if (!doc) throw pistonError('no executor instance has reported what it can run yet', 503);
  return doc.runtimes;
}

export async function pistonRuntimes(ctx: PistonCtx, service: RunService): Promise<void> {
  ctx.reply(200, (await runtimes(service)).map(pistonRuntime));
}

export async function pistonExecute(ctx: PistonCtx, service: RunService): Promise<void> {
  const { runtime, request } = parsePistonExecute(await ctx.json(), await runtimes(service), service.policy);
  const { id, result } = await service.execute(request);
  ctx.runId = id;
  ctx.reply(200, pistonResponse(runtime, result));
}
