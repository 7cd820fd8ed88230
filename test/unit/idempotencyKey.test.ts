/** The `Idempotency-Key` header's reading (core/idempotencyKey.ts): the draft's quoted form, bare tokens, refusals naming the header. */
import { ApiError } from '../../core/apiError';
import { parseIdempotencyKey } from '../../core/idempotencyKey';

test.each<[string | undefined, string | undefined]>([
  [undefined, undefined],
  ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
  ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
  ['  a1b2-7 ', 'a1b2-7'],
  ['page.3f:9~x+y/z=', 'page.3f:9~x+y/z='],
  ['k'.repeat(100), 'k'.repeat(100)],
])('%j is read as %j', (header, key) => {
  expect(parseIdempotencyKey(header)).toBe(key);
});

test.each(['', '""', '   ', 'k'.repeat(101), 'two words', 'quote"inside', '"unclosed', 'tab\tkey', 'ключ', '{"json":1}'])('%j is refused with a 400 naming the header', (header) => {
  let error: unknown;
  try {
    parseIdempotencyKey(header);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ApiError);
  expect((error as ApiError).status).toBe(400);
  expect((error as ApiError).message).toMatch(/^Idempotency-Key: /);
});
