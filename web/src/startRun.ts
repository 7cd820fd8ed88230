/**
 * Creating a run from the page, so that pressing Run makes one run and no more, whatever the network does: the
 * create goes under an `Idempotency-Key` (the API names the run after the key and the request), a create that gets
 * no answer is sent again under its key, and the pending create is kept in the tab's storage, so a reload while it
 * is in flight asks again under the same key and comes back to that run instead of leaving it running unseen.
 */
import { ApiRefusal, type Api } from './api';
import { backoffMs, randomHex } from './run';

export type CreateBody = Parameters<Api['createRun']>[0];

/** A create not yet answered: what was sent, under which key, since when. */
export interface PendingStart {
  key: string;
  body: CreateBody;
  at: number;
}

/**
 * How long a create is retried, and how old a pending one may be for a reload to send it again: a run pressed for
 * this long ago and never answered is not what the person still waits for.
 */
export const START_WITHIN_MS = 60_000;

/** 16 random bytes as hex: the API wants a create's key long enough that no other client picks it. */
export function newStart(body: CreateBody, now = Date.now()): PendingStart {
  return { key: randomHex(16), body, at: now };
}

export function readPendingStart(text: string | null): PendingStart | null {
  try {
    const value = JSON.parse(text ?? 'null') as PendingStart | null;
    return value && typeof value.key === 'string' && typeof value.at === 'number' && typeof value.body?.code === 'string' ? value : null;
  } catch {
    return null;
  }
}

/**
 * Sends the create until it is answered: a refusal (ApiRefusal) is thrown at once; no answer is retried with
 * backoff under the same key until START_WITHIN_MS after the press, then the last failure is thrown.
 * `retrying(message)` is told each failure, for the status line.
 */
export async function createRun(api: Api, start: PendingStart, retrying: (message: string) => void): Promise<string> {
  for (let failures = 1; ; failures++) {
    try {
      return (await api.createRun(start.body, start.key)).id;
    } catch (err) {
      if (err instanceof ApiRefusal || Date.now() - start.at > START_WITHIN_MS) throw err;
      retrying(err instanceof Error ? err.message : String(err));
      await new Promise((resolve) => setTimeout(resolve, backoffMs(failures)));
    }
  }
}
