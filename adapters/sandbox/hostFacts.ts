/**
 * What an executor instance's start finds out about its host rather than about its own uids, handed from one
 * instance to the next where instances share a host (the local platform: SANDBOX_HOST_FACTS names the folder; in FC
 * each instance is a machine of its own, the variable is unset and every instance probes for itself).
 *
 * A fact is a JSON file `<name>.json` in a root-only folder (root-owned, no access for group or others; so is each
 * file), holding the key it was found under and when. A reader takes the value only when the key it computes now is
 * the same (what the fact depends on: a binary's identity, a sysctl, an option), the file is root's and not too old;
 * anything else (missing, another key, a folder or file someone else could have written, unparsable) reads as
 * nothing, and the caller probes for itself and writes what it found. A fact is a shortcut past a probe, never a
 * permission: what it lets an instance skip, the instance's runs still do for real, so a fact that no longer holds
 * fails them closed (bwrap, private /proc and cgroup joins each refuse to start a program they cannot set up).
 */
import * as fs from 'fs';
import * as path from 'path';
import { processExists } from '../process/procfs';

/** Bumped when what a fact holds changes shape or meaning: older files then read as nothing. */
const FORMAT = 1;

interface FactDoc {
  format: number;
  key: string;
  at: string;
  value: unknown;
}

/** Owned by root and closed to group and others: what no sandbox uid (nor any other user) can have written. */
function rootOnly(st: fs.Stats): boolean {
  return st.uid === 0 && (st.mode & 0o077) === 0;
}

export class HostFacts {
  constructor(readonly dir: string) {}

  private folderUsable(): boolean {
    try {
      const st = fs.lstatSync(this.dir);
      return st.isDirectory() && rootOnly(st);
    } catch {
      return false;
    }
  }

  private file(name: string): string {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`host facts: bad fact name ${JSON.stringify(name)}`);
    return path.join(this.dir, `${name}.json`);
  }

  /** The value of `name` found under `key`, if written less than `maxAgeMs` ago; null when there is none to trust. */
  read<T>(name: string, key: string, maxAgeMs = Infinity, now = Date.now()): T | null {
    if (!this.folderUsable()) return null;
    let fd: number;
    try {
      fd = fs.openSync(this.file(name), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      return null;
    }
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() || !rootOnly(st)) return null;
      const doc = JSON.parse(fs.readFileSync(fd, 'utf8')) as Partial<FactDoc> | null;
      if (!doc || doc.format !== FORMAT || doc.key !== key || typeof doc.at !== 'string') return null;
      const age = now - Date.parse(doc.at);
      if (!(age >= 0 && age < maxAgeMs)) return null;
      return doc.value as T;
    } catch {
      return null;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Writes `name` (whole, by rename: a reader sees the old file or the new one). Best effort: a folder that is not
   * root-only is left alone (its facts are never read either), and a failed write only means the next instance probes.
   */
  write(name: string, key: string, value: unknown, now = Date.now()): boolean {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch {
      return false;
    }
    if (!this.folderUsable()) return false;
    const file = this.file(name);
    const temp = `${file}.${process.pid}.tmp`;
    const doc: FactDoc = { format: FORMAT, key, at: new Date(now).toISOString(), value };
    try {
      fs.writeFileSync(temp, JSON.stringify(doc), { mode: 0o600, flag: 'w' });
      fs.renameSync(temp, file);
      return true;
    } catch {
      fs.rmSync(temp, { force: true });
      return false;
    }
  }

  /**
   * A host-wide turn at `name` (one instance of the host at a time: the full runtime probe), or null while another
   * live process holds it. The turn is a root-only lock file holding the holder's pid; one whose holder died, or
   * older than `maxHoldMs` (a holder stuck, or its pid reused), is taken over. Where the folder is not usable,
   * every instance has its turn (as without host facts).
   */
  turn(name: string, maxHoldMs: number): (() => void) | null {
    const lock = path.join(this.dir, `${name}.lock`);
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch {
      return () => undefined;
    }
    if (!this.folderUsable()) return () => undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
        return () => {
          if (lockHolder(lock) === process.pid) fs.rmSync(lock, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return () => undefined;
      }
      const holder = lockHolder(lock);
      if (holder !== null && holder !== process.pid && processExists(holder) && Date.now() - mtimeMs(lock) < maxHoldMs) return null;
      fs.rmSync(lock, { force: true });
    }
    return null;
  }

  /** Forgets every fact (the local platform at its start: what an earlier platform found is probed afresh). */
  clear(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A stable text of what a fact depends on, for its key. */
export function factKey(parts: Record<string, unknown>): string {
  return JSON.stringify(parts);
}

/** A file's identity as a key part: a replaced or changed file (a new bwrap, an edited folder) gives another key. */
export function fileIdentity(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.mode}:${st.uid}`;
  } catch {
    return 'missing';
  }
}

/** A small /proc file's content as a key part ('' when absent). */
export function procValue(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function lockHolder(lock: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function mtimeMs(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

