/**
 * The `Idempotency-Key` request header (IETF draft-ietf-httpapi-idempotency-key-header, as Stripe's API uses it):
 * a client that got no answer to a POST sends it again with the same key, and the request takes effect once. An
 * input line whose answer was lost on a phone's network may or may not have arrived; without a key, sending it
 * again risks a doubled line and not sending it a program waiting forever. The API does not remember keys (a retry
 * may reach another instance): the key travels in the control record, and the one reader of the stream, the
 * executor's, applies each key once (core/controlStream.ts).
 */
import { badRequest } from './apiError';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Long enough for a UUID with a prefix; a key is stored in every record that carries it. */
const MAX_KEY_CHARS = 100;

/** What a key may hold: no quotes, spaces or controls, so it needs no escaping anywhere it is written or logged. */
const KEY_PATTERN = /^[A-Za-z0-9._~:+\/=-]+$/;

/**
 * The header's value, or undefined when it is absent. The draft writes the key as a structured-field string
 * (`"8e03978e-…"`); a bare token, as most clients send it, is taken too.
 */
export function parseIdempotencyKey(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const key = /^"(.*)"$/.exec(value.trim())?.[1] ?? value.trim();
  if (key.length === 0 || key.length > MAX_KEY_CHARS || !KEY_PATTERN.test(key)) {
    throw badRequest('Idempotency-Key', `must be 1–${MAX_KEY_CHARS} characters of letters, digits and . _ ~ : + / = -, optionally in double quotes`);
  }
  return key;
}
