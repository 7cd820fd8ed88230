/**
 * Deletes what a sandbox uid could leave outside its work folder once its processes are dead: files and
 * folders it owns in the world-writable places (`/tmp`, `/var/tmp`, `/dev/shm`, `/dev/mqueue`, `/run/lock`),
 * and its System V shared memory, semaphores and message queues (those outlive every process).
 *
 * Only runs after the uid's processes are gone, so nothing races the walk; entries are examined with lstat
 * and removed without following symlinks.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const SHARED_WRITABLE_FOLDERS = ['/tmp', '/var/tmp', '/dev/shm', '/dev/mqueue', '/run/lock'];

/** Deepest folder level examined below a root, and most entries examined in one sweep. */
const MAX_DEPTH = 8;
const MAX_ENTRIES = 200_000;

export interface FileSweepOptions {
  /** Folders to search; default `SHARED_WRITABLE_FOLDERS` (missing ones are skipped). */
  roots?: string[];
  /** Folders never entered (the sandbox's own work root, handled separately). */
  skip?: string[];
}

/** Removes every entry owned by one of `uids` under the roots; returns how many were removed. */
export function removeFilesOf(uids: ReadonlySet<number>, options: FileSweepOptions = {}): number {
  const skip = new Set((options.skip ?? []).map((p) => path.resolve(p)));
  const seen = new Set<string>();
  let removed = 0;
  let budget = MAX_ENTRIES;

  const walk = (dir: string, depth: number) => {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (--budget < 0) return;
      const full = path.join(dir, name);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(full);
      } catch {
        continue;
      }
      if (uids.has(st.uid) || uids.has(st.gid)) {
        try {
          fs.rmSync(full, { recursive: true, force: true });
          removed++;
        } catch {
          // raced with something else's cleanup
        }
        continue;
      }
      // Someone else's folder: the uid could only have written inside it through "other" permissions,
      // so enter it only when "other" may traverse it.
      if (st.isDirectory() && (st.mode & 0o001) !== 0 && depth < MAX_DEPTH && !skip.has(full)) walk(full, depth + 1);
    }
  };

  for (const root of options.roots ?? SHARED_WRITABLE_FOLDERS) {
    let real: string;
    try {
      real = fs.realpathSync(root);
      if (!fs.statSync(real).isDirectory()) continue;
    } catch {
      continue;
    }
    if (seen.has(real) || skip.has(real)) continue;
    seen.add(real);
    walk(real, 0);
  }
  return removed;
}

/** Removes System V IPC objects owned or created by one of `uids` (in the executor's IPC namespace). */
export function removeIpcOf(uids: ReadonlySet<number>, ipcrm: string | null): number {
  if (!ipcrm) return 0;
  const kinds: Array<[file: string, idColumn: string, flag: string]> = [
    ['/proc/sysvipc/shm', 'shmid', '-m'],
    ['/proc/sysvipc/sem', 'semid', '-s'],
    ['/proc/sysvipc/msg', 'msqid', '-q'],
  ];
  let removed = 0;
  for (const [file, idColumn, flag] of kinds) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    const [header, ...rows] = text.split('\n');
    const columns = header.trim().split(/\s+/);
    const idAt = columns.indexOf(idColumn);
    const ownerAt = [columns.indexOf('uid'), columns.indexOf('cuid')].filter((i) => i >= 0);
    if (idAt < 0 || ownerAt.length === 0) continue;
    const ids: string[] = [];
    for (const row of rows) {
      const cells = row.trim().split(/\s+/);
      if (cells.length <= idAt) continue;
      if (ownerAt.some((i) => uids.has(Number(cells[i])))) ids.push(cells[idAt]);
    }
    if (ids.length === 0) continue;
    const args = ids.flatMap((id) => [flag, id]);
    const result = spawnSync(ipcrm, args, { stdio: 'ignore', timeout: 5_000 });
    if (result.status === 0) removed += ids.length;
  }
  return removed;
}
