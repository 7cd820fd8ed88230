/**
 * The one clamp of run limits, on both sides of the bucket. Above the maximum is clamped (a client asking for "as
 * much as allowed" should get it), missing means the default; what differs is what to do with a value no run may
 * have, by who is asking:
 * - `refuse` (the API, on a request): a 400 naming `limits.<name>` for a value that is not an integer, is below the
 *   limit's minimum, or names no limit; the client can fix its request.
 * - `repair` (the executor, on a manifest): a manifest is data from storage, not a trusted request, but there is
 *   nobody to answer, and refusing would fail a run the API accepted; so a value that is not an integer is
 *   replaced by the default, one below the minimum is raised to it, and unknown names are ignored. The API never
 *   writes such a manifest: this only bounds what a tampered or stale one can ask for.
 */
import { badRequest } from './apiError';
import type { LimitPolicy } from './limitPolicy';
import { RUN_LIMIT_NAMES, RUN_LIMITS, type RunLimitName, type RunLimits } from './runLimits';

export interface ClampMode {
  onInvalid: 'refuse' | 'repair';
}

export function clampLimits(requested: unknown, policy: LimitPolicy, mode: ClampMode): RunLimits {
  const refuse = mode.onInvalid === 'refuse';
  let asked: Record<string, unknown> = {};
  if (typeof requested === 'object' && requested !== null && !Array.isArray(requested)) asked = requested as Record<string, unknown>;
  else if (requested !== undefined && requested !== null && refuse) throw badRequest('limits', 'expected an object');
  if (refuse) {
    for (const key of Object.keys(asked)) if (!RUN_LIMIT_NAMES.includes(key as RunLimitName)) throw badRequest(`limits.${key}`, 'unknown limit');
  }
  return Object.fromEntries(
    RUN_LIMIT_NAMES.map((name) => {
      const { min } = RUN_LIMITS[name];
      const { default: def, max } = policy[name];
      const value = asked[name];
      if (value === undefined || value === null) return [name, def];
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        if (refuse) throw badRequest(`limits.${name}`, 'expected an integer');
        return [name, def];
      }
      if (value < min && refuse) throw badRequest(`limits.${name}`, `must be at least ${min}`);
      return [name, Math.min(Math.max(value, min), max)];
    }),
  ) as RunLimits;
}
