/**
 * Base64 as clients send it: line-wrapped (Ruby's `Base64.encode64`, which Judge0's clients use, breaks every 60
 * characters), with or without padding, standard or URL-safe alphabet. Anything else (a stray character) is refused,
 * so text sent by mistake where base64 was announced is named rather than silently turned into garbage. In the core
 * because every API that takes input bytes (`POST /api/execute`, Judge0's `base64_encoded=true`, Piston's
 * `encoding: "base64"`) must read them alike.
 */
export function decodeBase64Lenient(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact)) return null;
  const body = compact.replace(/=+$/, '');
  if (body.length % 4 === 1) return null;
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
