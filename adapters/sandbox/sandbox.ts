/**
 * The sandbox of the executor (issue: sandbox). Every program is hostile and the host is shared with the next
 * user, so each run gets, in layers:
 * 1. a minimal explicit environment (PATH, HOME, LANG, TERM + the language's variables; never the executor's);
 * 2. an unprivileged uid (gid = uid) of its own among the executor's range, never the previous run's (the pool
 *    rotates), no capability, no_new_privs, no supplementary group but the deny group of sharedFolderGuard.ts,
 *    and a slot `<workRoot>/<uid>` (root:uid 0710, so no other uid can enter it whatever the program does to
 *    its own folders) holding `home` (working folder), `tmp` (TMPDIR) and `shm`, on a size-capped tmpfs of its
 *    own where the host allows mounts (see slotCleaner.ts);
 * 3. rlimits (set by the run head): CPU seconds, address space, processes (per uid, hence distinct uids),
 *    file size, open files, no core dumps, no POSIX message queues;
 * 4. on dispose, nothing left: no process of the uid (proved by the kernel's count of them, else killed by the
 *    sweep: processSweeper), then, as the uid itself, its
 *    keyrings, System V IPC objects, slot and files in the shared folders removed (slotCleaner.ts); what cannot
 *    be removed is moved aside, a uid something of which may still live is retired, and a sandbox with no uid
 *    left says it is not ready (the instance must stop taking runs);
 * 5. with `isolation: 'bwrap'`, namespaces (see bwrap.ts): the program sees only system folders read-only, its
 *    slot's folders at /home/run, /tmp and /dev/shm, private /proc, /dev, and no network unless the run allows it;
 * 6. a total disk cap: the slot's tmpfs size, and a watch of its usage that ends the run as `disk_limit`.
 *
 * The prepared command is the command chain (commandChain.ts: run head, bwrap, foreground helper) with
 * `spawn.uid/gid/groups` set, which the port's type requires: the spawner switches identity as root, in its
 * prelude, and hands the terminal to the uid.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as L from '../../core/limits';
import type { Disposable, Isolation, MeteredSpawn, MeteredSpawnRequest, PreparedSandbox, Sandbox, SandboxedSpawnRequest, SandboxReport, SandboxRequest } from '../../core/ports';
import { RUN_LIMITS } from '../../core/runLimits';
import { USAGE_FD } from '../process/pipeSpawner';
import { findTool, systemTools, type Tools } from '../process/systemTools';
import { BwrapProfile, bwrapFeatures, hostEtcView, isHostEtcView, probeBwrap, SANDBOX_HOME, writeSyntheticEtc, type BwrapFeatures } from './bwrap';
import { bwrapCandidates } from './bwrapBinary';
import { commandChain, type Rlimits } from './commandChain';
import { watchDisk } from './diskWatch';
import { cgroupCpuMs, uidTreeCpuMs, watchTreeCpu, type CpuWatch } from './cpuWatch';
import { factKey, fileIdentity, procValue, type HostFacts } from './hostFacts';
import { MemoryCgroups, ownMemoryCgroup, probeMemoryCgroups, type CgroupJoiner, type CgroupVersion } from './memoryCgroups';
import { watchTreeMemory, type MemoryWatch } from './memoryWatch';
import { killProcessesOf, sweepAndReap } from './processSweeper';
import { runAsUid } from './runAsUid';
import { guardSharedFolders, SHARED_WRITABLE_FOLDERS, sharedFolders } from './sharedFolderGuard';
import { cleanSlots, type Slot, type SlotCleanOptions, type SlotReport } from './slotCleaner';
import { SlotCleanerProcess } from './slotCleanerProcess';
import { treeReaped } from './treeReaped';
import { UidPool } from './uidPool';


export interface SandboxOptions {
  /** `auto` probes bwrap once (a real sandboxed `/bin/true` as a sandbox uid) and falls back to `uid`. */
  isolation: 'auto' | 'bwrap' | 'uid';
  /** First sandbox uid of this executor process (>= 1000), and how many (one per concurrent run, plus one so the next run never gets the previous run's uid). */
  uidBase: number;
  uidCount: number;
  /** Where run slots are made; created root-owned 0711 if missing. Every component must be root-owned. */
  workRoot: string;
  /** More host folders visible read-only under bwrap (e.g. an interpreter outside /usr). */
  extraReadOnlyPaths?: string[];
  /** bubblewrap binary; default the bundle's own `bin/bwrap` if usable, else /usr/bin, /usr/local/bin, /bin (bwrapBinary.ts). */
  bwrapPath?: string;
  /** World-writable host folders kept from (or swept for) sandbox uids; default SHARED_WRITABLE_FOLDERS. */
  sharedFolders?: string[];
  /** `auto`: a tmpfs per slot where the host allows mounts; `off`: plain folders and the usage watch only (as on FC). */
  mounts?: 'auto' | 'off';
  /** `auto`: deny sandbox uids the shared folders by ACL where the filesystem allows; `off`: sweep them after each run. */
  sharedFolderGuard?: 'auto' | 'off';
  /** `auto`: give each uid-mode program a /proc of its own that hides other uids where the host allows; `off`: never. */
  privateProc?: 'auto' | 'off';
  /** `auto`: metered spawns (judge mode) get a memory cgroup each where the host allows; `off`: RLIMIT_AS and an RSS watch. */
  memoryCgroups?: 'auto' | 'off';
  /**
   * The spawner metered commands go through (process/pipeSpawner.ts PipeSpawner), which then holds each memory cgroup's
   * first process ahead, already joined (memoryCgroups.ts CgroupJoiner): a metered spawn no longer waits for the join.
   */
  joinAhead?: CgroupJoiner;
  /** The largest `diskBytes` a run may get (the size of each slot's tmpfs). */
  diskMaxBytes?: number;
  /** Diagnostics (probe failures, uids taken out of service). */
  log?: (message: string) => void;
  /** Called as each step of the start is through (the executor's start timeline). */
  onStep?: (step: string) => void;
  /**
   * Where instances sharing this host hand down what the start probes about the host (hostFacts.ts): bwrap usable
   * and its features, the host's /etc view, private /proc, memory cgroups. Unset (FC): every start probes all of it.
   */
  hostFacts?: HostFacts;
}

/**
 * The host's answers to the start-up probes (hostFacts.ts), each null when this start did not ask (bwrap not
 * wanted; private /proc not needed under bwrap; memory cgroups turned off).
 */
interface SandboxFacts {
  bwrap: { features: BwrapFeatures; etcView: string } | { reason: string } | null;
  privateProc: boolean | null;
  privateNet?: boolean | null;
  memory: { version: CgroupVersion; dir: string } | { reason: string } | null;
}

/** Everything the probes' answers depend on that could change while instances come and go. */
function sandboxFactsKey(options: SandboxOptions, bwrap: string | null): string {
  return factKey({
    kernel: os.release(),
    boot: procValue('/proc/sys/kernel/random/boot_id'),
    userNamespaces: ['/proc/sys/user/max_user_namespaces', '/proc/sys/kernel/unprivileged_userns_clone', '/proc/sys/kernel/apparmor_restrict_unprivileged_userns'].map(procValue),
    bwrap: options.isolation === 'uid' ? null : bwrap && { path: bwrap, file: fileIdentity(bwrap) },
    etc: fileIdentity('/etc'),
    extraReadOnlyPaths: options.extraReadOnlyPaths ?? [],
    privateProc: options.privateProc ?? 'auto',
    memoryCgroups: options.memoryCgroups ?? 'auto',
    cgroup: procValue('/proc/self/cgroup'),
  });
}

const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
/** The supplementary group every uid-mode program carries, denied the shared folders (see sharedFolderGuard.ts). */
export const SANDBOX_DENY_GID = 39_999;

export async function createSandbox(options: SandboxOptions): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const step = options.onStep ?? (() => {});
  if (process.getuid?.() !== 0) throw new Error('sandbox: the executor must run as root to switch to sandbox uids');
  const tools = systemTools();
  if (!tools) throw new Error('sandbox: needs perl and bash in /usr/bin or /bin');
  const pool = new UidPool(options.uidBase, options.uidCount);
  if (pool.count < 2) log('sandbox: only one sandbox uid: consecutive runs share it (give at least 2 so the next run never gets the previous one)');
  const workRoot = ensureWorkRoot(options.workRoot);
  const trash = ensureRootOnly(path.join(workRoot, '.trash'));
  emptyTrash(tools, trash, log);
  step('sandbox: work root');

  // What an earlier start on this host found about it (hostFacts.ts), taken when found under what holds now; what
  // is not known is probed, and the findings are handed on.
  const bwrapPath = options.isolation === 'uid' ? null : (options.bwrapPath ?? findTool(bwrapCandidates({ log: options.log })));
  const factsKey = options.hostFacts ? sandboxFactsKey(options, bwrapPath) : '';
  const known = options.hostFacts?.read<SandboxFacts>('sandbox', factsKey) ?? null;
  const found: SandboxFacts = { bwrap: null, privateProc: null, privateNet: null, memory: null };
  let probed = false;
  const probeStep = (what: string, fromFacts: boolean) => {
    probed ||= !fromFacts;
    step(`sandbox: ${what} ${fromFacts ? '(host facts)' : 'probe'}`);
  };

  let profile: BwrapProfile | null = null;
  if (options.isolation !== 'uid') {
    const knownSetUp = known?.bwrap ? knownBwrap(options, bwrapPath, known.bwrap, pool, workRoot) : null;
    const setUp = knownSetUp ?? (await setUpBwrap(options, bwrapPath, tools, pool, workRoot));
    found.bwrap = 'reason' in setUp ? { reason: setUp.reason } : { features: setUp.profile.features, etcView: setUp.etcView };
    if ('reason' in setUp) {
      if (options.isolation === 'bwrap') throw new Error(`sandbox: bwrap isolation is not usable here: ${setUp.reason}`);
      log(`sandbox: bwrap not usable (${setUp.reason}); falling back to uid isolation`);
    } else {
      profile = setUp.profile;
    }
    probeStep('bwrap', knownSetUp !== null);
  }

  // Under bwrap programs never see the host's shared folders or processes; without it they are denied or swept,
  // and hidden where the host lets each program have a /proc of its own.
  const folders = profile ? { denied: [], swept: [] } : guard(options, tools, pool, workRoot);
  step('sandbox: shared folders');
  let privateProc = false;
  if (!profile && options.privateProc !== 'off') {
    const knownPrivateProc = typeof known?.privateProc === 'boolean' ? known.privateProc : null;
    privateProc = knownPrivateProc ?? privateProcWorks(tools, pool.base, log);
    found.privateProc = privateProc;
    probeStep('private /proc', knownPrivateProc !== null);
  }
  let privateNet = false;
  if (!profile) {
    const knownPrivateNet = typeof known?.privateNet === 'boolean' ? known.privateNet : null;
    privateNet = knownPrivateNet ?? privateNetWorks(tools, pool.base, log);
    found.privateNet = privateNet;
    probeStep('private network', knownPrivateNet !== null);
  }
  const cleaner: Omit<SlotCleanOptions, 'tmpfs'> = { perl: tools.perl, trash, sweepRoots: folders.swept };
  const diskMax = options.diskMaxBytes ?? RUN_LIMITS.diskBytes.max;
  let tmpfs: SlotCleanOptions['tmpfs'] = options.mounts === 'off' ? null : { bytes: diskMax, inodes: L.DISK_INODES };

  let memory: MemoryMode = { cgroups: null, detail: 'memory cgroups turned off (SANDBOX_MEMORY_CGROUP=off)' };
  if (options.memoryCgroups !== 'off') {
    const knownMemory = known?.memory ? knownMemoryMode(known.memory, pool) : null;
    memory = knownMemory ?? (await memoryLimitMode(options, tools, pool, log));
    found.memory = memory.cgroups ? { version: memory.cgroups.version, dir: memory.cgroups.parent } : { reason: memory.detail };
    probeStep('memory cgroups', knownMemory !== null);
  }
  if (probed) options.hostFacts?.write('sandbox', factsKey, found);
  // A previous executor process with this range may have died mid-run: everything of the range goes first, and
  // the first clean-up also tells whether this host lets us mount a tmpfs per slot.
  const sandbox = new ProcessSandbox(profile ? 'bwrap' : 'uid', tools, pool, workRoot, profile, folders, { privateProc, privateNet }, log, memory);
  // The range may have been another process's a moment ago (a crashed executor, a released uid block): its dead
  // must be reaped before its uids run anything (awaitReaped).
  const swept = await sweepAndReap(tools, pool.all());
  if (swept.outcome.survivors.size === 0 && !swept.reaped) log(`sandbox: dead processes of uids ${pool.base}..${pool.base + pool.count - 1} are still not reaped; their next runs have fewer processes`);
  step('sandbox: process sweep');
  let reports = await cleanSlots(sandbox.slots(pool.all()), { ...cleaner, tmpfs });
  if (tmpfs && reports.some((r) => r.mountFailed)) {
    log(`sandbox: cannot mount a tmpfs per slot here (${reports.find((r) => r.mountFailed)?.problems.join(' ')}); watching disk usage instead`);
    tmpfs = null;
    reports = await cleanSlots(sandbox.slots(pool.all()), { ...cleaner, tmpfs });
  }
  step('sandbox: slot clean-up');
  sandbox.start({ ...cleaner, tmpfs }, reports);
  if (!sandbox.ready) throw new Error(`sandbox: no sandbox uid of ${pool.base}..${pool.base + pool.count - 1} could be proved clean`);
  if (options.joinAhead) memory.cgroups?.joinAhead(options.joinAhead);
  return sandbox;
}

/**
 * Whether the spawn prelude's private network (process/spawnPrelude.ts PRIVATE_NET) works here: in it a sandbox uid
 * sees no interface but the loopback, and can connect to itself on 127.0.0.1.
 */
function privateNetWorks(tools: Tools, probeUid: number, log: (message: string) => void): boolean {
  const check = [
    'open(my $f, "<", "/proc/net/dev") or exit 3; my @ifs = map { /^\\s*([^:\\s]+):/ ? $1 : () } <$f>; exit 4 unless "@ifs" eq "lo";',
    // A listening socket on 127.0.0.1 and a connection to it: the loopback is up. sockaddr_in: family, port, address, 8 zero bytes.
    'socket(my $l, 2, 1, 0) or exit 5; bind($l, pack("S n a4 x8", 2, 0, "\\x7f\\0\\0\\1")) or exit 5; listen($l, 1) or exit 5;',
    'socket(my $c, 2, 1, 0) or exit 6; connect($c, getsockname($l)) or exit 6; exit 0;',
  ].join(' ');
  const probe = runAsUid(tools, probeUid, probeUid, [tools.perl, '-e', check], { privateNet: true, env: { PATH: DEFAULT_PATH } });
  if (probe.status !== 0) log(`sandbox: no network namespace per program (${probe.stderr.trim() || `exit ${probe.status}`}): programs share the host's network`);
  return probe.status === 0;
}

/**
 * Whether the spawn prelude's private /proc (process/spawnPrelude.ts PRIVATE_PROC) works here and hides root's pid 1
 * from a sandbox uid. Only on kernels whose proc mounts have options of their own (5.8+): on older ones `hidepid`
 * would be set on the host's /proc as well.
 */
function privateProcWorks(tools: Tools, probeUid: number, log: (message: string) => void): boolean {
  const [major, minor] = os.release().split('.').map(Number);
  if (!(major > 5 || (major === 5 && minor >= 8))) return false;
  const probe = runAsUid(tools, probeUid, probeUid, [tools.perl, '-e', 'exit(-e "/proc/1/status" ? 3 : 0)'], { privateProc: true, env: { PATH: DEFAULT_PATH } });
  if (probe.status !== 0) log(`sandbox: no private /proc per program (${probe.stderr.trim() || `exit ${probe.status}`}): other runs' processes are visible`);
  return probe.status === 0;
}

/** Memory cgroups for metered spawns where the host gives them (probed for real), else why not. */
async function memoryLimitMode(options: SandboxOptions, tools: Tools, pool: UidPool, log: (message: string) => void): Promise<MemoryMode> {
  if (options.memoryCgroups === 'off') return { cgroups: null, detail: 'memory cgroups turned off (SANDBOX_MEMORY_CGROUP=off)' };
  const probe = await probeMemoryCgroups(String(pool.base), tools.perl);
  if (!probe.ok) {
    log(`sandbox: no memory cgroup per run (${probe.reason}); judge runs are held to memory by RLIMIT_AS and an RSS watch`);
    return { cgroups: null, detail: probe.reason };
  }
  return { cgroups: probe.cgroups, detail: probe.cgroups.describe() };
}

interface MemoryMode {
  cgroups: MemoryCgroups | null;
  detail: string;
}

function guard(options: SandboxOptions, tools: Tools, pool: UidPool, workRoot: string): { denied: string[]; swept: string[] } {
  const folders = sharedFolders(options.sharedFolders ?? SHARED_WRITABLE_FOLDERS, [workRoot]);
  if (options.sharedFolderGuard === 'off') return { denied: [], swept: folders };
  return guardSharedFolders(tools, folders, SANDBOX_DENY_GID, pool.base);
}

/** The profile over this range's own synthetic passwd/group (per range: executors of one host may share the work root). */
function bwrapProfile(options: SandboxOptions, bwrap: string, features: BwrapFeatures, etcView: string, pool: UidPool, workRoot: string): BwrapProfile {
  const identityFolder = path.join(workRoot, `.etc-${pool.base}-${pool.count}`);
  fs.rmSync(identityFolder, { recursive: true, force: true });
  writeSyntheticEtc(identityFolder, pool.all());
  return new BwrapProfile(bwrap, features, etcView, options.extraReadOnlyPaths ?? [], identityFolder);
}

/** Finds bwrap, builds the profile and probes it for real as the range's first uid. */
async function setUpBwrap(options: SandboxOptions, bwrap: string | null, tools: Tools, pool: UidPool, workRoot: string): Promise<BwrapSetUp | { reason: string }> {
  if (!bwrap || !findTool([bwrap])) return { reason: 'bwrap not found' };
  const etcView = hostEtcView(workRoot);
  const profile = bwrapProfile(options, bwrap, bwrapFeatures(bwrap), etcView, pool, workRoot);
  const probe = probeBwrap(tools, profile, pool.base, path.join(workRoot, `.probe-${process.pid}`));
  await killProcessesOf(tools, [pool.base]);
  return probe.ok ? { profile, etcView } : { reason: probe.reason ?? 'probe failed' };
}

interface BwrapSetUp {
  profile: BwrapProfile;
  /** The host's /etc view the profile binds (hostEtcView). */
  etcView: string;
}

/**
 * bwrap as an earlier start on this host found it, without probing again; null (probe) when the /etc view it named
 * is no longer a root-owned view in this work root. Runs still go through bwrap for real: should it have stopped
 * working, they fail to start rather than run with less isolation.
 */
function knownBwrap(options: SandboxOptions, bwrap: string | null, known: NonNullable<SandboxFacts['bwrap']>, pool: UidPool, workRoot: string): BwrapSetUp | { reason: string } | null {
  if ('reason' in known) return { reason: `${known.reason} (as an earlier start on this host found)` };
  if (!bwrap || path.dirname(known.etcView) !== workRoot) return null;
  if (!isHostEtcView(known.etcView)) return null;
  return { profile: bwrapProfile(options, bwrap, known.features, known.etcView, pool, workRoot), etcView: known.etcView };
}

/**
 * Memory cgroups as an earlier start on this host found them, when this process is in the same cgroup; null (probe)
 * otherwise. A command whose cgroup cannot be made or joined fails to start (the spawn prelude refuses).
 */
function knownMemoryMode(known: NonNullable<SandboxFacts['memory']>, pool: UidPool): MemoryMode | null {
  if ('reason' in known) return { cgroups: null, detail: known.reason };
  const own = ownMemoryCgroup();
  if ('reason' in own || own.version !== known.version || own.dir !== known.dir) return null;
  // v2 hands the memory controller to children only while the parent enables it (the probe does): still so?
  if (own.version === 'v2' && !procValue(path.join(own.dir, 'cgroup.subtree_control')).split(/\s+/).includes('memory')) return null;
  const cgroups = new MemoryCgroups(own.version, own.dir, String(pool.base));
  cgroups.sweep();
  return { cgroups, detail: cgroups.describe() };
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

/** A root-owned 0700 folder (made if missing): what no sandbox uid can enter. */
function ensureRootOnly(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0) throw new Error(`sandbox: ${dir} must be a root-owned folder`);
  fs.chmodSync(dir, 0o700);
  return dir;
}

/**
 * Deletes, in the background, what earlier clean-ups moved aside. As root, which is safe only because no sandbox
 * uid can enter the trash (root-owned 0700) to change a tree while it is removed; File::Path descends with chdir,
 * so no depth is too deep.
 */
function emptyTrash(tools: Tools, trash: string, log: (message: string) => void): void {
  // Almost always empty: no perl spawned at every start for nothing.
  if (fs.readdirSync(trash).length === 0) return;
  const script = 'use File::Path (); opendir(my $d, $ARGV[0]) or exit 0; for (grep { $_ ne "." && $_ ne ".." } readdir($d)) { File::Path::remove_tree("$ARGV[0]/$_", { safe => 0 }); }';
  const child = spawn(tools.perl, ['-e', script, trash], { stdio: 'ignore', detached: false });
  child.on('error', (err) => log(`sandbox: emptying ${trash}: ${err.message}`));
  child.unref();
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

/** A request's limits as the run head takes them; throws on a limit that is not a positive number. */
function rlimitsOf(limits: Pick<SandboxRequest['limits'], 'cpuMs' | 'memoryBytes' | 'processes' | 'fileBytes' | 'openFiles'>): Rlimits {
  return {
    cpuSeconds: positiveInt('cpuMs', limits.cpuMs / 1000),
    memoryBytes: positiveInt('memoryBytes', limits.memoryBytes),
    processes: positiveInt('processes', limits.processes),
    fileBytes: positiveInt('fileBytes', limits.fileBytes),
    openFiles: positiveInt('openFiles', limits.openFiles),
  };
}

/**
 * `${HOME}` and `${TMPDIR}` in a language's variables, replaced with the run's folders as the program sees them
 * (compilers need absolute, writable cache folders: Go's GOCACHE). Nothing else is expanded.
 */
function withRunFolders(env: Record<string, string>, folders: { HOME: string; TMPDIR: string }): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{(HOME|TMPDIR)\}/g, (_, name: 'HOME' | 'TMPDIR') => folders[name])]));
}

function positiveInt(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`sandbox: limit ${name} must be positive, got ${value}`);
  return Math.ceil(value);
}

class ProcessSandbox implements Sandbox {
  private cleaner!: SlotCleanOptions;
  /** Every run's clean-up after the start's (slotCleanerProcess.ts). */
  private slotCleaner!: SlotCleanerProcess;
  private readonly cleanUps = new Set<Promise<void>>();
  private retired = 0;

  constructor(
    readonly isolation: Isolation,
    private readonly tools: Tools,
    private readonly pool: UidPool,
    private readonly workRoot: string,
    private readonly profile: BwrapProfile | null,
    private readonly folders: { denied: string[]; swept: string[] },
    /** What the spawn prelude can give each program of its own in uid isolation (a /proc, a network). */
    private readonly own: { privateProc: boolean; privateNet: boolean },
    private readonly log: (message: string) => void,
    private readonly memory: MemoryMode,
  ) {}

  slots(uids: number[]): Slot[] {
    return uids.map((uid) => ({ uid, dir: path.join(this.workRoot, String(uid)) }));
  }

  /** Takes the start-up clean-up's verdict on every slot: only uids proved clean enter service. */
  start(cleaner: SlotCleanOptions, reports: SlotReport[]): void {
    this.cleaner = cleaner;
    this.slotCleaner = new SlotCleanerProcess(cleaner, this.log);
    for (const report of reports) this.settle(report);
  }

  /**
   * Ready while at least two uids (one if only one was configured) are in service, free or running: with one
   * left, the next run would get the previous run's uid.
   */
  get ready(): boolean {
    return this.pool.available + this.pool.inUse >= Math.min(2, this.pool.count);
  }

  report(): SandboxReport {
    return { isolation: this.isolation, ...(this.profile ? { bwrap: this.profile.bwrap } : {}), disk: this.cleaner.tmpfs ? 'tmpfs' : 'watch', sharedFolders: { ...this.folders }, processes: this.profile || this.own.privateProc ? 'hidden' : 'visible', network: this.profile || this.own.privateNet ? 'isolated' : 'host', memoryLimit: { by: this.memory.cgroups ? 'cgroup' : 'rlimit', detail: this.memory.detail }, retiredUids: this.retired, ready: this.ready };
  }

  async close(): Promise<void> {
    // A clean-up still under way (a run disposed as the instance stops) would mount its slot again after this.
    await Promise.all([...this.cleanUps]);
    await this.slotCleaner.close();
    await this.memory.cgroups?.dropSpare();
    if (!this.cleaner.tmpfs) return;
    const uids = this.pool.all();
    await killProcessesOf(this.tools, uids);
    // Unmounts and leaves plain, empty slots, so nothing of this process stays mounted on the host.
    await cleanSlots(this.slots(uids), { ...this.cleaner, tmpfs: null });
  }

  /** A uid goes back into service only when nothing of it can be left; otherwise it is retired for good. */
  private settle(report: SlotReport, survivors: number[] = [], platformOnly = false): void {
    if (report.movedAside) this.log(`sandbox: uid ${report.uid}: what could not be removed was moved to ${this.cleaner.trash} (${report.problems.join(' ')})`);
    if (survivors.length > 0 || report.uidDirty || report.processesLeft) {
      this.retired++;
      this.pool.retire(report.uid);
      const why = survivors.length > 0 ? `processes ${survivors.join(',')} survived` : report.uidDirty ? report.problems.join(' ') : 'a process of it was left after the sweep';
      this.log(`sandbox: uid ${report.uid} retired (${why}); ${this.pool.available} uids left`);
    } else {
      this.pool.release(report.uid, platformOnly);
    }
  }

  async prepare(request: SandboxRequest): Promise<PreparedSandbox> {
    const relPaths = checkedFilePaths(request.files);
    if (request.command.length === 0) throw new Error('sandbox: empty command');
    const limits = request.limits;
    const rlimits = rlimitsOf(limits);
    const diskBytes = positiveInt('diskBytes', limits.diskBytes);

    if (!this.ready) throw new Error('sandbox: not ready: too few sandbox uids could be proved clean');
    const uid = this.pool.acquire();
    if (uid === null) throw new Error(`sandbox: all ${this.pool.count} sandbox uids are in use`);
    const gid = uid;
    const [slot] = this.slots([uid]);
    const home = path.join(slot.dir, 'home');
    try {
      request.files.forEach((file, i) => writeOwned(home, relPaths[i], file.content, uid, gid));
    } catch (err) {
      await this.cleanUp(slot, request.platformOnly);
      throw err;
    }

    const bwrapped = this.profile !== null;
    // Shared folders are denied to the deny group; a program's temporary files go to its own slot instead.
    const groups = !bwrapped && this.folders.denied.length > 0 ? [SANDBOX_DENY_GID] : [];
    const tmp = path.join(slot.dir, 'tmp');
    const runFolders = { HOME: bwrapped ? SANDBOX_HOME : home, TMPDIR: bwrapped ? '/tmp' : tmp };
    const env: Record<string, string> = {
      PATH: DEFAULT_PATH,
      HOME: runFolders.HOME,
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      ...(bwrapped ? {} : { TMPDIR: tmp }),
      ...withRunFolders(request.env, runFolders),
    };
    const profile = this.profile;
    const bwrapFor = (terminal: boolean) => (profile ? profile.argv({ home, tmp, shm: path.join(slot.dir, 'shm'), allowNetwork: request.allowNetwork, terminal }) : null);
    // Every command of the cell (the program, a compile step before it) gets the same chain, identity and
    // environment; only the command, its rlimits and whether it gets a terminal differ.
    const spawnOf = (command: string[], rl: Rlimits, terminal: boolean): SandboxedSpawnRequest => {
      if (command.length === 0) throw new Error('sandbox: empty command');
      const [file, ...args] = commandChain({ tools: this.tools, rlimits: rl, bwrap: bwrapFor(terminal), command, terminal, writable: [slot.dir] });
      return { file, args, cwd: home, env: { ...env }, cols: request.cols, rows: request.rows, uid, gid, groups: [...groups], privateProc: this.own.privateProc, ...(this.own.privateNet && !request.allowNetwork ? { privateNet: true } : {}) };
    };
    const spawn = spawnOf(request.command, rlimits, request.terminal !== false);
    // Further commands go through pipes (PreparedSandbox.spawnFor).
    const spawnFor: PreparedSandbox['spawnFor'] = (command, own) => spawnOf(command, rlimitsOf(own), false);

    const watchers = new Set<Disposable>();
    const onLimit = (listener: (status: 'disk_limit', message: string) => void): Disposable => {
      const watch = watchDisk({
        dir: slot.dir,
        maxBytes: diskBytes,
        maxInodes: L.DISK_INODES,
        intervalMs: L.DISK_WATCH_INTERVAL_MS,
        onExceeded: (message) => listener('disk_limit', message),
      });
      watchers.add(watch);
      return { dispose: () => (watch.dispose(), watchers.delete(watch)) };
    };
    // Emptied cgroups are removed behind the commands that used them, not on their way to their results (an emptied
    // cgroup may take a few ms to let go); the cell's dispose waits for them.
    const removals = new Set<Promise<void>>();
    const spawnMetered = (metered: MeteredSpawnRequest): MeteredSpawn => this.spawnMetered(metered, spawn, bwrapFor(false), slot, removals);
    let disposing: Promise<void> | null = null;
    const dispose = () =>
      (disposing ??= (async () => {
        for (const w of watchers) w.dispose();
        await Promise.all([...removals]);
        await this.cleanUp(slot, request.platformOnly);
      })());
    return { spawn, spawnFor, onLimit, spawnMetered, dispose };
  }

  /**
   * A further command in a prepared cell (its `base` spawn: identity, folder, environment), with rlimits of its own,
   * the run head's usage report, and either a memory cgroup of its own or RLIMIT_AS plus the RSS watch.
   */
  private spawnMetered(request: MeteredSpawnRequest, base: SandboxedSpawnRequest, bwrap: string[] | null, slot: Slot, removals: Set<Promise<void>>): MeteredSpawn {
    const { uid } = slot;
    if (request.command.length === 0) throw new Error('sandbox: empty command');
    const { limits } = request;
    const memoryBytes = positiveInt('memoryBytes', limits.memoryBytes);
    const cgroup = this.memory.cgroups?.create(memoryBytes) ?? null;
    const rlimits: Rlimits = {
      // The tree's CPU watch (in `watch` below) stops it at the limit; RLIMIT_CPU, a second later, is the kernel's
      // backstop should the watch not see a process's time (cpuWatch.ts says when).
      cpuSeconds: positiveInt('cpuMs', limits.cpuMs / 1000) + 1,
      memoryBytes: cgroup ? Infinity : positiveInt('memoryBytes', memoryBytes + request.addressSpaceOverheadBytes),
      processes: positiveInt('processes', limits.processes),
      fileBytes: positiveInt('fileBytes', limits.fileBytes),
      openFiles: positiveInt('openFiles', limits.openFiles),
    };
    // On pipes (PreparedSandbox.spawnMetered): no terminal.
    const [file, ...args] = commandChain({ tools: this.tools, rlimits, bwrap, command: request.command, usageFd: USAGE_FD, terminal: false, writable: [slot.dir] });
    const spawn: SandboxedSpawnRequest = { ...base, file, args, ...(cgroup ? { cgroup: cgroup.procsFile } : {}) };
    // Before the spawn (the caller spawns what this returns): with the finish, it bounds the run head's life (treeReaped.ts).
    const made = performance.now();
    let watch: MemoryWatch | null = null;
    let cpuWatch: CpuWatch | null = null;
    return {
      spawn,
      memory: cgroup ? 'cgroup' : 'rlimit',
      watch: (pid, listener) => {
        if (cpuWatch) return { dispose: () => undefined };
        // The tree's CPU time, from its cgroup where it has one (v2), else summed over the uid's processes.
        const cgroupCpu = cgroup?.version === 'v2' ? cgroup.dir : null;
        const cpu = watchTreeCpu({
          used: () => (cgroupCpu ? cgroupCpuMs(cgroupCpu) : uidTreeCpuMs(uid, pid)),
          limitMs: limits.cpuMs,
          cores: os.availableParallelism(),
          minIntervalMs: L.CPU_WATCH_MIN_INTERVAL_MS,
          onExceeded: (message) => listener('cpu_limit', message),
        });
        cpuWatch = cpu;
        if (cgroup) return cpu;
        const started = watchTreeMemory({ uid, excludePid: pid, maxBytes: memoryBytes, intervalMs: L.MEMORY_WATCH_INTERVAL_MS, onExceeded: (message) => listener('memory_limit', message) });
        watch = started;
        return {
          dispose: () => {
            cpu.dispose();
            started.dispose();
          },
        };
      },
      finish: async (report) => {
        watch?.dispose();
        cpuWatch?.dispose();
        const cpuMs = cpuWatch?.lastMs() ?? null;
        const cpu = cpuMs === null ? {} : { cpuMs: Math.round(cpuMs) };
        // The next command of the cell must not meet anything of this one. The run head has killed and reaped its
        // tree, and its report proves it when it came in time (treeReaped.ts); otherwise (the run head was killed
        // first, or gave up reaping) the uid is swept from root here.
        // Reaped too: the dead the run head did not live to reap (a program that killed it with `kill -9 -1`, which uid
        // isolation cannot prevent) would take the uid's RLIMIT_NPROC from the cell's next command.
        if (!treeReaped(report, performance.now() - made)) await sweepAndReap(this.tools, [uid]);
        if (!cgroup) return { peakKb: watch ? Math.round(watch.peakBytes() / 1024) : null, oomKilled: false, ...cpu };
        const peak = cgroup.peakBytes();
        const oomKilled = cgroup.oomKilled();
        const removal = cgroup.remove().then((removed) => {
          if (!removed) this.log(`sandbox: cgroup ${cgroup.dir} could not be removed (members: ${cgroup.members().join(',') || 'none'})`);
          removals.delete(removal);
        });
        removals.add(removal);
        return { peakKb: peak === null ? null : Math.round(peak / 1024), oomKilled, ...cpu };
      },
    };
  }

  private cleanUp(slot: Slot, platformOnly = false): Promise<void> {
    const done = this.cleanUpNow(slot, platformOnly).finally(() => this.cleanUps.delete(done));
    this.cleanUps.add(done);
    return done;
  }

  private async cleanUpNow(slot: Slot, platformOnly: boolean): Promise<void> {
    // Nothing of the uid may race the clean-up. Usually its run head has already killed and reaped every process of
    // it, and the clean-up's own child, as the uid, proves that with the kernel's count of the uid's processes before
    // it touches anything (slotCleaner.ts, `alone`): one fork in the cleaner instead of a walk of /proc here, which
    // cost this process about 2 ms of CPU per run (a read of every host process's status).
    const first = await this.slotCleaner.clean({ ...slot, alone: true });
    if (!first.processesLeft) return this.settle(first, [], platformOnly);
    // Something of the uid is still there (a run stopped mid-way, an orphan, a zombie not yet reaped): processes first.
    // Off the latency path (the final status is written): the uid's next run must not find its process limit taken.
    const { outcome, reaped } = await sweepAndReap(this.tools, [slot.uid]);
    const survivors = outcome.survivors.get(slot.uid) ?? [];
    if (survivors.length === 0 && !reaped) this.log(`sandbox: uid ${slot.uid}: dead processes are still not reaped; its next run has fewer processes`);
    // Reaped, the uid must prove again that it is alone: the kernel's count sees every thread, whatever /proc showed
    // the sweep, and a uid that fails it is retired (settle). Only a zombie that outlived the reaping wait (it runs
    // nothing: procfs.ts isDead) lets the sweep stand for the proof, or it would keep the slot dirty for good.
    const report = survivors.length > 0 ? { uid: slot.uid, clean: false, uidDirty: true, movedAside: false, mountFailed: false, problems: [], processesLeft: true } : await this.slotCleaner.clean({ ...slot, alone: reaped });
    this.settle(report, survivors, platformOnly);
  }
}

/** Writes one request file below `folder`, creating folders (0700) as needed, everything owned by uid:gid. */
function writeOwned(folder: string, rel: string, content: string | Buffer, uid: number, gid: number): void {
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
    if (typeof content === 'string') fs.writeSync(fd, content);
    else fs.writeSync(fd, content);
    fs.fchownSync(fd, uid, gid);
    fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}
