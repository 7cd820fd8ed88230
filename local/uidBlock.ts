/**
 * Sandbox uids are per host, not per process: two local platforms (or two test files) on one machine must never
 * share one, or one's cleanup would kill the other's programs. A block is claimed with an exclusive lock file
 * naming its owner's pid; a block whose owner is gone is taken over, and a release frees only a block still its
 * own (one a live process has taken over, by writing its pid there, stays taken: a test watching what a killed or
 * stopped platform left in its block keeps other test files out of that block until it has looked).
 */
import * as fs from 'fs';
import * as path from 'path';
import { processExists } from '../adapters/process/procfs';

const LOCK_DIR = '/tmp/pocketrun-uid-blocks';
const FIRST_UID = 40_000;
const LAST_UID = 59_999;
/** Every block has this size, whatever the count asked for, so two blocks can never overlap. */
export const BLOCK_SIZE = 64;

export interface UidBlock {
  base: number;
  count: number;
  release(): void;
}

export function claimUidBlock(count: number): UidBlock {
  if (!Number.isInteger(count) || count < 1 || count > BLOCK_SIZE) throw new Error(`executors: between 1 and ${BLOCK_SIZE}, got ${count}`);
  fs.mkdirSync(LOCK_DIR, { recursive: true, mode: 0o700 });
  for (let base = FIRST_UID; base + BLOCK_SIZE - 1 <= LAST_UID; base += BLOCK_SIZE) {
    const lock = path.join(LOCK_DIR, String(base));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
        return { base, count, release: () => releaseIfOwned(lock) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number(fs.readFileSync(lock, 'utf8'));
        if (Number.isInteger(owner) && owner > 0 && processExists(owner)) break;
        fs.rmSync(lock, { force: true });
      }
    }
  }
  throw new Error(`no free block of ${count} sandbox uids in ${FIRST_UID}-${LAST_UID}`);
}

/** Removes `lock` only while it names this process (see the file's comment). */
function releaseIfOwned(lock: string): void {
  try {
    if (fs.readFileSync(lock, 'utf8') === String(process.pid)) fs.rmSync(lock, { force: true });
  } catch {
    // already gone
  }
}
