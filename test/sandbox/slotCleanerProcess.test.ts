/**
 * The long-lived slot cleaner (adapters/sandbox/slotCleanerProcess.ts) on real slots, as root, with and without a
 * tmpfs per slot: each clean-up empties the slot as the one-shot clean-up does, one process serves them all, its
 * death (between clean-ups or with one unanswered) costs no clean-up, and close() stops it. Asked to prove the uid
 * alone first (`alone`), a clean-up with a process of the uid left, live or dead and unreaped, touches nothing.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cleanSlots, type Slot, type SlotCleanOptions } from '../../adapters/sandbox/slotCleaner';
import { MAX_DEATHS, SlotCleanerProcess } from '../../adapters/sandbox/slotCleanerProcess';
import { syscallNumber } from '../../adapters/process/syscallNumbers';
import { systemTools } from '../../adapters/process/systemTools';
import { claimUidBlock, type UidBlock } from '../../local/uidBlock';

const perl = systemTools()!.perl;

/** Leaves what a run would: files of the uid in its home and tmp, and folders of its own. */
function dirty(slot: Slot): void {
  for (const sub of ['home', 'tmp']) {
    const file = path.join(slot.dir, sub, `left-${sub}`);
    fs.writeFileSync(file, 'x');
    fs.chownSync(file, slot.uid, slot.uid);
  }
  const outer = path.join(slot.dir, 'home', 'outer');
  fs.mkdirSync(path.join(outer, 'inner'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(outer, 'inner', 'deep'), 'x');
  for (const p of [outer, path.join(outer, 'inner'), path.join(outer, 'inner', 'deep')]) fs.chownSync(p, slot.uid, slot.uid);
}

/** The slot as a fresh one is: root:uid 0710 with empty home, tmp and shm of the uid. */
function expectFresh(slot: Slot): void {
  const st = fs.statSync(slot.dir);
  expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([0, slot.uid, 0o710]);
  for (const sub of ['home', 'tmp', 'shm']) {
    const s = fs.statSync(path.join(slot.dir, sub));
    expect([sub, s.uid, s.mode & 0o7777, fs.readdirSync(path.join(slot.dir, sub))]).toEqual([sub, slot.uid, 0o700, []]);
  }
}

/** Until the cleaner has seen its process die (its exit is an event: under load it may take a while). */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('the cleaner never saw its process die');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Something of the uid left behind, as a run could leave it: a live process, or one that is dead and that its parent
 * (root, as the executor is) has not reaped. Resolves once it exists.
 */
async function leftBehind(uid: number, kind: 'live' | 'unreaped'): Promise<ChildProcess> {
  const become = `syscall(${syscallNumber('setresgid')}, ${uid}, ${uid}, ${uid}) == 0 && syscall(${syscallNumber('setresuid')}, ${uid}, ${uid}, ${uid}) == 0 or die "setresuid: $!";`;
  const script = kind === 'live' ? `${become} print "ready\n"; sleep 60;` : `my $pid = fork(); if ($pid == 0) { ${become} exit 0; } $SIG{TERM} = sub { waitpid($pid, 0); exit 0; }; select(undef, undef, undef, 0.005) while !-e "/proc/$pid/stat" || (split(' ', do { local(@ARGV, $/) = "/proc/$pid/stat"; <> }))[2] ne 'Z'; print "ready\n"; sleep 60;`;
  const child = spawn(perl, ['-e', `$| = 1; ${script}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the left-behind process exited ${code}`)));
  });
  return child;
}

/** Ends it; the unreaped one's parent reaps its dead child first (left to init, it could stay a zombie for seconds). */
async function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe.each([['a tmpfs per slot', true], ['plain folders', false]])('the slot cleaner process, %s', (_name, withTmpfs) => {
  let block: UidBlock;
  let dir: string;
  let options: SlotCleanOptions;
  let slots: Slot[];

  beforeAll(async () => {
    block = claimUidBlock(2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slot-cleaner-'));
    fs.chmodSync(dir, 0o711);
    const trash = path.join(dir, '.trash');
    fs.mkdirSync(trash, { mode: 0o700 });
    options = { perl, trash, tmpfs: withTmpfs ? { bytes: 16 * 1024 * 1024, inodes: 1024 } : null, sweepRoots: [] };
    slots = [0, 1].map((i) => ({ uid: block.base + i, dir: path.join(dir, String(block.base + i)) }));
    const laidOut = await cleanSlots(slots, options);
    // A host that refuses mounts leaves plain folders: the suite then checks those.
    if (laidOut.some((r) => r.mountFailed)) options = { ...options, tmpfs: null };
  });
  afterAll(async () => {
    await cleanSlots(slots, { ...options, tmpfs: null });
    block?.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('one process cleans run after run, each slot as fresh as the one-shot clean-up leaves it', async () => {
    const cleaner = new SlotCleanerProcess(options);
    try {
      let pid: number | undefined;
      for (let round = 0; round < 3; round++) {
        for (const slot of slots) {
          dirty(slot);
          const report = await cleaner.clean(slot);
          expect(report).toEqual({ uid: slot.uid, clean: true, uidDirty: false, movedAside: false, mountFailed: false, problems: [], processesLeft: false });
          expectFresh(slot);
          pid ??= cleaner.pid;
          expect(cleaner.pid).toBe(pid);
        }
      }
      expect(alive(pid)).toBe(true);
    } finally {
      await cleaner.close();
    }
  });

  test.each<['live' | 'unreaped', 'serve' | 'once']>([
    ['live', 'serve'],
    ['unreaped', 'serve'],
    ['live', 'once'],
    ['unreaped', 'once'],
  ])('asked to prove the uid alone, with a process of the uid left (%s; %s mode), it touches nothing and says so; once that is gone it cleans', async (kind, mode) => {
    const cleaner = new SlotCleanerProcess(options);
    const clean = (alone: boolean) => (mode === 'serve' ? cleaner.clean({ ...slots[0], alone }) : cleanSlots([{ ...slots[0], alone }], options).then(([r]) => r));
    try {
      dirty(slots[0]);
      const left = await leftBehind(slots[0].uid, kind);
      try {
        const refused = await clean(true);
        expect(refused).toMatchObject({ uid: slots[0].uid, clean: false, processesLeft: true, problems: ['processes'] });
        // As the run left it: its files are still there.
        expect(fs.readdirSync(path.join(slots[0].dir, 'home')).sort()).toEqual(['left-home', 'outer']);
      } finally {
        await ended(left);
      }
      const done = await clean(true);
      expect(done).toMatchObject({ clean: true, processesLeft: false });
      expectFresh(slots[0]);
    } finally {
      await cleaner.close();
    }
  });

  test('clean-ups asked at once are each answered', async () => {
    const cleaner = new SlotCleanerProcess(options);
    try {
      slots.forEach(dirty);
      const reports = await Promise.all(slots.map((s) => cleaner.clean(s)));
      expect(reports.map((r) => [r.uid, r.clean])).toEqual(slots.map((s) => [s.uid, true]));
      slots.forEach(expectFresh);
    } finally {
      await cleaner.close();
    }
  });

  test('killed between clean-ups, or with one unanswered, it loses none: each is done, and it starts again', async () => {
    const logged: string[] = [];
    const cleaner = new SlotCleanerProcess(options, (m) => logged.push(m));
    try {
      dirty(slots[0]);
      expect((await cleaner.clean(slots[0])).clean).toBe(true);
      const first = cleaner.pid!;
      process.kill(first, 'SIGKILL');
      await until(() => cleaner.pid === undefined);
      dirty(slots[1]);
      // Asked, then killed before (or while) it answers.
      const asked = cleaner.clean(slots[1]);
      const second = cleaner.pid!;
      expect(second).not.toBe(first);
      process.kill(second, 'SIGKILL');
      expect((await asked).clean).toBe(true);
      expectFresh(slots[1]);
      expect(logged.join('\n')).toMatch(/slot cleaner .* ended \(SIGKILL/);
    } finally {
      await cleaner.close();
    }
  });

  test(`after ${MAX_DEATHS} deaths every clean-up gets a process of its own, and still cleans`, async () => {
    const cleaner = new SlotCleanerProcess(options);
    for (let i = 0; i < MAX_DEATHS; i++) {
      expect((await cleaner.clean(slots[0])).clean).toBe(true);
      process.kill(cleaner.pid!, 'SIGKILL');
      await until(() => cleaner.pid === undefined);
    }
    dirty(slots[0]);
    expect((await cleaner.clean(slots[0])).clean).toBe(true);
    expect(cleaner.pid).toBeUndefined();
    expectFresh(slots[0]);
    await cleaner.close();
  });

  test('close() stops it, and a clean-up after close still gets done', async () => {
    const cleaner = new SlotCleanerProcess(options);
    expect((await cleaner.clean(slots[0])).clean).toBe(true);
    const pid = cleaner.pid;
    expect(alive(pid)).toBe(true);
    await cleaner.close();
    expect(alive(pid)).toBe(false);
    dirty(slots[0]);
    expect((await cleaner.clean(slots[0])).clean).toBe(true);
    expectFresh(slots[0]);
  });
});
