/**
 * Judge0 CE's HTTP API (the subset its clients use) over the run path: a submission is a judge run, the same
 * manifest `POST /api/execute` writes, and its token is the run id, so `GET /submissions/{token}` reads the run from
 * storage like any other request and works from any API instance. The routes are registered in handlers/api.ts.
 */
import { ApiError, notFound } from '../../core/apiError';
import { findLanguage } from '../../core/languages';
import type { RuntimeInfo } from '../../core/protocol';
import type { RunService } from '../../core/runService';
import { isObject } from '../../core/validate';
import { judge0ConfigInfo, JUDGE0_MAX_BATCH } from './judge0ConfigInfo';
import { errorsHash } from './judge0Errors';
import { findJudge0Language, judge0LanguageName, JUDGE0_LANGUAGES } from './judge0Languages';
import { judge0Response, NotUtf8, parseFields } from './judge0Response';
import { JUDGE0_STATUSES } from './judge0Statuses';
import { parseJudge0Submission } from './judge0Submission';

/** What a handler here needs of the API's request context. */
export interface Judge0Ctx {
  url: URL;
  reply(status: number, body: unknown): void;
  /** A plain-text answer (Judge0's `/version`). */
  replyText(status: number, text: string): void;
  json(): Promise<unknown>;
  runId?: string;
}

/** The Judge0 version whose API this follows (`/about`, `/version`). */
export const JUDGE0_VERSION = '1.13.1';

/** Judge0's booleans in the query: `true`/`false` (and 1/0); absent is false. */
function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  if (value === null || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new ApiError(400, 'invalid_request', `${name}: expected true or false`);
}

async function runtimes(service: RunService): Promise<RuntimeInfo[] | null> {
  return (await service.runtimes())?.runtimes ?? null;
}

/**
 * Judge0's refusals of a submission whose output is not UTF-8, asked for without base64 (submissions_controller.rb
 * rescuing Encoding::UndefinedConversionError): one submission, or a batch with one or more such.
 */
const NOT_UTF8_ONE = 'some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter';
const NOT_UTF8_BATCH = 'some attributes for one or more submissions cannot be converted to UTF-8, use base64_encoded=true query parameter';

/** A NotUtf8 as Judge0's 400 `{error}`; anything else goes on. */
const notUtf8As = (message: string) => (err: unknown): never => {
  throw err instanceof NotUtf8 ? new ApiError(400, 'invalid_request', message) : err;
};

async function answer(service: RunService, token: string, url: URL): Promise<Record<string, unknown>> {
  // The parameters before the lookup: a bad one is named even for a token that names nothing.
  const fields = parseFields(url.searchParams.get('fields'));
  const base64 = flag(url, 'base64_encoded');
  const outcome = await service.judgeOutcome(token);
  return judge0Response(token, outcome, { fields, base64, runtimes: await runtimes(service) });
}

/** `POST /submissions`: 201 `{token}`, or with `wait=true` the finished submission (still 201, as Judge0). */
export async function createSubmission(ctx: Judge0Ctx, service: RunService): Promise<void> {
  const base64 = flag(ctx.url, 'base64_encoded');
  const wait = flag(ctx.url, 'wait');
  const fields = parseFields(ctx.url.searchParams.get('fields'));
  const request = parseJudge0Submission(await ctx.json(), base64, service.policy);
  if (!wait) {
    ctx.runId = await service.submit(request);
    ctx.reply(201, { token: ctx.runId });
    return;
  }
  const { id } = await service.execute(request);
  ctx.runId = id;
  let body: Record<string, unknown>;
  try {
    body = judge0Response(id, await service.judgeOutcome(id), { fields, base64, runtimes: await runtimes(service) });
  } catch (err) {
    if (!(err instanceof NotUtf8)) throw err;
    // Still 201 and the token, as Judge0's `create`: the submission exists and can be read with base64.
    body = { error: NOT_UTF8_ONE, token: id };
  }
  ctx.reply(201, body);
}

/** `GET /submissions/{token}`: 404 `{error}` for a token that names no submission, 400 for output that is no UTF-8. */
export async function getSubmission(ctx: Judge0Ctx, service: RunService, token: string): Promise<void> {
  ctx.reply(200, await answer(service, token, ctx.url).catch(notUtf8As(NOT_UTF8_ONE)));
}

/** Judge0's refusal of a batch's size, the same both ways (submissions_controller.rb batch_create, batch_show). */
function batchSize(count: number): void {
  if (count > JUDGE0_MAX_BATCH) throw new ApiError(400, 'invalid_request', `number of submissions in a batch should be less than or equal to ${JUDGE0_MAX_BATCH}`);
  if (count === 0) throw new ApiError(400, 'invalid_request', 'there should be at least one submission in a batch');
}

/**
 * `POST /submissions/batch` `{submissions: [...]}`, as Judge0's submissions_controller.rb `batch_create`: none or
 * more than the maximum is a 400 `{error}`; otherwise one `{token}` or one errors hash per submission, in order, with
 * 201 when at least one was taken and 422 when none was.
 */
export async function createBatch(ctx: Judge0Ctx, service: RunService): Promise<void> {
  const base64 = flag(ctx.url, 'base64_encoded');
  const body = await ctx.json();
  // Named as every other route names a body that is no object; Judge0's own "at least one submission" would not say
  // what was wrong with `[…]`.
  if (!isObject(body)) throw new ApiError(400, 'invalid_request', 'body: expected a JSON object {submissions: [...]}');
  const list = body.submissions;
  if (list !== undefined && list !== null && !Array.isArray(list)) throw new ApiError(400, 'invalid_request', 'submissions: expected an array of submissions');
  batchSize(Array.isArray(list) ? list.length : 0);
  const results = await Promise.all(
    (list as unknown[]).map(async (item, i): Promise<Record<string, unknown>> => {
      // Named by its place in the list: `body` would be the whole request's.
      if (!isObject(item)) return { [`submissions[${i}]`]: ['must be a JSON object'] };
      try {
        return { token: await service.submit(parseJudge0Submission(item, base64, service.policy)) };
      } catch (err) {
        // A refused item is answered in its place, in Rails' errors hash, as Judge0 does.
        if (err instanceof ApiError && err.status < 500) return errorsHash(err);
        throw err;
      }
    }),
  );
  ctx.reply(results.some((r) => typeof r.token === 'string') ? 201 : 422, results);
}

/**
 * `GET /submissions/batch?tokens=a,b`: `{submissions: [...]}`, null where a token names nothing; no token or more
 * than the maximum is a 400 `{error}`, as Judge0's `batch_show`.
 */
export async function getBatch(ctx: Judge0Ctx, service: RunService): Promise<void> {
  const tokens = (ctx.url.searchParams.get('tokens') ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  batchSize(tokens.length);
  const submissions = await Promise.all(
    tokens.map((token) =>
      answer(service, token, ctx.url).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }),
    ),
  ).catch(notUtf8As(NOT_UTF8_BATCH));
  ctx.reply(200, { submissions });
}

/** The ids of the languages the executors can run, named with their versions. */
async function availableLanguages(service: RunService): Promise<Array<{ id: number; name: string }>> {
  const known = await runtimes(service);
  if (!known) throw new ApiError(503, 'unavailable', 'no executor instance has reported what it can run yet');
  return JUDGE0_LANGUAGES.flatMap((l) => {
    const runtime = known.find((r) => r.language === l.language);
    return runtime ? [{ id: l.id, name: judge0LanguageName(l, runtime) }] : [];
  });
}

/** `GET /languages`: `[{id, name}]` by id. */
export async function listLanguages(ctx: Judge0Ctx, service: RunService): Promise<void> {
  ctx.reply(200, (await availableLanguages(service)).sort((a, b) => a.id - b.id));
}

/**
 * `GET /languages/all`: `[{id, name, is_archived}]` by name, as Judge0's languages_controller.rb `all`. Judge0 adds
 * the languages it archived; nothing is archived here (an id of an older compiler runs today's), so it is the same
 * list.
 */
export async function listAllLanguages(ctx: Judge0Ctx, service: RunService): Promise<void> {
  const list = (await availableLanguages(service)).map((l) => ({ ...l, is_archived: false }));
  ctx.reply(200, list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id - b.id)));
}

/** `GET /languages/{id}`: `{id, name, is_archived, source_file, compile_cmd, run_cmd}`. */
export async function getLanguage(ctx: Judge0Ctx, service: RunService, rawId: string): Promise<void> {
  const lang = /^\d+$/.test(rawId) ? findJudge0Language(Number(rawId)) : undefined;
  const runtime = lang && (await runtimes(service))?.find((r) => r.language === lang.language);
  if (!lang || !runtime) throw notFound(`language ${rawId}`);
  const registry = findLanguage(lang.language)!;
  ctx.reply(200, {
    id: lang.id,
    name: judge0LanguageName(lang, runtime),
    is_archived: false,
    source_file: registry.source(registry.helloWorld).fileName,
    // The commands are the registry's, resolved by each executor: they are not one string here.
    compile_cmd: null,
    run_cmd: null,
  });
}

export async function listStatuses(ctx: Judge0Ctx): Promise<void> {
  ctx.reply(200, JUDGE0_STATUSES);
}

/** `GET /config_info`: what this deployment does, in the fields of Judge0's (judge0ConfigInfo.ts). */
export async function configInfo(ctx: Judge0Ctx, service: RunService): Promise<void> {
  ctx.reply(200, judge0ConfigInfo(service.policy));
}

/** `GET /version`: the version as plain text, as Judge0's info_controller.rb renders it. */
export async function version(ctx: Judge0Ctx): Promise<void> {
  ctx.replyText(200, JUDGE0_VERSION);
}

/** `GET /about`: Judge0's shape, saying what answers it. */
export async function about(ctx: Judge0Ctx): Promise<void> {
  ctx.reply(200, {
    version: JUDGE0_VERSION,
    homepage: 'https://github.com/judge0/judge0 (API compatible subset served by pocketrun)',
    source_code: 'pocketrun',
    maintainer: 'pocketrun',
  });
}
