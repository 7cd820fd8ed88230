/**
 * Picks the first interpreter path a sandbox uid can actually execute. The obvious candidate is not always
 * usable: this machine's `python3` on PATH is pyenv's inside /root (mode 0700), which root runs fine and a
 * sandbox uid cannot even reach.
 *
 * Two checks, cheapest first: every folder on the path (as written and after resolving symlinks) must be
 * searchable by the uid and the file executable by it; then the candidate is really started as the uid with
 * `--version` (accepted when it ran at all: exit codes 126/127, a failed exec or a timeout reject it, so an
 * unreadable shared library or a wrapper script whose own interpreter is out of reach is caught too).
 *
 * Under bwrap only the system folders, /var/fc/lang and the sandbox's `extraReadOnlyPaths` are visible:
 * an interpreter elsewhere needs its folder in `extraReadOnlyPaths`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { systemTools } from '../process/systemTools';
import { runAsUid } from './runAsUid';

const cache = new Map<string, string | null>();

/** Whether "owner / group / other" permission bits of `st` grant `bit` (1 = x, 4 = r) to uid:gid. */
function grants(st: fs.Stats, uid: number, gid: number, bit: number): boolean {
  if (st.uid === uid) return ((st.mode >> 6) & bit) !== 0;
  if (st.gid === gid) return ((st.mode >> 3) & bit) !== 0;
  return (st.mode & bit) !== 0;
}

function foldersSearchable(file: string, uid: number, gid: number): boolean {
  let dir = path.dirname(file);
  for (;;) {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      return false;
    }
    if (!st.isDirectory() || !grants(st, uid, gid, 1)) return false;
    const parent = path.dirname(dir);
    if (parent === dir) return true;
    dir = parent;
  }
}

/** Permission bits only: could uid:gid exec `file`? */
export function permitsExecution(file: string, uid: number, gid: number): boolean {
  if (!path.isAbsolute(file)) return false;
  let real: string;
  let st: fs.Stats;
  try {
    real = fs.realpathSync(file);
    st = fs.statSync(real);
  } catch {
    return false;
  }
  if (!st.isFile() || !grants(st, uid, gid, 1)) return false;
  return foldersSearchable(file, uid, gid) && foldersSearchable(real, uid, gid);
}

/**
 * The first of `candidates` (absolute paths) the sandbox identity uid:gid can execute, or null. Results are
 * cached for the life of the process, per candidate list and identity.
 */
export function resolveInterpreter(candidates: string[], uid: number, gid: number): string | null {
  const key = `${uid}:${gid}:${candidates.join('\0')}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const tools = systemTools();
  let found: string | null = null;
  for (const candidate of candidates) {
    if (!permitsExecution(candidate, uid, gid)) continue;
    if (tools && process.getuid?.() === 0) {
      const result = runAsUid(tools, uid, gid, [candidate, '--version'], { timeoutMs: 10_000 });
      if (result.error || result.signal || result.status === null || result.status === 126 || result.status === 127) continue;
    }
    found = candidate;
    break;
  }
  cache.set(key, found);
  return found;
}
