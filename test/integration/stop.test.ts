/**
 * Stopping `npm start` (dist/local/index.js) with SIGTERM, as systemd and `docker stop` do, with a program
 * running: the run is recorded as killed, nothing of it is left running or on disk, and the console says it
 * stopped. systemd's default (and Ctrl-C in a terminal) signals every process of the tree, executors included,
 * which then hear it twice; `docker stop` signals the main process only. A second signal forces the stop. A
 * platform killed outright leaves its executor instances to stop by themselves (their stdin lifeline ends).
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { keys, type ClaimDoc, type StatusDoc } from '../../core/protocol';
import { ApiClient } from '../support/client';
import { ROOT } from '../support/platform';

const BLOCK_SIZE = 32;

interface Started {
  child: ChildProcess;
  client: ApiClient;
  lines: string[];
  /** Resolves once the process exited and its output was read to the end. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dataDir: string;
  workRoot: string;
  /** The sandbox uid block the platform claimed (local/uidBlock.ts names the lock file after it). */
  uids: [number, number];
  cleanUp(): void;
}

async function startPlatform(isolation: 'bwrap' | 'uid'): Promise<Started> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-stop-data-'));
  // A work root of its own: /tmp/pocketrun is shared with every other platform on this host.
  const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-stop-work-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/local/index.js')], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, WORK_ROOT: workRoot, EXECUTORS: '2', ISOLATION: isolation },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, to signal the whole tree as systemd and a terminal do.
    detached: true,
  });
  const lines: string[] = [];
  const reader = readline.createInterface({ input: child.stdout! });
  reader.on('line', (l) => lines.push(l));
  // Kept apart (the last stdout line is asserted), and shown when the platform exits early.
  const errors: string[] = [];
  readline.createInterface({ input: child.stderr! }).on('line', (l) => errors.push(l));
  const readAll = new Promise<void>((r) => reader.once('close', () => r()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const ended = Promise.all([exit, readAll]).then(([e]) => e);
  const cleanUp = () => {
    child.kill('SIGKILL');
    // A slot's tmpfs left mounted (a failed test; expectNothingLeft asserts there is none) would make the removal
    // fail with EBUSY and hide the test's own failure: lazily unmounted first.
    for (const mount of mountsUnder(workRoot).reverse()) spawnSync('umount', ['-l', mount]);
    for (const dir of [dataDir, workRoot, `${workRoot}-probe`]) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      reader.on('line', (line) => {
        const m = /url:\s+(http:\/\/\S+)/.exec(line);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code, signal) => reject(new Error(`npm start exited early (${code ?? signal}): ${[...lines, ...errors].join('\n')}`)));
    });
    const dir = '/tmp/pocketrun-uid-blocks';
    const lock = fs.readdirSync(dir).find((f) => fs.readFileSync(path.join(dir, f), 'utf8') === String(child.pid));
    if (!lock) throw new Error(`no uid block for ${child.pid}`);
    // Taken over by this test (local/uidBlock.ts): the platform's release at its exit then leaves it, and a killed
    // platform's stale lock is not taken over by another test file, whose programs would run as these uids while
    // expectNothingLeft looks at them. cleanUp frees it.
    const lockFile = path.join(dir, lock);
    fs.writeFileSync(lockFile, String(process.pid));
    return { child, client: new ApiClient(url), lines, ended, dataDir, workRoot, uids: [Number(lock), Number(lock) + BLOCK_SIZE], cleanUp: () => (cleanUp(), fs.rmSync(lockFile, { force: true })) };
  } catch (err) {
    cleanUp();
    throw err;
  }
}

function pidsWhere(predicate: (pid: string) => boolean): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return predicate(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Processes of the block's uids; `live`: not counting zombies (dead, waiting for their parent to reap them). */
const uidProcesses = ([from, to]: [number, number], live = false) =>
  pidsWhere((pid) => {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
    return uid >= from && uid < to && !(live && /^State:\s+Z/m.test(status));
  });

const childrenOf = (ppid: number) => pidsWhere((pid) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]) === ppid);

/** Every regular file under `dir` (symlinks are not followed) whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p).includes(needle)) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** Mount points at or below `dir` (the host's mount table), outermost first. */
function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined && (point === dir || point.startsWith(`${dir}/`)));
}

/** Files left in the folders named after the block's sandbox uids. */
function filesOfUidFolders(workRoot: string, [from, to]: [number, number]): string[] {
  const found: string[] = [];
  for (let uid = from; uid < to; uid++) {
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else found.push(path.join(d, e.name));
      }
    };
    if (fs.existsSync(path.join(workRoot, String(uid)))) walk(path.join(workRoot, String(uid)));
  }
  return found;
}

/** Starts a program that spins and keeps a file in its folder; resolves once it runs. */
async function startSpinner(p: Started, marker: string): Promise<string> {
  // Assembled at run time, so that only the program's source and its notes file hold the marker itself.
  const id = await p.client.start(`mark = ${JSON.stringify(marker.slice(0, 5))} + ${JSON.stringify(marker.slice(5))}\nopen('notes.txt', 'w').write(mark)\nprint('spinning', flush=True)\nwhile True:\n    pass`);
  await p.client.readUntil(id, (s) => s.includes('spinning'));
  expect(uidProcesses(p.uids).length).toBeGreaterThan(0);
  expect(filesContaining(p.workRoot, marker).length).toBeGreaterThan(0);
  return id;
}

const readStatus = (p: Started, id: string) => JSON.parse(fs.readFileSync(path.join(p.dataDir, 'runs', keys.status(id)), 'utf8')) as StatusDoc;

async function waitForLine(p: Started, pattern: RegExp): Promise<void> {
  while (!p.lines.some((l) => pattern.test(l))) await new Promise((r) => setTimeout(r, 20));
}

/** A process as a failure should name it: pid, state, parent and command line. */
function describeProcess(pid: number): string {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(status)?.[1];
    return `${pid} ${field('State')} ppid ${field('PPid')} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

async function expectNothingLeft(p: Started, marker: string, executors: number[]): Promise<void> {
  expect(uidProcesses(p.uids, true).map(describeProcess)).toEqual([]);
  // A program swept after its executor was killed dies an orphan: init reaps it (at once on a usual host; the
  // init of some VMs takes a few seconds).
  for (let i = 0; i < 300 && uidProcesses(p.uids).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(uidProcesses(p.uids).map(describeProcess)).toEqual([]);
  expect(executors.filter((pid) => fs.existsSync(`/proc/${pid}`))).toEqual([]);
  expect(filesContaining(p.workRoot, marker)).toEqual([]);
  expect(filesOfUidFolders(p.workRoot, p.uids)).toEqual([]);
  expect(mountsUnder(p.workRoot)).toEqual([]);
}

/** A platform with a spinning run on one of its two executor instances; the platform is cleaned up after `body`. */
async function withSpinningRun(isolation: 'bwrap' | 'uid', label: string, body: (p: Started, run: { id: string; marker: string; executors: number[] }) => Promise<void>): Promise<void> {
  const p = await startPlatform(isolation);
  try {
    const marker = `stop-marker-${isolation}-${label}-${Date.now()}`;
    const id = await startSpinner(p, marker);
    const executors = childrenOf(p.child.pid!);
    expect(executors).toHaveLength(2);
    await body(p, { id, marker, executors });
  } finally {
    p.cleanUp();
  }
}

describe.each(['bwrap', 'uid'] as const)('isolation %s', (isolation) => {
  test.each<[string, 'group' | 'main']>([
    ['SIGTERM to the whole process tree (systemd, a terminal)', 'group'],
    ['SIGTERM to the platform process only (docker stop)', 'main'],
  ])('%s: the run is killed and recorded, nothing is left running or on disk, the console says it stopped', (_name, target) =>
    withSpinningRun(isolation, target, async (p, { id, marker, executors }) => {
      if (target === 'group') process.kill(-p.child.pid!, 'SIGTERM');
      else p.child.kill('SIGTERM');
      expect(await p.ended).toEqual({ code: 0, signal: null });
      const status = readStatus(p, id);
      expect(status.state).toBe('finished');
      expect(status.result?.status).toBe('killed');
      await expectNothingLeft(p, marker, executors);
      expect(p.lines[p.lines.length - 1]).toBe('pocketrun: stopped');
    }), 60_000);

  test('SIGKILL to the platform (the OOM killer, a crash): its executor instances stop by themselves, the run is recorded as killed, nothing is left running, on disk or mounted', () =>
    withSpinningRun(isolation, 'sigkill', async (p, { id, marker, executors }) => {
      p.child.kill('SIGKILL');
      expect(await p.ended).toEqual({ code: null, signal: 'SIGKILL' });
      // Their lifeline (stdin) ended with the platform: each stops as on SIGTERM, within its grace.
      for (let i = 0; i < 300 && executors.some((pid) => fs.existsSync(`/proc/${pid}`)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(executors.filter((pid) => fs.existsSync(`/proc/${pid}`)).map(describeProcess)).toEqual([]);
      expect(readStatus(p, id)).toMatchObject({ state: 'finished', result: { status: 'killed' } });
      await expectNothingLeft(p, marker, executors);
    }), 60_000);

  test('a second SIGTERM while the stop waits on an executor forces it: executors killed, the run swept and recorded as killed', () =>
    withSpinningRun(isolation, 'forced', async (p, { id, marker, executors }) => {
      // The run's executor hangs (stopped): a graceful stop would wait out its grace.
      const claim = JSON.parse(fs.readFileSync(path.join(p.dataDir, 'runs', keys.claim(id)), 'utf8')) as ClaimDoc;
      const owner = Number(claim.executor.split(':').pop());
      expect(executors).toContain(owner);
      process.kill(owner, 'SIGSTOP');
      p.child.kill('SIGTERM');
      await waitForLine(p, /^SIGTERM: stopping/);
      p.child.kill('SIGTERM');
      expect(await p.ended).toEqual({ code: 1, signal: null });
      expect(p.lines.some((l) => /^SIGTERM again: forcing the stop/.test(l))).toBe(true);
      // Recorded by the platform, since the executor never could.
      const status = readStatus(p, id);
      expect(status.state).toBe('finished');
      expect(status.result).toMatchObject({ status: 'killed', message: 'the local platform was stopped' });
      await expectNothingLeft(p, marker, executors);
      expect(p.lines[p.lines.length - 1]).toBe('pocketrun: stopped (forced)');
    }), 60_000);
});
