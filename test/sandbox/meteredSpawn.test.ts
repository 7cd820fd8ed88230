/**
 * Metered spawns (judge mode's commands) on the real sandbox with the pipe spawner in `separate` mode: stderr apart,
 * the run head's figures of the program's own tree, memory held by a cgroup where the host gives one and by
 * RLIMIT_AS plus the RSS watch where not, in both isolation modes. No mocks.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PipeSpawner } from '../../adapters/process/pipeSpawner';
import { createSandbox } from '../../adapters/sandbox/sandbox';
import type { ExitInfo, MeteredSpawn, Sandbox, TreeMeasure } from '../../core/ports';
import type { RunLimits } from '../../core/protocol';
import { ownMemoryCgroup } from '../../adapters/sandbox/memoryCgroups';
import { claimUidBlock, type UidBlock } from '../../local/uidBlock';
import { processesOfUids } from '../../adapters/process/procfs';

const PY = '/usr/bin/python3';
const NODE = fs.existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
const MiB = 1024 * 1024;
const spawner = new PipeSpawner({ stderr: 'separate' });

const LIMITS: RunLimits = {
  timeoutMs: 20_000,
  busyTimeoutMs: 20_000,
  outputBytes: MiB,
  memoryBytes: 256 * MiB,
  cpuMs: 10_000,
  processes: 32,
  fileBytes: 8 * MiB,
  openFiles: 128,
  diskBytes: 64 * MiB,
};

function bwrapUnusable(): string | null {
  const r = spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', '/usr/bin/bwrap', '--unshare-user', '--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '/bin/true'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? null : (r.stderr || 'bwrap fails').trim();
}
const bwrapProblem = fs.existsSync('/usr/bin/bwrap') ? bwrapUnusable() : 'not installed';
if (bwrapProblem) console.warn(`NOTE: metered spawns under bwrap SKIPPED: ${bwrapProblem}`);

interface Outcome {
  stdout: string;
  stderr: string;
  exit: ExitInfo;
  measure: TreeMeasure;
  metered: MeteredSpawn;
  limitHit: string | null;
}

/** Prepares a cell with `main.py` (or `main.js`), runs it metered to its end and disposes the cell. */
async function run(sandbox: Sandbox, code: string, options: { limits?: Partial<RunLimits>; overhead?: number; node?: boolean; stdin?: string } = {}): Promise<Outcome> {
  const file = options.node ? 'main.js' : 'main.py';
  const command = options.node ? [NODE, file] : [PY, '-I', file];
  const limits = { ...LIMITS, ...options.limits };
  const cell = await sandbox.prepare({ runId: 'm', files: [{ path: file, content: code }], command, env: {}, limits, allowNetwork: false, cols: 80, rows: 24 });
  try {
    const metered = cell.spawnMetered({ command, limits, addressSpaceOverheadBytes: options.overhead ?? 0 });
    const proc = spawner.spawn(metered.spawn);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let limitHit: string | null = null;
    proc.onData((d) => out.push(d));
    proc.onStderr!((d) => err.push(d));
    const watch = metered.watch(proc.pid, (_status, message) => {
      limitHit = message;
      proc.kill('SIGTERM');
    });
    const exit = await new Promise<ExitInfo>((resolve) => {
      proc.onExit(resolve);
      if (options.stdin) proc.write(options.stdin);
      proc.endInput!();
    });
    watch.dispose();
    const measure = await metered.finish();
    return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exit, measure, metered, limitHit };
  } finally {
    await cell.dispose();
  }
}

/** The figure the judge reports (core/judge), as the two memory modes give it. */
const memoryKb = (o: Outcome) => (o.metered.memory === 'cgroup' ? o.measure.peakKb! : Math.max(o.exit.usage?.maxRssKb ?? 0, o.measure.peakKb ?? 0));

const modes: Array<['uid' | 'bwrap', 'auto' | 'off']> = [
  ['uid', 'auto'],
  ['uid', 'off'],
  ...(bwrapProblem ? [] : ([['bwrap', 'auto'], ['bwrap', 'off']] as Array<['bwrap', 'auto' | 'off']>)),
];

describe.each(modes)('metered spawns, %s isolation, memory cgroups %s', (isolation, memoryCgroups) => {
  let block: UidBlock;
  let sandbox: Sandbox;
  let dir: string;

  beforeAll(async () => {
    block = claimUidBlock(2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metered-'));
    fs.chmodSync(dir, 0o711);
    // As the executor has it: the spawner holds each cgroup's first process ahead (heldPrelude.test.ts).
    sandbox = await createSandbox({ isolation, uidBase: block.base, uidCount: 2, workRoot: path.join(dir, 'work'), memoryCgroups, joinAhead: spawner });
  });
  afterAll(async () => {
    await sandbox?.close();
    block?.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the cell’s dispose waits for its commands’ cgroups to go: only the one spare made ahead is left, holding at most its held prelude', async () => {
    if (sandbox.report().memoryLimit?.by !== 'cgroup') return expect(memoryCgroups === 'off' || !fs.existsSync('/sys/fs/cgroup/memory')).toBe(true);
    const own = ownMemoryCgroup();
    if ('reason' in own) throw new Error(own.reason);
    const ours = () => fs.readdirSync(own.dir).filter((n) => n.startsWith(`pocketrun-${block.base}-${process.pid}-`));
    for (let i = 0; i < 3; i++) expect((await run(sandbox, 'print("x")')).stdout).toBe('x\n');
    const left = ours();
    expect(left.length).toBeLessThanOrEqual(1);
    for (const name of left) {
      const members = fs.readFileSync(path.join(own.dir, name, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      expect(members.length).toBeLessThanOrEqual(1);
      // A root perl waiting for its command, which has run nothing (heldPrelude.test.ts).
      for (const pid of members) {
        expect(fs.statSync(`/proc/${pid}`).uid).toBe(0);
        expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('--hold-fd=');
      }
    }
  });

  test('the report says how memory is held', () => {
    const report = sandbox.report();
    expect(report.memoryLimit?.by).toBe(memoryCgroups === 'off' ? 'rlimit' : fs.existsSync('/sys/fs/cgroup/memory') ? 'cgroup' : expect.any(String));
    expect(report.memoryLimit?.detail).toEqual(expect.any(String));
  });

  test('stdout and stderr come apart; stdin is closed after the given text; figures of a hello world are small', async () => {
    const o = await run(sandbox, 'import sys\nprint(input())\nprint("oops", file=sys.stderr)\nprint(sys.stdin.read() == "")', { stdin: 'hello\n' });
    expect(o.stdout).toBe('hello\nTrue\n');
    expect(o.stderr).toBe('oops\n');
    expect(o.exit).toMatchObject({ exitCode: 0, signal: null });
    expect(o.exit.usage).toEqual({ cpuMs: expect.any(Number), wallMs: expect.any(Number), maxRssKb: expect.any(Number) });
    expect(o.exit.usage!.cpuMs).toBeLessThan(500);
    expect(o.exit.usage!.wallMs).toBeLessThan(3_000);
    // The interpreter's own few MiB: not the executor's (node, ~50 MiB) nor a wrapper's.
    expect(memoryKb(o)).toBeGreaterThan(256);
    expect(memoryKb(o)).toBeLessThan(24 * 1024);
  });

  test('on pipes (no foreground helper under bwrap) the program still gets umask 077 and Ctrl-Z ignored', async () => {
    const o = await run(sandbox, [
      'import os, signal',
      'open("made", "w").close()',
      'print(oct(os.stat("made").st_mode & 0o777))',
      'print(oct(os.umask(0)))',
      'print(signal.getsignal(signal.SIGTSTP) == signal.SIG_IGN)',
    ].join('\n'));
    expect(o.stdout).toBe('0o600\n0o77\nTrue\n');
  });

  test('100 MiB allocated and touched reports at least 100 MiB and less than 150 MiB', async () => {
    const o = await run(sandbox, 'b = bytearray(100 * 1024 * 1024)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\nprint(len(b))');
    expect(o.exit.exitCode).toBe(0);
    expect(memoryKb(o)).toBeGreaterThanOrEqual(100 * 1024);
    expect(memoryKb(o)).toBeLessThan(150 * 1024);
  });

  test('a 1 s busy loop reports 0.8 to 1.3 s of CPU, its children’s included', async () => {
    const o = await run(sandbox, 'import os, time\ndef spin(s):\n    t = time.process_time()\n    while time.process_time() - t < s: pass\nif os.fork() == 0:\n    spin(0.5)\n    os._exit(0)\nspin(0.5)\nos.wait()');
    expect(o.exit.exitCode).toBe(0);
    expect(o.exit.usage!.cpuMs).toBeGreaterThanOrEqual(800);
    expect(o.exit.usage!.cpuMs).toBeLessThanOrEqual(1300);
  });

  test('the whole tree is held to its CPU time limit: two processes spinning are stopped soon after their sum passes it', async () => {
    // Each alone stays far under RLIMIT_CPU (per process, in whole seconds); only the tree's watch can stop them.
    const o = await run(sandbox, 'import os\nos.fork()\nwhile True: pass', { limits: { cpuMs: 600 } });
    expect(o.limitHit).toMatch(/^CPU time limit of 0\.6 s exceeded \(0\.\d+ s used by the program's processes together\)$/);
    expect(o.exit.signal).not.toBe('SIGXCPU');
    // Killed before it was waited for, most of the tree's time is not in the run head's getrusage: the watch's
    // reading is the figure (core/judge/programFigures.ts).
    expect(o.measure.cpuMs).toBeGreaterThan(600);
    expect(o.measure.cpuMs).toBeLessThan(900);
  });

  test('a command far under its CPU limit is never looked at, and one that ends first is not stopped', async () => {
    const o = await run(sandbox, 'import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nprint("done")', { limits: { cpuMs: 400 } });
    expect(o.limitHit).toBeNull();
    expect(o.stdout).toBe('done\n');
    // Looked at (on 2 cores: 0.2 s in, then every 0.1 s or less), never stopped; on one core it ends before the first look.
    expect(o.measure.cpuMs ?? 0).toBeLessThanOrEqual(400);
  });

  test('the program cannot write the report: descriptor 3 is closed and the run head’s copy is out of reach', async () => {
    const o = await run(sandbox, [
      'import os',
      'for path in ["/proc/self/fd/3", "/proc/%d/fd/3" % os.getppid()]:',
      '    try:',
      '        fd = os.open(path, os.O_WRONLY)',
      '        os.write(fd, b"usage 1 1 1 1\\n")',
      '        print("WROTE", path)',
      '    except OSError as e:',
      '        print("refused", e.errno)',
      'try:',
      '    os.write(3, b"usage 1 1 1 1\\n")',
      '    print("WROTE 3")',
      'except OSError as e:',
      '    print("refused", e.errno)',
    ].join('\n'));
    expect(o.stdout).not.toContain('WROTE');
    expect(o.exit.usage!.maxRssKb).toBeGreaterThan(1);
  });

  test('past its memory limit the program is stopped', async () => {
    const o = await run(sandbox, 'import time\nb = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\ntime.sleep(5)', { limits: { memoryBytes: 64 * MiB } });
    if (o.metered.memory === 'cgroup') {
      expect(o.measure.oomKilled).toBe(true);
      expect(o.exit.signal).toBe('SIGKILL');
    } else {
      // RLIMIT_AS at the limit: Python's MemoryError.
      expect(o.stderr).toMatch(/MemoryError/);
    }
  });

  test('with a runtime’s address-space overhead, the memory limit still holds on what the tree uses', async () => {
    // As for V8 or a JVM: RLIMIT_AS (where it is what holds memory) is raised by 1 GiB, so only a cgroup or the watch stop this.
    const o = await run(sandbox, 'import time\nb = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\ntime.sleep(5)', { limits: { memoryBytes: 64 * MiB }, overhead: 1024 * MiB });
    if (o.metered.memory === 'cgroup') expect(o.measure.oomKilled).toBe(true);
    else expect(o.limitHit).toMatch(/above its limit of 64 MiB/);
    expect(o.exit.exitCode).not.toBe(0);
  });

  // finish() skips its sweep when the run head's report proves the tree reaped (sandbox/treeReaped.ts), and sweeps
  // when the report is missing: either way a process the command left behind is gone once finish resolves.
  const LEAVES_A_SLEEPER = 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n    os._exit(0)\nos.wait()\nprint("left", flush=True)\ntime.sleep(1 if os.environ.get("LINGER") else 0)';
  test.each([
    ['the run head reports (its own kill -9 -1 and reaping)', false],
    ['the run head is killed first (no report: finish sweeps)', true],
  ])('a double-forked, setsid sleeper is gone once finish resolves: %s', async (_name, killRunHead) => {
    const limits = LIMITS;
    const command = [PY, '-I', 'main.py'];
    const cell = await sandbox.prepare({ runId: 'm', files: [{ path: 'main.py', content: LEAVES_A_SLEEPER }], command, env: { LINGER: killRunHead ? '1' : '' }, limits, allowNetwork: false, cols: 80, rows: 24 });
    try {
      const metered = cell.spawnMetered({ command, limits, addressSpaceOverheadBytes: 0 });
      const uid = metered.spawn.uid!;
      const proc = spawner.spawn(metered.spawn);
      const exit = await new Promise<ExitInfo>((resolve) => {
        proc.onExit(resolve);
        proc.onData(() => {
          // The sleeper runs by now; SIGKILL on the run head alone (not its group) leaves the program and the sleeper to init.
          if (killRunHead) process.kill(proc.pid, 'SIGKILL');
        });
        proc.endInput!();
      });
      if (killRunHead) expect(exit.usage).toBeUndefined();
      else expect(exit.usage).toBeDefined();
      await metered.finish(exit.usage);
      expect(processesOfUids(new Set([uid])).get(uid) ?? []).toEqual([]);
    } finally {
      await cell.dispose();
    }
  });

  test('node runs under a 256 MiB limit', async () => {
    const o = await run(sandbox, 'console.log(process.version)', { node: true, overhead: 1024 * MiB });
    expect(o.stderr).toBe('');
    expect(o.stdout).toMatch(/^v\d+/);
    expect(o.exit.exitCode).toBe(0);
  });
});
