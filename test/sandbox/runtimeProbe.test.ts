/**
 * The runtime probe (core/runtimeProbe.ts) in a real sandbox, both isolation modes, on made-up languages whose
 * candidates the sandbox uid can or cannot start; and a compile step's second command in a prepared cell.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PipeSpawner } from '../../adapters/process/pipeSpawner';
import { createSandbox } from '../../adapters/sandbox/sandbox';
import { findLanguage, type Language } from '../../core/languages';
import { fixedSource } from '../../core/languages/language';
import { systemClock, type ProcessSpawner, type Sandbox } from '../../core/ports';
import { parseProbeOutput, RuntimeProbe } from '../../core/runtimeProbe';
import { claimUidBlock, type UidBlock } from '../../local/uidBlock';
import { watchOutput } from '../support/watchOutput';

function language(id: string, tools: Language['tools'], extra: Partial<Language> = {}): Language {
  return {
    id,
    name: id,
    aliases: [],
    editorMode: id,
    source: fixedSource('main'),
    tools,
    versionTool: Object.keys(tools)[0],
    run: () => [],
    env: () => ({}),
    addressSpaceOverheadBytes: 0,
    memoryErrorPatterns: [],
    helloWorld: '',
    ...extra,
  };
}

test('probe lines: job, candidate index, base64 of the text; anything else is ignored', () => {
  const text = `0 1 ${Buffer.from('Python 3.11.2\n').toString('base64')}\n1 -\nnoise\n2 0 \n`;
  expect([...parseProbeOutput(text)]).toEqual([
    [0, { index: 1, output: 'Python 3.11.2\n' }],
    [2, { index: 0, output: '' }],
  ]);
});

describe.each(['uid', 'bwrap'] as const)('%s isolation', (mode) => {
  let block: UidBlock;
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    block = claimUidBlock(2);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-probe-'));
    fs.chmodSync(dir, 0o711);
    sandbox = await createSandbox({ isolation: mode, uidBase: block.base, uidCount: 2, workRoot: path.join(dir, 'work') });
  });
  afterAll(async () => {
    await sandbox?.close();
    block?.release();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the first candidate the sandbox uid can start wins; a language missing a tool is not available', async () => {
    // Exists and is executable, but in a root-only folder (as pyenv's python under /root): the uid cannot start it.
    const hidden = path.join(dir, 'hidden');
    fs.mkdirSync(hidden, { mode: 0o700 });
    fs.writeFileSync(path.join(hidden, 'tool'), '#!/bin/sh\necho 9.9.9\n', { mode: 0o755 });
    const languages = [
      language('second', { t: { candidates: [path.join(hidden, 'tool'), '/nonexistent/tool', '/usr/bin/perl'], versionArgs: ['-e', 'print "perl v1.2.3\\n"'] } }),
      language('failing', { t: { candidates: ['/bin/sh'], versionArgs: ['-c', 'echo tool 4.5.6 >&2; exit 3'] } }),
      language('missing', { t: { candidates: ['/nonexistent/a', '/nonexistent/b'], versionArgs: ['--version'] } }),
      language('partly', { a: { candidates: ['/bin/sh'], versionArgs: ['-c', 'echo 1.0'] }, b: { candidates: ['/nonexistent/b'], versionArgs: [] } }),
      language('transformed', { t: { candidates: ['/bin/sh'], versionArgs: ['-c', 'echo 2.0'] } }, { transform: 'typescript' }),
      findLanguage('python')!,
    ];
    const logs: Array<Record<string, unknown>> = [];
    const probe = new RuntimeProbe({ sandbox, spawner: new PipeSpawner(), clock: systemClock, shell: '/bin/bash', languages, transforms: [], log: (r) => logs.push(r) });
    const found = (await probe.all())!;
    expect(found.map((r) => [r.language.id, r.tools, r.version])).toEqual([
      ['second', { t: '/usr/bin/perl' }, '1.2.3'],
      // It ran (it exits 3 but it started): the version is what it printed, stderr included.
      ['failing', { t: '/bin/sh' }, '4.5.6'],
      ['python', { python: '/usr/bin/python3' }, expect.stringMatching(/^3\.\d+\.\d+$/)],
    ]);
    expect(await probe.runtime(languages[2])).toBeNull();
    // One cell for all of it; what a run asks for afterwards is known already.
    expect(logs).toEqual([expect.objectContaining({ event: 'runtimes' })]);
    // The probe's cell was given back clean: both uids serve runs again.
    expect(sandbox.report()).toMatchObject({ ready: true, retiredUids: 0 });
  });

  test("a run's language: only its tools are probed, once, in one cell that concurrent asks share", async () => {
    const logs: Array<Record<string, unknown>> = [];
    const java = findLanguage('java')!;
    const python = findLanguage('python')!;
    const probe = new RuntimeProbe({ sandbox, spawner: new PipeSpawner(), clock: systemClock, shell: '/bin/bash', languages: [java, python], transforms: [], log: (r) => logs.push(r) });
    const [a, b] = await Promise.all([probe.runtime(python), probe.runtime(python)]);
    expect(a).toEqual({ language: python, tools: { python: '/usr/bin/python3' }, version: expect.stringMatching(/^3\.\d+\.\d+$/) });
    expect(b).toEqual(a);
    expect(await probe.runtime(python)).toEqual(a);
    expect(logs).toEqual([expect.objectContaining({ event: 'runtime_probe', language: 'python', tools: ['/usr/bin/python3'] })]);
    // The full list then probes only what no run has asked for.
    const all = await probe.all();
    expect(all?.map((r) => r.language.id)).toEqual([...(fs.existsSync('/usr/bin/javac') ? ['java'] : []), 'python']);
    expect(logs.map((r) => r.event)).toEqual(['runtime_probe', 'runtimes']);
    expect(logs[1].tools).toHaveLength(Object.keys(java.tools).length);
  });

  test("a probe between two runs does not give the next run the previous run's uid; the background probe gives way to a run", async () => {
    const cell = () =>
      sandbox.prepare({
        runId: 'r',
        files: [],
        command: ['/bin/true'],
        env: {},
        limits: { timeoutMs: 10_000, busyTimeoutMs: 10_000, outputBytes: 1 << 20, memoryBytes: 64 << 20, cpuMs: 5_000, processes: 8, fileBytes: 1 << 20, openFiles: 64, diskBytes: 64 << 20 },
        allowNetwork: false,
        cols: 80,
        rows: 24,
      });
    const logs: Array<Record<string, unknown>> = [];
    const probe = new RuntimeProbe({ sandbox, spawner: new PipeSpawner(), clock: systemClock, shell: '/bin/bash', nice: '/usr/bin/nice', languages: [findLanguage('python')!, findLanguage('c')!], transforms: [], log: (r) => logs.push(r) });
    const uids: number[] = [];
    for (const language of ['python', 'c']) {
      const run = await cell();
      uids.push(run.spawn.uid);
      await run.dispose();
      // The run's own language, probed in a cell of its own before the run's cell is prepared (core/run.ts).
      expect(await probe.runtime(findLanguage(language)!)).not.toBeNull();
    }
    const last = await cell();
    uids.push(last.spawn.uid);
    await last.dispose();
    expect(uids[1]).not.toBe(uids[0]);
    expect(uids[2]).not.toBe(uids[1]);
    expect(logs.filter((r) => r.event === 'runtime_probe')).toHaveLength(2);
    // A full probe on a fresh instance, and a run coming while it is under way: it gives way, the run gets its runtime.
    const fresh = new RuntimeProbe({ sandbox, spawner: new PipeSpawner(), clock: systemClock, shell: '/bin/bash', nice: '/usr/bin/nice', languages: [findLanguage('python')!, findLanguage('c')!], transforms: [], log: (r) => logs.push(r) });
    const background = fresh.all();
    const python = await fresh.runtime(findLanguage('python')!);
    expect(await background).toBeNull();
    expect(python?.tools).toEqual({ python: '/usr/bin/python3' });
    // Asked again when the instance is idle: everything, python's tools not probed a second time.
    expect((await fresh.all())?.map((r) => r.language.id)).toEqual(['python', 'c']);
    expect(sandbox.report()).toMatchObject({ ready: true, retiredUids: 0 });
  });

  test('a background probe stopped by a run is ended as a judge step is: SIGTERM to its run head, which reaps its tree itself', async () => {
    // Killed outright, the run head would leave the probe's tools to the host's init, whose late reaping (about 2 s
    // on this VM) the cell's dispose waits out before the run can start.
    const signals: string[] = [];
    const pipes = new PipeSpawner();
    const recording: ProcessSpawner = {
      spawn: (request) => {
        const proc = pipes.spawn(request);
        const kill = proc.kill.bind(proc);
        proc.kill = (signal?: NodeJS.Signals) => {
          signals.push(signal ?? 'SIGKILL');
          kill(signal);
        };
        return proc;
      },
    };
    const slow = language('slow', { t: { candidates: ['/bin/sh'], versionArgs: ['-c', 'sleep 20 & sleep 20; echo 1.0'] } });
    const probe = new RuntimeProbe({ sandbox, spawner: recording, clock: systemClock, shell: '/bin/bash', languages: [findLanguage('python')!, slow], transforms: [], log: () => undefined });
    // A probe of the python tools first, so that what the run asks for below is known and only the stop is timed.
    expect(await probe.runtime(findLanguage('python')!)).not.toBeNull();
    const background = probe.all();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await probe.runtime(findLanguage('python')!)).not.toBeNull();
    expect(await background).toBeNull();
    expect(signals[0]).toBe('SIGTERM');
    expect(sandbox.report()).toMatchObject({ ready: true, retiredUids: 0 });
  });

  test('a compile step is a second command of the cell: same folder and uid, its own limits, ${TMPDIR} and ${HOME} expanded', async () => {
    const prep = await sandbox.prepare({
      runId: 'r',
      files: [{ path: 'main.c', content: '#include <stdio.h>\nint main(void) { puts("built and ran"); return 0; }\n' }],
      command: ['./main'],
      env: { CACHE: '${TMPDIR}/cache', WHERE: '${HOME}' },
      limits: { timeoutMs: 10_000, busyTimeoutMs: 10_000, outputBytes: 1 << 20, memoryBytes: 64 << 20, cpuMs: 5_000, processes: 8, fileBytes: 1 << 20, openFiles: 64, diskBytes: 64 << 20 },
      allowNetwork: false,
      cols: 80,
      rows: 24,
    });
    try {
      const pipes = new PipeSpawner();
      const run = async (request: typeof prep.spawn) => {
        const { text, exit } = watchOutput(pipes.spawn(request), 20_000);
        await exit;
        return text();
      };
      const compile = prep.spawnFor(['/bin/sh', '-c', 'echo "as=$(ulimit -v) env=$CACHE:$WHERE"; exec gcc -pipe -o main main.c'], { cpuMs: 30_000, memoryBytes: 1 << 30, processes: 256, fileBytes: 64 << 20, openFiles: 1024 });
      expect(compile.uid).toBe(prep.spawn.uid);
      expect(compile.cwd).toBe(prep.spawn.cwd);
      const home = mode === 'bwrap' ? '/home/run' : prep.spawn.cwd;
      const tmp = mode === 'bwrap' ? '/tmp' : prep.spawn.env.TMPDIR;
      expect(await run(compile)).toBe(`as=${1 << 20} env=${tmp}/cache:${home}\n`);
      expect(await run(prep.spawn)).toBe('built and ran\n');
    } finally {
      await prep.dispose();
    }
  });
});
