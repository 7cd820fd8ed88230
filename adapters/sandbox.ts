/**
 * The sandbox of the executor (issue: sandbox). Every program is hostile and the host is shared with the next
 * user, so each run gets, in layers:
 * 1. a minimal explicit environment (PATH, HOME, LANG, TERM + the language's variables; never the executor's);
 * 2. an unprivileged uid (gid = uid) of its own among the executor's range, no supplementary group, no
 *    capability, no_new_privs, and a 0700 working folder `<workRoot>/<uid>` (work root: root-owned, 0711);
 * 3. rlimits (util-linux prlimit): CPU seconds, address space, processes (per uid, hence distinct uids),
 *    file size, open files, no core dumps;
 * 4. on dispose, nothing left: every process of the uid killed (processSweeper), its folder, its files in
 *    the world-writable folders and its System V IPC objects deleted (fileSweeper);
 * 5. with `isolation: 'bwrap'`, namespaces (see bwrap.ts): the program sees only system folders read-only, its
 *    folder at /home/run, private /tmp, /proc, /dev, and no network unless the run allows it.
 *
 * The prepared command is `setpriv … -- prlimit … -- perl RUN_HEAD -- <0|1> [bwrap … --] perl FOREGROUND --
 * command…` (see execWrappers.ts for the two perl helpers), with `spawn.uid/gid` set: the spawner (PtySpawner)
 * switches identity as root and hands the terminal to the uid.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Isolation, PreparedSandbox, Sandbox, SandboxRequest, SpawnRequest } from '../core/ports';
import { BwrapProfile, bwrapFeatures, probeBwrap, SANDBOX_HOME, writeSyntheticEtc } from './bwrap';
import { bwrapCandidates } from './bwrapBinary';
import { findTool, FOREGROUND_AND_EXEC, RUN_HEAD, systemTools, type Tools } from './execWrappers';
import { removeFilesOf, removeIpcOf, SHARED_WRITABLE_FOLDERS } from './fileSweeper';
import { killProcessesOf } from './processSweeper';
import { UidPool } from './uidPool';

export { resolveInterpreter } from './resolveInterpreter';
export { SANDBOX_HOME } from './bwrap';

export interface SandboxOptions {
  /** `auto` probes bwrap once (a real sandboxed `/bin/true` as a sandbox uid) and falls back to `uid`. */
  isolation: 'auto' | 'bwrap' | 'uid';
  /** First sandbox uid of this executor process (>= 1000), and how many (one per concurrent run). */
  uidBase: number;
  uidCount: number;
  /** Where run folders are made; created root-owned 0711 if missing. Every component must be root-owned. */
  workRoot: string;
  /** More host folders visible read-only under bwrap (e.g. an interpreter outside /usr). */
  extraReadOnlyPaths?: string[];
  /** bubblewrap binary; default the bundle's own `bin/bwrap` if usable, else /usr/bin, /usr/local/bin, /bin (bwrapBinary.ts). */
  bwrapPath?: string;
  /** World-writable folders searched for a run's leftovers; default SHARED_WRITABLE_FOLDERS. */
  sharedFolders?: string[];
  /** Diagnostics (probe failures, uids taken out of service). */
  log?: (message: string) => void;
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
/** Processes of the uid besides the program's: the run head, plus bwrap's monitor and its pid-1 reaper. */
const EXTRA_PROCESSES = { uid: 1, bwrap: 3 } as const;

export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error('sandbox: the executor must run as root to switch to sandbox uids');
  const tools = systemTools();
  if (!tools) throw new Error('sandbox: needs util-linux setpriv and prlimit, perl and bash in /usr/bin or /bin');
  const pool = new UidPool(options.uidBase, options.uidCount);
  const workRoot = ensureWorkRoot(options.workRoot);
  const sharedFolders = options.sharedFolders ?? SHARED_WRITABLE_FOLDERS;

  // A previous executor process with this range may have died mid-run: clear everything of the range first.
  const all = pool.all();
  await sweep(tools, all, workRoot, sharedFolders);
  for (const uid of all) fs.rmSync(path.join(workRoot, String(uid)), { recursive: true, force: true });

  let profile: BwrapProfile | null = null;
  if (options.isolation !== 'uid') {
    const setUp = await setUpBwrap(options, tools, pool, workRoot);
    if ('reason' in setUp) {
      if (options.isolation === 'bwrap') throw new Error(`sandbox: bwrap isolation is not usable here: ${setUp.reason}`);
      log(`sandbox: bwrap not usable (${setUp.reason}); falling back to uid isolation`);
    } else {
      profile = setUp.profile;
    }
  }
  return new ProcessSandbox(profile ? 'bwrap' : 'uid', tools, pool, workRoot, profile, sharedFolders, log);
}

/** Finds bwrap, builds the profile and probes it for real as the range's first uid. */
async function setUpBwrap(options: SandboxOptions, tools: Tools, pool: UidPool, workRoot: string): Promise<{ profile: BwrapProfile } | { reason: string }> {
  const bwrap = options.bwrapPath ?? findTool(bwrapCandidates({ log: options.log }));
  if (!bwrap || !findTool([bwrap])) return { reason: 'bwrap not found' };
  // Per range: executor processes of one host may share the work root, each with its own uids.
  const etcFolder = path.join(workRoot, `.etc-${pool.base}-${pool.count}`);
  writeSyntheticEtc(etcFolder, pool.all());
  const profile = new BwrapProfile(bwrap, bwrapFeatures(bwrap), etcFolder, options.extraReadOnlyPaths ?? []);
  const probe = probeBwrap(tools, profile, pool.base, path.join(workRoot, `.probe-${process.pid}`));
  await sweep(tools, [pool.base], workRoot, []);
  return probe.ok ? { profile } : { reason: probe.reason ?? 'probe failed' };
}

/** Creates the work root (root-owned, 0711) and refuses one that a non-root user could tamper with. */
function ensureWorkRoot(workRoot: string): string {
  const resolved = path.resolve(workRoot);
  fs.mkdirSync(resolved, { recursive: true, mode: 0o711 });
  const real = fs.realpathSync(resolved);
  for (let dir = real; ; dir = path.dirname(dir)) {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== 0) throw new Error(`sandbox: ${dir} (on the work root's path) must be a root-owned folder`);
    if (dir !== real && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
      throw new Error(`sandbox: ${dir} (on the work root's path) is writable by others without the sticky bit`);
    }
    if (path.dirname(dir) === dir) break;
  }
  fs.chmodSync(real, 0o711);
  return real;
}

/**
 * Kills the uids' processes, then removes what they may have left on the host. `hostWritable` false means the
 * programs could not write to the host beyond their folder (bwrap: private /tmp, /dev and IPC namespace,
 * read-only root), so the walk of the shared folders — the slow part on a busy /tmp — is skipped.
 */
async function sweep(tools: Tools, uids: number[], workRoot: string, sharedFolders: string[], hostWritable = true) {
  const outcome = await killProcessesOf(tools, uids);
  if (!hostWritable) return outcome;
  const set = new Set(uids);
  if (sharedFolders.length > 0) removeFilesOf(set, { roots: sharedFolders, skip: [workRoot] });
  removeIpcOf(set, tools.ipcrm);
  return outcome;
}

/** The request's file paths, normalised; throws on anything that could land outside the run's folder. */
export function checkedFilePaths(files: SandboxRequest['files']): string[] {
  const seen = new Set<string>();
  return files.map(({ path: p }) => {
    if (typeof p !== 'string' || p.length === 0 || p.includes('\0') || p.includes('\\')) throw new Error(`sandbox: bad file path ${JSON.stringify(p)}`);
    if (path.posix.isAbsolute(p)) throw new Error(`sandbox: file path must be relative: ${JSON.stringify(p)}`);
    const segments = p.split('/');
    if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new Error(`sandbox: file path escapes or is not normal: ${JSON.stringify(p)}`);
    if (seen.has(p)) throw new Error(`sandbox: duplicate file path ${JSON.stringify(p)}`);
    seen.add(p);
    return p;
  });
}

function positiveInt(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`sandbox: limit ${name} must be positive, got ${value}`);
  return Math.ceil(value);
}

class ProcessSandbox implements Sandbox {
  constructor(
    readonly isolation: Isolation,
    private readonly tools: Tools,
    private readonly pool: UidPool,
    private readonly workRoot: string,
    private readonly profile: BwrapProfile | null,
    private readonly sharedFolders: string[],
    private readonly log: (message: string) => void,
  ) {}

  async prepare(request: SandboxRequest): Promise<PreparedSandbox> {
    const relPaths = checkedFilePaths(request.files);
    if (request.command.length === 0) throw new Error('sandbox: empty command');
    const limits = request.limits;
    const cpuSeconds = positiveInt('cpuMs', limits.cpuMs / 1000);
    const memory = positiveInt('memoryBytes', limits.memoryBytes);
    const processes = positiveInt('processes', limits.processes) + EXTRA_PROCESSES[this.isolation];
    const fileBytes = positiveInt('fileBytes', limits.fileBytes);
    const openFiles = positiveInt('openFiles', limits.openFiles);

    const uid = this.pool.acquire();
    if (uid === null) throw new Error(`sandbox: all ${this.pool.count} sandbox uids are in use`);
    const gid = uid;
    const folder = path.join(this.workRoot, String(uid));
    try {
      fs.rmSync(folder, { recursive: true, force: true });
      fs.mkdirSync(folder, { mode: 0o700 });
      fs.chownSync(folder, uid, gid);
      fs.chmodSync(folder, 0o700);
      request.files.forEach((file, i) => writeOwned(folder, relPaths[i], file.content, uid, gid));
    } catch (err) {
      fs.rmSync(folder, { recursive: true, force: true });
      this.pool.release(uid);
      throw err;
    }

    const home = this.profile ? SANDBOX_HOME : folder;
    const env: Record<string, string> = { PATH: DEFAULT_PATH, HOME: home, LANG: 'C.UTF-8', TERM: 'xterm-256color', ...request.env };
    const args = [
      // The spawner already switched to uid:gid (as root, clearing groups). This is a guard for a spawner
      // that would not have: it still lands on the uid. It also sets no_new_privs and clears inheritable caps.
      `--reuid=${uid}`,
      `--regid=${gid}`,
      '--keep-groups',
      '--inh-caps=-all',
      '--no-new-privs',
      '--',
      this.tools.prlimit,
      `--cpu=${cpuSeconds}:${cpuSeconds + 1}`,
      `--as=${memory}`,
      `--nproc=${processes}`,
      `--fsize=${fileBytes}`,
      `--nofile=${openFiles}`,
      '--core=0',
      '--',
      this.tools.perl,
      '-e',
      RUN_HEAD,
      '--',
      this.profile ? '1' : '0',
      ...(this.profile ? this.profile.argv({ hostFolder: folder, allowNetwork: request.allowNetwork, tmpBytes: memory }) : []),
      this.tools.perl,
      '-e',
      FOREGROUND_AND_EXEC,
      '--',
      ...request.command,
    ];
    const spawn: SpawnRequest = { file: this.tools.setpriv, args, cwd: folder, env, cols: request.cols, rows: request.rows, uid, gid };

    let disposing: Promise<void> | null = null;
    const dispose = () => (disposing ??= this.cleanUp(uid, folder));
    return { spawn, dispose };
  }

  private async cleanUp(uid: number, folder: string): Promise<void> {
    // Processes first: once none is left, nothing races the file walk.
    const outcome = await sweep(this.tools, [uid], this.workRoot, this.sharedFolders, this.isolation !== 'bwrap');
    fs.rmSync(folder, { recursive: true, force: true });
    if (outcome.survivors.size > 0) {
      this.log(`sandbox: uid ${uid} still has processes ${[...outcome.survivors.values()].flat().join(',')}; taken out of service`);
      this.pool.quarantine(uid);
    } else {
      this.pool.release(uid);
    }
  }
}

/** Writes one request file below `folder`, creating folders (0700) as needed, everything owned by uid:gid. */
function writeOwned(folder: string, rel: string, content: string, uid: number, gid: number): void {
  const segments = rel.split('/');
  let dir = folder;
  for (const segment of segments.slice(0, -1)) {
    dir = path.join(dir, segment);
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.chownSync(dir, uid, gid);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.lstatSync(dir).isDirectory()) throw err;
    }
  }
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(path.join(dir, segments[segments.length - 1]), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, content);
    fs.fchownSync(fd, uid, gid);
    fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}
