/**
 * Which bubblewrap binaries the sandbox may use, best first: the static one the executor bundle carries
 * (scripts/build-bwrap.sh, copied to `bin/bwrap` by scripts/bundles.js), then the host's. FC's custom.debian10
 * image has no bwrap of its own, so there the bundled one is the only way to get namespaces.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Where the running bundle carries its bwrap: beside `index.js` (esbuild keeps `__dirname` as the bundle folder). */
export const BUNDLED_BWRAP = path.join(__dirname, 'bin', 'bwrap');
export const SYSTEM_BWRAPS = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];

/**
 * Why `file` must not be used as bwrap, or null when it may be.
 *
 * Trust: bwrap is executed by the executor's sandbox uids (not root) and builds every run's namespaces, so whoever
 * can replace it controls every later run's sandbox: a program that swapped it for its own (running as a sandbox
 * uid, or a uid of another executor on the host) would get the next user's code and input. So the file must be a
 * root-owned regular file that neither its group nor others may write, and every folder above it, on the path as
 * given and on its real path, must be root-owned and not writable by others unless sticky (then only root can
 * rename root's entries): no one but root can then put another file at that path.
 *
 * Reach: the sandbox uids (no groups, not the owner) must be able to execute it, so the file needs the others'
 * execute bit and every folder above it the others' search bit; otherwise the probe would fail on a binary the
 * host's own bwrap could have replaced.
 */
export function bwrapProblem(file: string): string | null {
  let st: fs.Stats;
  let real: string;
  try {
    st = fs.lstatSync(file);
    real = fs.realpathSync(file);
  } catch {
    return 'missing';
  }
  if (!st.isFile()) return 'not a regular file';
  if (st.uid !== 0) return `owned by uid ${st.uid}, not root`;
  if ((st.mode & 0o022) !== 0) return `writable by group or others (mode ${(st.mode & 0o7777).toString(8)})`;
  if ((st.mode & 0o001) === 0) return 'not executable by others (the sandbox uids)';
  return folderChainProblem(path.dirname(path.resolve(file))) ?? folderChainProblem(path.dirname(real));
}

/** The first folder from `dir` up to `/` that a non-root user could change entries of, or others cannot search; or null. */
function folderChainProblem(dir: string): string | null {
  for (; ; dir = path.dirname(dir)) {
    let d: fs.Stats;
    try {
      d = fs.lstatSync(dir);
    } catch {
      return `${dir} cannot be read`;
    }
    if (d.uid !== 0) return `${dir} is owned by uid ${d.uid}, not root`;
    // A symlink's own mode means nothing; its owner and the folder holding it (checked next) decide.
    if (!d.isSymbolicLink() && (d.mode & 0o022) !== 0 && (d.mode & 0o1000) === 0) return `${dir} is writable by others`;
    if (!d.isSymbolicLink() && (d.mode & 0o001) === 0) return `${dir} is not searchable by others (the sandbox uids)`;
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * The bwrap paths to try, in order: the bundled one when it is present and usable (`log` says why one that is
 * present is not), then the system paths (root's by the host's own packaging).
 */
export function bwrapCandidates(options: { bundled?: string; log?: (message: string) => void } = {}): string[] {
  const bundled = options.bundled ?? BUNDLED_BWRAP;
  const reason = bwrapProblem(bundled);
  if (reason === null) return [bundled, ...SYSTEM_BWRAPS];
  if (reason !== 'missing') options.log?.(`sandbox: bundled bwrap ${bundled} not used: ${reason}`);
  return SYSTEM_BWRAPS;
}
