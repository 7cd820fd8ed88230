/**
 * Writes a run's manifest, the one object whose creation fires the executor (the OSS trigger), for interactive and
 * judge runs alike: overwrite forbidden, so a run id can never be taken over, and stamped with the protocol version
 * and the creation time.
 */
import type { ObjectStore } from './ports';
import { keys, type Manifest } from './protocol';

export async function writeManifest(code: ObjectStore, fields: Omit<Manifest, 'version' | 'createdAt'>, now: number): Promise<void> {
  const manifest: Manifest = { version: 1, ...fields, createdAt: new Date(now).toISOString() };
  await code.put(keys.manifest(manifest.id), JSON.stringify(manifest), { ifNotExists: true, contentType: 'application/json' });
}
