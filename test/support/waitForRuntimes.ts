/** `GET /api/runtimes` once the executors' probe has written its list (503 before): the compat APIs resolve names against it. */
import type { RuntimeInfo } from '../../core/protocol';
import type { ApiClient } from './client';

export async function waitForRuntimes(client: ApiClient, timeoutMs = 20_000): Promise<RuntimeInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, json } = await client.request('GET', '/api/runtimes');
    if (status === 200) return json as RuntimeInfo[];
    if (status !== 503 || Date.now() > deadline) throw new Error(`no runtimes listed: HTTP ${status} ${JSON.stringify(json)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
