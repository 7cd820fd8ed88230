/**
 * bubblewrap, run unprivileged as the sandbox uid (inside the command chain, after the run head: see
 * commandChain.ts): new user, pid, ipc, uts and (unless the run may use it) network namespaces; a root of its own
 * with the system folders read-only, a private /tmp and /dev/shm, a fresh /proc and /dev, and the run's folder
 * read-write at `/home/run`.
 *
 * What is mounted: /usr, /bin, /sbin, /lib* (as the host has them: folders or merged-usr symlinks), the
 * pieces of /etc programs need (dynamic linker cache, alternatives, time zone, name service, TLS roots,
 * python/perl configuration; not the host's passwd/group: a synthetic one names the sandbox uid `run`) as one
 * read-only folder, the sandbox's /etc view (hostEtcView: copied once per host, since a bind mount per entry
 * cost each run about 10 ms) with the range's passwd and group in one more bind (IDENTITY_DIR),
 * /var/fc/lang when present (FC's runtimes), /opt when it holds a toolchain (where FC unpacks layers: gcc or a JDK,
 * see core/languages/candidates.ts), and `extraReadOnlyPaths`. Not /root, /home, /code, /var, /run.
 *
 * Each bind costs bwrap a mount, a read of /proc/self/mountinfo (as long as the host has mounts) and a remount, all
 * before the program's first byte: what need not be bound is not.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { FC_RUNTIMES, LAYERS_ROOT } from '../../core/languages/candidates';
import { RUN_LIMITS } from '../../core/runLimits';
import { findTool, type Tools } from '../process/systemTools';
import { commandChain, type Rlimits } from './commandChain';
import { runAsUid } from './runAsUid';

/** Where the run's folder appears inside the sandbox (its HOME and working folder). */
export const SANDBOX_HOME = '/home/run';

const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC_ENTRIES = [
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'timezone',
  'zoneinfo',
  'nsswitch.conf',
  'host.conf',
  'hosts',
  'resolv.conf',
  'gai.conf',
  'protocols',
  'services',
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'pki',
  'mime.types',
  'terminfo',
  'inputrc',
  'locale.alias',
  'os-release',
  'debian_version',
  'java-17-openjdk',
  'java-11-openjdk',
];
/** /etc entries kept by prefix (per-version configuration of interpreters). */
const ETC_PREFIXES = ['python', 'perl', 'php', 'ruby', 'gcc', 'java'];
/**
 * The folder of the host view (hostEtcView) where each uid range's synthetic `passwd` and `group` are bound, one bind
 * for both: the view's own `passwd` and `group` are symlinks into it.
 */
const IDENTITY_DIR = 'pocketrun-identity';
const IDENTITY_FILES = ['passwd', 'group'] as const;

/**
 * Whether /opt holds a toolchain as the language registry looks for them (`/opt/bin`, `/opt/<layer>/bin`:
 * core/languages/candidates.ts): only then is it bound. Add-on software without a `bin` is nothing a run uses.
 */
function holdsToolchains(root: string): boolean {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return false;
  }
  return fs.existsSync(path.join(root, 'bin')) || names.some((name) => fs.existsSync(path.join(root, name, 'bin')));
}

export interface BwrapFeatures {
  /** `--size` for tmpfs (bubblewrap >= 0.7). */
  tmpfsSize: boolean;
  /** `--disable-userns` (bubblewrap >= 0.8). */
  disableUserns: boolean;
  /** `--unshare-cgroup-try`. */
  cgroupTry: boolean;
}

export function bwrapFeatures(bwrap: string): BwrapFeatures {
  const help = spawnSync(bwrap, ['--help'], { encoding: 'utf8', timeout: 5_000 });
  const text = `${help.stdout ?? ''}${help.stderr ?? ''}`;
  return {
    tmpfsSize: /--size\b/.test(text),
    disableUserns: /--disable-userns\b/.test(text),
    cgroupTry: /--unshare-cgroup-try\b/.test(text),
  };
}

export interface BwrapRun {
  /** Host folders bound read-write at SANDBOX_HOME, /tmp and /dev/shm: the run's slot, so one disk cap covers all three. */
  home: string;
  tmp: string;
  shm: string;
  allowNetwork: boolean;
  /**
   * A terminal run: its foreground group holds bwrap's monitor (commandChain.ts), which Ctrl-C kills, so the monitor
   * goes without `--die-with-parent` there (its pid-1 and the program carry on; the run head waits for them and ends
   * the run as ever: `kill -9 -1` as the uid, then the sandbox's sweep). Pipe runs keep it.
   */
  terminal: boolean;
}

export class BwrapProfile {
  private readonly fixed: string[];

  constructor(
    readonly bwrap: string,
    readonly features: BwrapFeatures,
    /** Root-owned folder holding the sandbox's /etc (writeEtcView, or hostEtcView: then without the range's uids). */
    etcFolder: string,
    extraReadOnlyPaths: string[],
    /** With a host view: the root-owned folder of this uid range's synthetic `passwd` and `group` (writeSyntheticEtc), bound at IDENTITY_DIR. */
    identityFolder?: string,
    /** Where toolchains of FC layers may be (bound when holdsToolchains); a parameter for the tests. */
    layersRoot = LAYERS_ROOT,
  ) {
    const a: string[] = ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--hostname', 'pocketrun'];
    if (features.cgroupTry) a.push('--unshare-cgroup-try');
    if (features.disableUserns) a.push('--disable-userns');
    for (const folder of SYSTEM_FOLDERS) {
      let st: fs.Stats;
      try {
        st = fs.lstatSync(folder);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) a.push('--symlink', fs.readlinkSync(folder), folder);
      else if (st.isDirectory()) a.push('--ro-bind', folder, folder);
    }
    a.push('--ro-bind', etcFolder, '/etc');
    if (identityFolder) a.push('--ro-bind', identityFolder, `/etc/${IDENTITY_DIR}`);
    if (fs.existsSync(FC_RUNTIMES)) a.push('--ro-bind', FC_RUNTIMES, FC_RUNTIMES);
    if (holdsToolchains(layersRoot)) a.push('--ro-bind', layersRoot, LAYERS_ROOT);
    for (const extra of extraReadOnlyPaths) a.push('--ro-bind-try', extra, extra);
    a.push('--proc', '/proc', '--dev', '/dev');
    this.fixed = a;
  }

  /** bwrap and its arguments, ending with `--`: append the command. */
  argv(run: BwrapRun): string[] {
    const a = [this.bwrap, ...this.fixed];
    if (!run.terminal) a.push('--die-with-parent');
    if (!run.allowNetwork) a.push('--unshare-net');
    a.push('--bind', run.tmp, '/tmp', '--bind', run.shm, '/dev/shm');
    a.push('--dir', '/var', '--symlink', '../tmp', '/var/tmp');
    a.push('--bind', run.home, SANDBOX_HOME, '--chdir', SANDBOX_HOME, '--setenv', 'PWD', SANDBOX_HOME);
    a.push('--remount-ro', '/');
    a.push('--');
    return a;
  }
}

/** The host's /etc entries the sandbox shows (ETC_ENTRIES and ETC_PREFIXES that exist), sorted. */
function etcEntries(etc: string): string[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(etc);
  } catch {
    // no /etc
  }
  const shown = new Set(ETC_ENTRIES.filter((name) => names.includes(name)));
  for (const name of names) if (ETC_PREFIXES.some((prefix) => name.startsWith(prefix))) shown.add(name);
  return [...shown].sort();
}

/**
 * Copies `from` to `to` as a sandbox uid would see it through a bind mount: folders and symlinks as they are (a
 * symlink is resolved inside the sandbox, as it was under a bind), files that others may read with their content
 * and mode, and nothing that others may not read or that is not a file, folder or symlink (sockets, devices).
 * Owned by root whoever owned the original: the view is read-only anyway.
 */
function copyReadable(from: string, to: string, st: fs.Stats): void {
  if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(from), to);
  } else if (st.isDirectory()) {
    fs.mkdirSync(to, { mode: 0o700 });
    // A folder others cannot list and enter stays empty: what is below it was out of reach.
    if ((st.mode & 0o005) === 0o005) {
      for (const name of fs.readdirSync(from)) copyReadable(path.join(from, name), path.join(to, name), fs.lstatSync(path.join(from, name)));
    }
    fs.chmodSync(to, st.mode & 0o1755);
  } else if (st.isFile() && (st.mode & 0o004) !== 0) {
    fs.copyFileSync(from, to);
    fs.chmodSync(to, st.mode & 0o755);
  }
}

/**
 * Writes the sandbox's /etc view into `folder` (root-owned, 0755), replacing what an earlier start left there: the
 * host's entries of etcEntries() as they are now (a snapshot: an instance is short-lived, and a change to the host's
 * /etc shows at the next instance start), the top-level symlinks followed as a bind mount followed them, and the
 * synthetic passwd/group (writeSyntheticEtc).
 */
export function writeEtcView(folder: string, uids: number[], etc = '/etc'): void {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true, mode: 0o755 });
  for (const name of etcEntries(etc)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(etc, name));
    } catch {
      continue; // a dangling symlink: absent, as under --ro-bind-try
    }
    copyReadable(path.join(etc, name), path.join(folder, name), st);
  }
  writeSyntheticEtc(folder, uids);
}

/**
 * Whether `folder` is a complete view as hostEtcView leaves it: root-owned, not writable by others, with the
 * IDENTITY_DIR its `passwd` and `group` point into (they dangle on the host: each range binds its own there).
 */
export function isHostEtcView(folder: string): boolean {
  try {
    const st = fs.lstatSync(folder);
    return st.isDirectory() && st.uid === 0 && (st.mode & 0o022) === 0 && fs.lstatSync(path.join(folder, IDENTITY_DIR)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The host's part of the sandbox's /etc, shared by every executor process of the host using this work root: the view
 * writeEtcView makes, whose `passwd` and `group` are symlinks into the empty folder IDENTITY_DIR (each range binds its
 * own there: BwrapProfile's identityFolder), in a folder named
 * after a fingerprint of everything it copies (path, type, mode, size, mtime, inode of each entry it would visit).
 * So /etc is copied once per host and again when it changes, and an instance start only walks it (lstat, no
 * writes): the copy was 50–90 ms of CPU per start. Renamed into place only once complete; of instances starting
 * together, one copy wins and the others' are removed.
 */
export function hostEtcView(workRoot: string, etc = '/etc'): string {
  const folder = path.join(workRoot, `.etc-host-${etcFingerprint(etc)}`);
  const ready = () => isHostEtcView(folder);
  if (ready()) return folder;
  const temp = `${folder}.${process.pid}.tmp`;
  writeEtcView(temp, [], etc);
  fs.mkdirSync(path.join(temp, IDENTITY_DIR), { mode: 0o755 });
  for (const name of IDENTITY_FILES) {
    fs.rmSync(path.join(temp, name), { force: true });
    fs.symlinkSync(`${IDENTITY_DIR}/${name}`, path.join(temp, name));
  }
  try {
    fs.renameSync(temp, folder);
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    if (!ready()) throw err;
  }
  return folder;
}

/**
 * What hostEtcView's folder is named after: the walk copyReadable would make, stat by stat, and the view's own layout
 * (a view laid out otherwise by an older executor sharing the work root is never taken for this one).
 */
const VIEW_LAYOUT = `identity in ${IDENTITY_DIR}`;
function etcFingerprint(etc: string): string {
  const hash = createHash('sha256');
  hash.update(`${VIEW_LAYOUT}\n`);
  const visit = (file: string, rel: string, st: fs.Stats) => {
    hash.update(`${rel}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0${st.ino}\n`);
    if (st.isDirectory() && (st.mode & 0o005) === 0o005) {
      for (const name of fs.readdirSync(file).sort()) visit(path.join(file, name), `${rel}/${name}`, fs.lstatSync(path.join(file, name)));
    }
  };
  for (const name of etcEntries(etc)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(etc, name));
    } catch {
      continue;
    }
    visit(path.join(etc, name), name, st);
  }
  return hash.digest('hex').slice(0, 16);
}

/** Writes the synthetic passwd/group naming each sandbox uid `run` (root-owned, 0644, in a 0755 folder). */
export function writeSyntheticEtc(folder: string, uids: number[]): void {
  fs.mkdirSync(folder, { recursive: true, mode: 0o755 });
  fs.chmodSync(folder, 0o755);
  const passwd = ['root:x:0:0:root:/root:/bin/sh', ...uids.map((u) => `run:x:${u}:${u}:run:${SANDBOX_HOME}:/bin/sh`), 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin'];
  const group = ['root:x:0:', ...uids.map((u) => `run:x:${u}:`), 'nogroup:x:65534:'];
  for (const [name, lines] of [[IDENTITY_FILES[0], passwd], [IDENTITY_FILES[1], group]] as const) {
    const file = path.join(folder, name);
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${lines.join('\n')}\n`, { mode: 0o644 });
    fs.chmodSync(temp, 0o644);
    fs.renameSync(temp, file);
  }
}

export interface ProbeResult {
  ok: boolean;
  /** Why not, for logs. */
  reason?: string;
}

/** The probe's rlimits: the most any run may get, so that the probe fails only where every run would. */
const PROBE_RLIMITS: Rlimits = {
  cpuSeconds: RUN_LIMITS.cpuMs.max / 1000,
  memoryBytes: RUN_LIMITS.memoryBytes.max,
  processes: RUN_LIMITS.processes.max,
  fileBytes: RUN_LIMITS.fileBytes.max,
  openFiles: RUN_LIMITS.openFiles.max,
};

/**
 * Actually runs `/bin/true` in a sandbox exactly like a run's (the same command chain), as `uid`, in a scratch
 * folder owned by it. Fails when bwrap is missing, user namespaces are off, /proc cannot be mounted (some container
 * runtimes), and so on.
 */
export function probeBwrap(
  tools: Pick<Tools, 'perl'>,
  profile: BwrapProfile,
  uid: number,
  scratchFolder: string,
): ProbeResult {
  const truePath = findTool(['/bin/true', '/usr/bin/true']) ?? '/bin/true';
  // The scratch folder is made fresh by root in the root-owned work root and holds nothing but empty folders, so
  // removing it by path afterwards cannot be steered anywhere.
  fs.rmSync(scratchFolder, { recursive: true, force: true });
  fs.mkdirSync(scratchFolder, { mode: 0o700 });
  try {
    fs.chownSync(scratchFolder, uid, uid);
    const sub = (name: string) => {
      const dir = path.join(scratchFolder, name);
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chownSync(dir, uid, uid);
      return dir;
    };
    const bwrap = profile.argv({ home: sub('home'), tmp: sub('tmp'), shm: sub('shm'), allowNetwork: false, terminal: true });
    const argv = commandChain({ tools, rlimits: PROBE_RLIMITS, bwrap, command: [truePath] });
    const result = runAsUid(tools, uid, uid, argv, { cwd: scratchFolder, timeoutMs: 15_000 });
    if (result.error) return { ok: false, reason: result.error.message };
    if (result.status !== 0) return { ok: false, reason: `exit ${result.status ?? result.signal}: ${result.stderr.trim().slice(0, 500)}` };
    return { ok: true };
  } finally {
    fs.rmSync(scratchFolder, { recursive: true, force: true });
  }
}
