/**
 * Memory cgroups for metered commands (judge mode): one fresh child cgroup of the executor's own per command, whose
 * limit holds the program's whole tree to the memory it really uses (a runtime that reserves address space, V8 or a
 * JVM, is not punished as it is by RLIMIT_AS), whose peak is the tree's peak memory, and whose OOM kills say
 * `memory_limit` for sure.
 *
 * The executor's own cgroup is found from /proc/self/cgroup and /proc/self/mountinfo; v2 where the memory controller
 * is on the unified hierarchy, else v1's `memory` hierarchy. Whether children can be made, limited, joined and
 * removed is proved at start by a real probe (`probeMemoryCgroups`): FC's instances, a container without a
 * delegated cgroup, or a v2 cgroup that holds processes itself (the "no internal processes" rule) say why not, and
 * the sandbox falls back to RLIMIT_AS and an RSS watch (memoryWatch.ts).
 *
 * A process joins by writing its pid into `cgroup.procs` as root, in the spawn prelude (process/spawnPrelude.ts),
 * before anything of the run starts: what it and its descendants allocate from then on is charged to the cgroup.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export type CgroupVersion = 'v1' | 'v2';

/** The files of a memory cgroup, by version. */
const FILES = {
  v1: { limit: 'memory.limit_in_bytes', swapLimit: 'memory.memsw.limit_in_bytes', peak: 'memory.max_usage_in_bytes', events: 'memory.oom_control' },
  v2: { limit: 'memory.max', swapLimit: 'memory.swap.max', peak: 'memory.peak', events: 'memory.events' },
} as const;

/**
 * Who starts a spare cgroup's first process ahead, already joined to it (process/pipeSpawner.ts PipeSpawner.hold):
 * joining costs an RCU grace period (10–13 ms here), which is then paid while nothing waits for it.
 */
export interface CgroupJoiner {
  hold(procsFile: string): HeldJoin;
}

/** A process held in a cgroup for the spawn that takes the cgroup; released (ended) when none did. */
export interface HeldJoin {
  release(): Promise<void>;
}

/** What the probe found: where children go, or why there are none. */
export type CgroupProbe = { ok: true; cgroups: MemoryCgroups } | { ok: false; reason: string };

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The folder of this process's own memory cgroup, with its version, or why none was found. */
export function ownMemoryCgroup(procSelf = '/proc/self'): { version: CgroupVersion; dir: string } | { reason: string } {
  const cgroups = read(`${procSelf}/cgroup`);
  const mountinfo = read(`${procSelf}/mountinfo`);
  if (!cgroups || !mountinfo) return { reason: `${procSelf}/cgroup or mountinfo unreadable` };
  const mounts = mountinfo.split('\n').flatMap((line) => {
    const [left, right] = line.split(' - ');
    if (!left || !right) return [];
    const f = left.split(' ');
    const [fstype, , superOptions = ''] = right.split(' ');
    return [{ root: f[3], mountPoint: f[4], fstype, superOptions: superOptions.split(',') }];
  });
  const inMount = (mount: { root: string; mountPoint: string }, cgroupPath: string): string | null => {
    // A mount of a sub-tree (a container's view) shows cgroups relative to its root.
    if (mount.root !== '/' && !(cgroupPath === mount.root || cgroupPath.startsWith(`${mount.root}/`))) return null;
    return path.join(mount.mountPoint, mount.root === '/' ? cgroupPath : cgroupPath.slice(mount.root.length));
  };
  const lines = cgroups.split('\n').map((l) => l.split(':')).filter((p) => p.length >= 3);
  const unified = lines.find(([id, controllers]) => id === '0' && controllers === '');
  const v2mount = mounts.find((m) => m.fstype === 'cgroup2');
  if (unified && v2mount) {
    const dir = inMount(v2mount, unified.slice(2).join(':'));
    if (dir && (read(path.join(dir, 'cgroup.controllers')) ?? '').split(/\s+/).includes('memory')) return { version: 'v2', dir };
  }
  const v1 = lines.find(([, controllers]) => controllers.split(',').includes('memory'));
  const v1mount = mounts.find((m) => m.fstype === 'cgroup' && m.superOptions.includes('memory'));
  if (v1 && v1mount) {
    const dir = inMount(v1mount, v1.slice(2).join(':'));
    if (dir) return { version: 'v1', dir };
  }
  return { reason: v2mount ? 'no memory controller on the unified hierarchy and no v1 memory hierarchy' : 'no memory cgroup hierarchy is mounted' };
}

/** One child cgroup: made with its limit, joined by one spawn, read after it, then removed. */
export class MemoryCgroup {
  constructor(
    readonly version: CgroupVersion,
    readonly dir: string,
    /** Its first process, held in it ahead of the spawn (CgroupJoiner), if one was. */
    private readonly held: HeldJoin | null = null,
  ) {}

  /** What the spawn prelude writes its pid into. */
  get procsFile(): string {
    return path.join(this.dir, 'cgroup.procs');
  }

  /** The tree's peak charge, bytes; null when the kernel does not keep one (v2 before 5.19). */
  peakBytes(): number | null {
    const text = read(path.join(this.dir, FILES[this.version].peak));
    const value = text === null ? NaN : Number(text.trim());
    return Number.isFinite(value) ? value : null;
  }

  /** Whether the kernel's OOM killer killed a process of this cgroup (it was at its limit). */
  oomKilled(): boolean {
    const text = read(path.join(this.dir, FILES[this.version].events)) ?? '';
    return Number(/(?:^|\n)oom_kill (\d+)/.exec(text)?.[1] ?? 0) > 0;
  }

  /** Pids still in it (none once the run head has reaped its tree). */
  members(): number[] {
    return (read(this.procsFile) ?? '').split('\n').filter(Boolean).map(Number);
  }

  /**
   * Removes the cgroup once it is empty (an emptied cgroup can take a moment to let go of its last exiting task).
   * True when it is gone; a false one is left for the next start's sweep and reported by the caller.
   */
  async remove(attempts = 40): Promise<boolean> {
    // A held process no spawn took is ended first: a cgroup with a member cannot go.
    await this.held?.release();
    for (let i = 0; i < attempts; i++) {
      try {
        fs.rmdirSync(this.dir);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    return false;
  }
}

/** Makes the children of one executor's sandbox: `<own cgroup>/pocketrun-<uid base>-<n>`. */
export class MemoryCgroups {
  private next = 0;
  /**
   * A child made ahead of time, without its limit yet: the mkdir (a few ms in v1) is off the path of the command
   * that takes it; the next spare is made right after, in the background.
   */
  private spare: { dir: string; held: HeldJoin | null } | null = null;
  private spareTimer: NodeJS.Immediate | null = null;
  private joiner: CgroupJoiner | null = null;

  constructor(
    readonly version: CgroupVersion,
    /** The executor's own memory cgroup, the children's parent. */
    readonly parent: string,
    /** Names this sandbox's children apart from other executors' under the same parent (its uid base). */
    private readonly tag: string,
  ) {}

  /** What the sandbox report shows (`/api/health` is public: the hierarchy, not the host's paths). */
  describe(): string {
    return `${this.version}: a child of the executor's own memory cgroup per command`;
  }

  private makeDir(): string {
    const dir = path.join(this.parent, `pocketrun-${this.tag}-${process.pid}-${this.next++}`);
    fs.mkdirSync(dir);
    return dir;
  }

  /**
   * From now on each spare gets its first process held in it by `joiner` (the spawner metered commands go through),
   * and a spare is made now if there is none: the next command's spawn then only sends that process its command.
   */
  joinAhead(joiner: CgroupJoiner): void {
    this.joiner = joiner;
    if (this.spare && !this.spare.held) this.spare.held = this.holdIn(this.spare.dir);
    this.makeSpareSoon();
  }

  private holdIn(dir: string): HeldJoin | null {
    try {
      return this.joiner?.hold(path.join(dir, 'cgroup.procs')) ?? null;
    } catch {
      return null; // the spawn joins by itself, as without a joiner
    }
  }

  private makeSpareSoon(): void {
    this.spareTimer ??= setImmediate(() => {
      this.spareTimer = null;
      if (this.spare) return;
      try {
        const dir = this.makeDir();
        this.spare = { dir, held: this.holdIn(dir) };
      } catch {
        // the next create makes its own
      }
    });
  }

  /** A fresh child limited to `limitBytes` of memory and no swap (swap would let a program pass its limit slowly). */
  create(limitBytes: number): MemoryCgroup {
    // A spare is as fresh as a new one (its held process, if any, has run nothing); one that vanished (swept) is replaced.
    const spare = this.spare && fs.existsSync(this.spare.dir) ? this.spare : null;
    if (this.spare && !spare) void this.spare.held?.release();
    this.spare = null;
    const cgroup = spare ? new MemoryCgroup(this.version, spare.dir, spare.held) : new MemoryCgroup(this.version, this.makeDir());
    this.makeSpareSoon();
    const files = FILES[this.version];
    try {
      fs.writeFileSync(path.join(cgroup.dir, files.limit), String(Math.floor(limitBytes)));
      // v1 wants memory+swap at least the memory limit; without swap accounting (or without swap) the file is absent.
      const swap = path.join(cgroup.dir, files.swapLimit);
      if (fs.existsSync(swap)) fs.writeFileSync(swap, this.version === 'v1' ? String(Math.floor(limitBytes)) : '0');
    } catch (err) {
      void cgroup.remove();
      throw err;
    }
    return cgroup;
  }

  /** Removes the spare and ends its held process (the sandbox closes): nothing of this process stays in the hierarchy. */
  async dropSpare(): Promise<void> {
    if (this.spareTimer) clearImmediate(this.spareTimer);
    this.spareTimer = null;
    this.joiner = null;
    const spare = this.spare;
    this.spare = null;
    // Gone already, or left to the next start's sweep when it cannot be removed.
    if (spare) await new MemoryCgroup(this.version, spare.dir, spare.held).remove();
  }

  /** Removes children a previous executor process of this tag left behind (it died mid-run). */
  sweep(): void {
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.parent);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(`pocketrun-${this.tag}-`)) continue;
      try {
        fs.rmdirSync(path.join(this.parent, name));
      } catch {
        // still has members: the sandbox's uid sweep kills them, the next start removes it
      }
    }
  }
}

/**
 * Proves, for real, that this executor can make a child memory cgroup, limit it, move a process into it (as the
 * spawn prelude will) and remove it again.
 */
export async function probeMemoryCgroups(tag: string, perl: string, procSelf = '/proc/self'): Promise<CgroupProbe> {
  const own = ownMemoryCgroup(procSelf);
  if ('reason' in own) return { ok: false, reason: own.reason };
  if (own.version === 'v2') {
    // Children get the memory controller only if the parent hands it down, which v2 allows only in a cgroup
    // without processes of its own.
    const control = path.join(own.dir, 'cgroup.subtree_control');
    if (!(read(control) ?? '').split(/\s+/).includes('memory')) {
      try {
        fs.writeFileSync(control, '+memory');
      } catch (err) {
        return { ok: false, reason: `v2 ${own.dir}: cannot enable the memory controller for children (${(err as NodeJS.ErrnoException).code}; a cgroup holding processes cannot)` };
      }
    }
  }
  const cgroups = new MemoryCgroups(own.version, own.dir, tag);
  cgroups.sweep();
  let probe: MemoryCgroup;
  try {
    probe = cgroups.create(64 * 1024 * 1024);
  } catch (err) {
    return { ok: false, reason: `${own.version} ${own.dir}: cannot make a child cgroup (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  // What the spawn prelude does, then what the kernel says the process's cgroup is.
  const joinAndShow = 'open(my $f, ">", $ARGV[0]) or exit 3; print $f "$$\\n"; close($f) or exit 4; open(my $c, "<", "/proc/self/cgroup") or exit 5; print <$c>;';
  const r = spawnSync(perl, ['-e', joinAndShow, probe.procsFile], { encoding: 'utf8', timeout: 10_000 });
  const joined = r.status === 0 && r.stdout.includes(`/${path.basename(probe.dir)}\n`);
  const removed = await probe.remove();
  if (!joined) return { ok: false, reason: `${own.version} ${own.dir}: a process cannot join a child cgroup (${r.status === 3 || r.status === 4 ? 'cgroup.procs refused the pid' : `exit ${r.status}`})` };
  if (!removed) return { ok: false, reason: `${own.version} ${own.dir}: an emptied child cgroup cannot be removed` };
  return { ok: true, cgroups };
}
