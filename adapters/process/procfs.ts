/**
 * Small, allocation-light readers of Linux `/proc`, shared by the PTY spawner (input-wait probe) and the
 * sandbox (process sweeps). Every reader returns null instead of throwing: processes vanish between two reads.
 */
import * as fs from 'fs';

const scratch = Buffer.allocUnsafe(8192);

/** Opens a `/proc` file, lets `read` fill `scratch` and say how many bytes it holds; null when anything fails. */
function readWith(path: string, read: (fd: number) => number): string | null {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return scratch.toString('latin1', 0, read(fd));
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads at most 8 KiB of a `/proc` file as latin1 text; null when it cannot be opened or read. */
export function readProc(path: string, maxBytes = scratch.length): string | null {
  const limit = Math.min(maxBytes, scratch.length);
  return readWith(path, (fd) => {
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, scratch, length, limit - length, null);
      if (n <= 0 || (length += n) >= limit) return length;
    }
  });
}

/**
 * The first `bytes` (at most 8 KiB) of a `/proc` file in one read(2), for callers that need only its start: a
 * sweep's read of `/proc/<pid>/status` for each process of the host, where the EOF read readProc makes after it
 * would be a third of its system calls. Null when it cannot be opened or read.
 */
export function readProcHead(path: string, bytes: number): string | null {
  return readWith(path, (fd) => fs.readSync(fd, scratch, 0, Math.min(bytes, scratch.length), null));
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Numeric entries of a `/proc` folder (`/proc`, `/proc/<pid>/task`, `/proc/<pid>/fd`). */
export function listNumeric(path: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(path);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Controlling terminal, encoded like `stat.rdev` (0 when none). */
  ttyNr: number;
  /** Foreground process group of the controlling terminal (host pid), -1 when none. */
  tpgid: number;
  numThreads: number;
  /** Start time in clock ticks since boot: with the pid, identifies a process across pid reuse. */
  startTime: number;
}

/** Parses `/proc/<pid>/stat` (the command name may contain spaces and parentheses: split after the last `)`). */
export function readStat(pid: number, tid?: number): ProcStat | null {
  const text = readProc(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 1024);
  if (!text) return null;
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state).
  return {
    pid,
    state: f[0],
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    session: Number(f[3]),
    ttyNr: Number(f[4]),
    tpgid: Number(f[5]),
    numThreads: Number(f[17]),
    startTime: Number(f[19]),
  };
}

export interface ProcIdentity {
  pid: number;
  ppid: number;
  /** Real, effective, saved and filesystem uid. */
  uids: number[];
  /** Single-letter state (`R`, `S`, `D`, `T`, `Z`, ...). */
  state: string;
  /** Threads of its thread group (`Threads:`); NaN when the field was not found. */
  threads: number;
  /** Pid 1 of a pid namespace below ours (bwrap's reaper): killing it kills and reaps the whole namespace. */
  namespaceInit: boolean;
}

/**
 * Uids and state from `/proc/<pid>/status` (readable for every process, unlike `/proc/<pid>` ownership). Every field
 * read here comes before its 2 KiB (State, PPid and Uid in the first lines; NSpid after the group list, which only a
 * process with hundreds of groups pushes past, as before: it decides the orderly kill step only), and the kernel hands
 * the whole text out in one read(2), so one read of 2 KiB sees what two reads did.
 */
export function readIdentity(pid: number): ProcIdentity | null {
  const text = readProcHead(`/proc/${pid}/status`, 2048);
  if (!text) return null;
  const state = /\nState:\s*(\S)/.exec(text);
  const uid = /\nUid:\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  if (!state || !uid) return null;
  const nspid = /\nNSpid:\s*([\d\s]+)/.exec(text)?.[1].trim().split(/\s+/) ?? [];
  return {
    pid,
    ppid: Number(/\nPPid:\s*(\d+)/.exec(text)?.[1] ?? -1),
    state: state[1],
    threads: Number(/\nThreads:\s*(\d+)/.exec(text)?.[1] ?? NaN),
    uids: [Number(uid[1]), Number(uid[2]), Number(uid[3]), Number(uid[4])],
    namespaceInit: nspid.length > 1 && nspid[nspid.length - 1] === '1',
  };
}

/**
 * Whether a process is dead, waiting only to be reaped. A thread-group leader that called pthread_exit shows as a
 * zombie (`Z`) while its other threads still run, and a program can kill every other process of its uid from such a
 * thread (`kill -9 -1` spares the caller's own group): its `Threads:` count, above 1, is what tells it from the
 * dead. A count that could not be read counts as alive.
 */
export function isDead(id: ProcIdentity): boolean {
  return (id.state === 'Z' || id.state === 'X') && id.threads <= 1;
}

/** Every live (not dead, see isDead) process whose any uid is in `uids`, grouped by that uid. */
export function processesOfUids(uids: ReadonlySet<number>): Map<number, number[]> {
  const found = new Map<number, number[]>();
  for (const id of identitiesOfUids(uids)) {
    const owner = id.uids.find((u) => uids.has(u))!;
    const list = found.get(owner);
    if (list) list.push(id.pid);
    else found.set(owner, [id.pid]);
  }
  return found;
}

/** Identities of every live process (see isDead) whose any uid is in `uids`; with `zombies`, of the dead not yet reaped too. */
export function identitiesOfUids(uids: ReadonlySet<number>, zombies = false): ProcIdentity[] {
  const out: ProcIdentity[] = [];
  for (const pid of listNumeric('/proc')) {
    if (pid === process.pid) continue;
    const id = readIdentity(pid);
    if (!id || (!zombies && isDead(id))) continue;
    if (id.uids.some((u) => uids.has(u))) out.push(id);
  }
  return out;
}
