/**
 * The `Idempotency-Key` request header (IETF draft-ietf-httpapi-idempotency-key-header, as Stripe's API uses it):
 * a client that got no answer to a POST sends it again with the same key, and the request takes effect once. An
 * input line whose answer was lost on a phone's network may or may not have arrived; without a key, sending it
 * again risks a doubled line and not sending it a program waiting forever. The API does not remember keys (a retry
 * may reach another instance): the key travels in the control record, and the one reader of the stream, the
 * executor's, applies each key once (core/controlStream.ts).
 */
import { createHash } from 'crypto';
import { badRequest } from './apiError';
import { RUN_ID_BYTES } from './protocol';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Long enough for a UUID with a prefix; a key is stored in every record that carries it. */
const MAX_KEY_CHARS = 100;

/** What a key may hold: no quotes, spaces or controls, so it needs no escaping anywhere it is written or logged. */
const KEY_PATTERN = /^[A-Za-z0-9._~:+\/=-]+$/;

/**
 * The header's value, or undefined when it is absent. The draft writes the key as a structured-field string
 * (`"8e03978e-…"`); a bare token, as most clients send it, is taken too.
 */
export function parseIdempotencyKey(value: string | undefined, minChars = 1): string | undefined {
  if (value === undefined) return undefined;
  const key = /^"(.*)"$/.exec(value.trim())?.[1] ?? value.trim();
  if (key.length < minChars || key.length > MAX_KEY_CHARS || !KEY_PATTERN.test(key)) {
    throw badRequest('Idempotency-Key', `must be ${minChars}–${MAX_KEY_CHARS} characters of letters, digits and . _ ~ : + / = -, optionally in double quotes`);
  }
  return key;
}

/**
 * A create's key names a run for whoever sends it with the same request again: it must not be one that another
 * client would pick too (a count, a word), so it is at least this long, a UUID or 16 random bytes as the page and
 * the CLI send.
 */
export const MIN_CREATE_KEY_CHARS = 16;

/**
 * The run id of a create sent with `key`: the same key with the same request always names the same run, on every
 * API instance, with nothing remembered; another request under that key is another run (the key does not let one
 * request read another's run). `request` is the validated request, as the API will write it.
 */
export function keyedRunId(key: string, request: unknown): string {
  const digest = createHash('sha256').update(`pocketrun create 1\0${key}\0${canonicalJson(request)}`).digest();
  return digest.subarray(0, RUN_ID_BYTES).toString('base64url');
}

/** JSON with every object's keys sorted: a request's fields are read in the order sent, which a retry may change. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
