/**
 * The static bubblewrap the executor bundle carries (scripts/build-bwrap.sh → vendor/bwrap/bwrap → the bundle's
 * bin/bwrap): that it needs nothing from the host's libc (FC's custom.debian10 has glibc 2.28, older than the
 * build machine's), that the real sandbox probe accepts it and runs a program in it, that the bundle and its zip
 * carry it executable, and that the executor started from a bundle copy picks it. No mocks.
 *
 * .ci/run always builds the binary first, so its absence fails these tests rather than skipping them.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { bwrapCandidates, SYSTEM_BWRAPS, bwrapProblem } from '../../adapters/sandbox/bwrapBinary';
import { PtySpawner } from '../../adapters/process/ptySpawner';
import { createSandbox } from '../../adapters/sandbox/sandbox';
import { deterministicZip } from '../../infra/deterministicZip';
import { claimUidBlock } from '../../local/uidBlock';
import { BUNDLED_BWRAP, BWRAP_BINARY, ROOT } from '../../scripts/bundles';
import { watchOutput } from '../support/watchOutput';
import { SANDBOX_TEST_LIMITS } from '../support/sandboxLimits';

const EXECUTOR_BUNDLE = path.join(ROOT, 'dist', 'executor');
const IN_BUNDLE = path.join(EXECUTOR_BUNDLE, BUNDLED_BWRAP);

/**
 * A copy of the executor bundle as FC's code folder would hold it: alone, root-owned, 0755 (in the sticky /tmp).
 * The probe and the trust check run on the copy, so they do not depend on where this checkout lives (a clone
 * under a 0700 home could not be reached by the sandbox uids, and the bundled bwrap would rightly be refused).
 */
let deployed = '';
const deployedBwrap = () => path.join(deployed, BUNDLED_BWRAP);
beforeAll(() => {
  if (!fs.existsSync(IN_BUNDLE)) return; // each test then fails on requireBuilt
  deployed = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-executor-'));
  fs.chmodSync(deployed, 0o755);
  fs.cpSync(EXECUTOR_BUNDLE, deployed, { recursive: true });
});
afterAll(() => {
  if (deployed) fs.rmSync(deployed, { recursive: true, force: true });
});

const LIMITS = SANDBOX_TEST_LIMITS;

function requireBuilt(file: string): void {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/build-bwrap.sh (then the bundles) first`);
}

/** The ELF program header types of `file` (64-bit little-endian, as built here for x86-64). */
function programHeaderTypes(file: string): number[] {
  const elf = fs.readFileSync(file);
  expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  expect(elf[4]).toBe(2); // ELFCLASS64
  expect(elf[5]).toBe(1); // little-endian
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  return Array.from({ length: phnum }, (_, i) => elf.readUInt32LE(phoff + i * phentsize));
}
const PT_DYNAMIC = 2;
const PT_INTERP = 3;

/** The Unix mode of `name` in a ZIP's central directory. */
function zipMode(zip: Buffer, name: string): number | undefined {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(end + 16);
  const count = zip.readUInt16LE(end + 10);
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const entryName = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (entryName === name) return zip.readUInt32LE(at + 38) >>> 16;
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return undefined;
}

describe('the built binary', () => {
  test('is statically linked: no program interpreter, no shared library, no GLIBC symbol version needed', () => {
    requireBuilt(BWRAP_BINARY);
    const types = programHeaderTypes(BWRAP_BINARY);
    expect(types).not.toContain(PT_INTERP);
    expect(types).not.toContain(PT_DYNAMIC);
    // binutils' view of the same (scripts/build-bwrap.sh installs binutils): any GLIBC_x.y it needs must be <= 2.28.
    const readelf = spawnSync('readelf', ['-W', '--dynamic', '--version-info', '--dyn-syms', BWRAP_BINARY], { encoding: 'utf8' });
    expect(readelf.status).toBe(0);
    expect(readelf.stdout).not.toMatch(/\(NEEDED\)/);
    const versions = [...readelf.stdout.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => Number(m[1]) * 1000 + Number(m[2]));
    expect(versions.filter((v) => v > 2028)).toEqual([]);
  });

  test('runs where there is no libc at all (an empty root holding only the binary)', () => {
    requireBuilt(BWRAP_BINARY);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bwrap-empty-root-'));
    try {
      fs.copyFileSync(BWRAP_BINARY, path.join(root, 'bwrap'));
      fs.chmodSync(path.join(root, 'bwrap'), 0o755);
      const chroot = ['/usr/sbin/chroot', '/sbin/chroot'].find((p) => fs.existsSync(p)) ?? 'chroot';
      const r = spawnSync(chroot, [root, '/bwrap', '--version'], { encoding: 'utf8', timeout: 10_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^bubblewrap \d+\.\d+/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the executor bundle', () => {
  test('carries it at bin/bwrap, root-owned 0755, byte for byte, and its zip keeps it executable', () => {
    requireBuilt(IN_BUNDLE);
    const st = fs.statSync(IN_BUNDLE);
    expect(st.mode & 0o7777).toBe(0o755);
    expect(st.uid).toBe(0);
    expect(fs.readFileSync(IN_BUNDLE).equals(fs.readFileSync(BWRAP_BINARY))).toBe(true);
    // FC unzips the code package with the archive's modes: a 0644 entry would not execute there.
    const zip = deterministicZip(EXECUTOR_BUNDLE);
    expect(zipMode(zip, 'bin/bwrap')).toBe(0o100755);
    expect(zipMode(zip, 'index.js')).toBe(0o100644);
  });

  test('the bundled bwrap is tried first when usable; not at all when a non-root user could replace it or a sandbox uid cannot run it', () => {
    requireBuilt(IN_BUNDLE);
    expect(bwrapProblem(deployedBwrap())).toBeNull();
    expect(bwrapCandidates({ bundled: deployedBwrap() })).toEqual([deployedBwrap(), ...SYSTEM_BWRAPS]);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bwrap-trust-'));
    fs.chmodSync(dir, 0o755);
    try {
      const copy = path.join(dir, 'bin', 'bwrap');
      fs.mkdirSync(path.dirname(copy), { mode: 0o755 });
      fs.copyFileSync(IN_BUNDLE, copy);
      fs.chmodSync(copy, 0o755);
      expect(bwrapProblem(copy)).toBeNull();
      const logged: string[] = [];

      fs.chmodSync(copy, 0o775);
      expect(bwrapProblem(copy)).toMatch(/writable by group or others/);
      expect(bwrapCandidates({ bundled: copy, log: (m) => logged.push(m) })).toEqual(SYSTEM_BWRAPS);
      expect(logged.join('\n')).toContain(`bundled bwrap ${copy} not used`);
      fs.chmodSync(copy, 0o755);

      fs.chownSync(copy, 65534, 65534);
      expect(bwrapProblem(copy)).toMatch(/owned by uid 65534/);
      fs.chownSync(copy, 0, 0);

      // A folder on the way that others may write (and not sticky): the file could be renamed away and replaced.
      fs.chmodSync(path.dirname(copy), 0o777);
      expect(bwrapProblem(copy)).toMatch(/bin is writable by others/);
      fs.chmodSync(path.dirname(copy), 0o1777);
      expect(bwrapProblem(copy)).toBeNull();
      fs.chmodSync(path.dirname(copy), 0o755);

      // The sandbox uids run bwrap: a folder they cannot search, or a file they may not execute, would fail the probe.
      fs.chmodSync(dir, 0o700);
      expect(bwrapProblem(copy)).toMatch(/is not searchable by others/);
      fs.chmodSync(dir, 0o755);
      fs.chmodSync(copy, 0o750);
      expect(bwrapProblem(copy)).toMatch(/not executable by others/);
      fs.chmodSync(copy, 0o755);
      expect(bwrapProblem(copy)).toBeNull();

      // A symlink is not trusted as the binary itself.
      fs.symlinkSync(copy, path.join(dir, 'link'));
      expect(bwrapProblem(path.join(dir, 'link'))).toBe('not a regular file');
      expect(bwrapProblem(path.join(dir, 'absent'))).toBe('missing');
      expect(bwrapCandidates({ bundled: path.join(dir, 'absent') })).toEqual(SYSTEM_BWRAPS);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('the real startup probe accepts the bundled bwrap, and a program runs inside it', async () => {
  requireBuilt(IN_BUNDLE);
  const bundled = deployedBwrap();
  const block = claimUidBlock(1);
  const workRoot = path.join(os.tmpdir(), `pocketrun-bundled-bwrap-test-${process.pid}`);
  try {
    const sandbox = await createSandbox({ isolation: 'bwrap', bwrapPath: bundled, uidBase: block.base, uidCount: 1, workRoot });
    expect(sandbox.isolation).toBe('bwrap');
    const code = 'import os\nprint("HELLO", os.getuid(), os.getpid(), os.getcwd(), sorted(os.listdir("/home/run")))\n';
    const prep = await sandbox.prepare({
      runId: 'r',
      files: [{ path: 'main.py', content: code }],
      command: ['/usr/bin/python3', 'main.py'],
      env: {},
      limits: LIMITS,
      allowNetwork: false,
      cols: 120,
      rows: 30,
    });
    try {
      expect(prep.spawn.args).toContain(bundled);
      const proc = new PtySpawner().spawn(prep.spawn);
      const { text, exit } = watchOutput(proc, 15_000);
      expect((await exit).exitCode).toBe(0);
      // A pid namespace of its own (a low pid), the run's folder at /home/run, the run's uid.
      const [, uid, pid, cwd, files] = /HELLO (\d+) (\d+) (\S+) (.*)/.exec(text())!;
      expect(Number(uid)).toBe(block.base);
      expect(Number(pid)).toBeLessThan(10);
      expect(cwd).toBe('/home/run');
      expect(files.trim()).toBe("['main.py']");
    } finally {
      await prep.dispose();
      await sandbox.close();
    }
  } finally {
    fs.rmSync(workRoot, { recursive: true, force: true });
    block.release();
  }
});

test('the executor started from a copy of its bundle chooses its own bin/bwrap and says so', async () => {
  requireBuilt(IN_BUNDLE);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-data-'));
  // The work root's folders must be searchable by the sandbox uid (the data folder is root's alone).
  const workRoot = path.join(os.tmpdir(), `pocketrun-bundled-executor-test-${process.pid}`);
  const block = claimUidBlock(1);
  const child = spawn(process.execPath, ['index.js'], {
    cwd: deployed,
    env: { PATH: '/usr/bin:/bin', PORT: '0', STORE: 'fs', DATA_DIR: data, SANDBOX_UID_BASE: String(block.base), ISOLATION: 'bwrap', WORK_ROOT: workRoot },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      child.once('exit', (code) => reject(new Error(`executor exited ${code}: ${err}`)));
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        const rec = JSON.parse(line);
        if (rec.event === 'listening') resolve(rec);
        if (rec.event === 'startup_failed') reject(new Error(line));
      });
    });
    expect(listening).toMatchObject({ isolation: 'bwrap', bwrap: path.join(fs.realpathSync(deployed), 'bin', 'bwrap') });
  } finally {
    // SIGTERM: the executor unmounts its slots before it exits (SIGKILL would leave them mounted).
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    block.release();
    fs.rmSync(workRoot, { recursive: true, force: true });
    fs.rmSync(data, { recursive: true, force: true });
  }
});
