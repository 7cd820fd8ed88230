/**
 * Who may call the executor's `POST /invoke`. Whoever can invoke it can make it claim any run id it names (and so
 * fail a queued run it knows the id of) and swap the storage credentials it uses, so:
 * - every connection whose other end is a local socket not owned by root is refused (adapters/process/socketPeer.ts):
 *   sandboxed programs run as unprivileged uids, FC's proxy connects from outside the instance, the local
 *   trigger runs as root;
 * - the local platform additionally proves each invocation with a secret drawn at every instance start, passed
 *   in the instance's environment (`POCKETRUN_INVOKE_SECRET`, named in core/config.ts) and sent as a header
 *   (FC has no such secret: its proxy is the only caller).
 * The local platform also makes the executor listen on 127.0.0.1 only (FC needs 0.0.0.0: its proxy dials the
 * instance's address).
 */
import { createHash, timingSafeEqual } from 'crypto';

export const INVOKE_SECRET_HEADER = 'x-pocketrun-invoke-secret';

/** Constant-time comparison, also of the length (both sides are hashed first). */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
