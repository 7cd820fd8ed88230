/**
 * Base64 as Judge0's clients send it: line-wrapped (Ruby's `Base64.encode64` breaks every 60 characters), with or
 * without padding, standard or URL-safe alphabet. Anything else (a stray character) is refused, so text sent by
 * mistake without `base64_encoded=true` is named rather than silently turned into garbage.
 */
export function decodeBase64Lenient(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) return null;
  const body = compact.replace(/=+$/, '');
  if (body.length % 4 === 1) return null;
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
