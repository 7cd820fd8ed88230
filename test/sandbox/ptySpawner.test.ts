/**
 * PtySpawner against real processes on real PTYs: raw bytes, exit reporting, group kill, the input-wait probe,
 * identity switching and descriptor hygiene. Uses Debian's /usr/bin/python3 (pyenv's in /root is not
 * executable by other uids).
 */
import * as fs from 'fs';
import type { SpawnedProcess, SpawnRequest } from '../../core/ports';
import { PtySpawner } from '../../adapters/process/ptySpawner';
import { watchOutput, type WatchedOutput } from '../support/watchOutput';
import { eventually } from '../support/eventually';

const PY = '/usr/bin/python3';
const spawner = new PtySpawner();

interface Running extends WatchedOutput {
  proc: SpawnedProcess;
}

function start(file: string, args: string[], extra: Partial<SpawnRequest> = {}): Running {
  const proc = spawner.spawn({ file, args, cwd: '/tmp', env: { PATH: '/usr/bin:/bin', TERM: 'xterm-256color', LANG: 'C.UTF-8' }, cols: 80, rows: 24, ...extra });
  return { proc, ...watchOutput(proc) };
}

function alive(pid: number): boolean {
  try {
    const state = /State:\s*(\S)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

describe('PtySpawner', () => {
  test('input is echoed through the terminal and reaches the program', async () => {
    // cat under a shell, as in a terminal: the first process of a terminal is its session leader, and cat closes
    // its stdin, stdout and stderr itself before it exits. Were cat the session leader, that last close would end
    // the terminal's slave side: node-pty reads EIO, closes the master, and the kernel's hangup sends SIGHUP to
    // the session leader, cat, which is then killed if it has not yet reached exit_group (seen under load, traced
    // with perf: tty_release → __tty_hangup → SIGHUP). The sandbox's run head is the session leader of every real
    // run and holds the terminal until the program's whole tree has ended, so a program never meets this.
    const run = start('/bin/sh', ['-c', 'cat; exit $?']);
    run.proc.write('hello\r');
    await run.waitFor('hello\r\nhello\r\n');
    run.proc.write(Buffer.from([0x04])); // EOF
    expect(await run.exit).toMatchObject({ exitCode: 0, signal: null });
  });

  test('output bytes arrive raw: invalid UTF-8 stays as it is', async () => {
    const run = start('/bin/sh', ['-c', "printf '\\377\\376'"]);
    await run.exit;
    expect(run.output()).toEqual(Buffer.from([0xff, 0xfe]));
  });

  test('a 4-byte character split across two writes arrives split, in order, undecoded', async () => {
    const run = start('/bin/sh', ['-c', "printf '\\360\\237'; sleep 0.3; printf '\\230\\200'"]);
    await run.exit;
    expect(run.output()).toEqual(Buffer.from('😀', 'utf8'));
    expect(run.chunks.length).toBeGreaterThanOrEqual(2);
    expect(run.chunks[0]).toEqual(Buffer.from([0xf0, 0x9f]));
  });

  test('exit fires once, after every byte of a large burst written just before exiting', async () => {
    // Without the end-of-stream drain, libuv drops the last few KiB in most of these runs (measured: 5 of 20).
    for (let i = 0; i < 8; i++) {
      const run = start('/bin/sh', ['-c', "head -c 300000 /dev/zero | tr '\\000' a; exit 7"]);
      let exits = 0;
      run.proc.onExit(() => exits++);
      const exit = await run.exit;
      expect(exit).toMatchObject({ exitCode: 7, signal: null, bytesBeforeExit: 300_000 });
      await new Promise((r) => setTimeout(r, 20));
      expect(exits).toBe(1);
      expect(run.output().length).toBe(300_000);
    }
  });

  test('death by signal is reported by name', async () => {
    const run = start('/bin/sh', ['-c', 'kill -SEGV $$']);
    expect(await run.exit).toMatchObject({ exitCode: null, signal: 'SIGSEGV' });
  });

  // Signals that share their number with an older alias get the familiar name (abort() is SIGABRT, not SIGIOT).
  test.each([
    ['ABRT', 'SIGABRT'],
    ['IO', 'SIGIO'],
    ['SYS', 'SIGSYS'],
  ])('death by SIG%s is reported as %s', async (sig, name) => {
    const run = start('/bin/sh', ['-c', `kill -${sig} $$`]);
    expect(await run.exit).toMatchObject({ exitCode: null, signal: name });
  });

  test('kill signals the whole process group', async () => {
    const run = start('/bin/sh', ['-c', 'sleep 1000 & echo "bg=$!"; sleep 1000 & echo "bg=$!"; wait']);
    await run.waitFor(/bg=\d+\r\nbg=\d+/);
    const pids = [...run.text().matchAll(/bg=(\d+)/g)].map((m) => Number(m[1]));
    expect(pids.every(alive)).toBe(true);
    run.proc.kill('SIGTERM');
    expect(await run.exit).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(await eventually(() => !pids.some(alive))).toBe(true);
  });

  test('isWaitingForInput: true while python input() waits, false while it sleeps', async () => {
    const reader = start(PY, ['-c', 'input("name? "); print("thanks")']);
    const sleeper = start(PY, ['-c', 'import time; print("ready", flush=True); time.sleep(30)']);
    try {
      await reader.waitFor('name? ');
      await sleeper.waitFor('ready');
      expect(await eventually(() => reader.proc.isWaitingForInput(), 3_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 5; i++) expect(sleeper.proc.isWaitingForInput()).toBe(false);
      // Cheap: a warm probe costs tens of microseconds here; allow a wide margin for a busy CI host.
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) reader.proc.isWaitingForInput();
      const perCallMs = Number(process.hrtime.bigint() - t0) / 1e6 / 100;
      expect(perCallMs).toBeLessThan(1);
      reader.proc.write('bob\r');
      await reader.waitFor('thanks');
      expect(await reader.exit).toMatchObject({ exitCode: 0 });
      expect(reader.proc.isWaitingForInput()).toBe(false);
    } finally {
      sleeper.proc.kill('SIGKILL');
      reader.proc.kill('SIGKILL');
    }
  });

  test('isWaitingForInput sees a readline prompt (select on the terminal) and a child reading the terminal', async () => {
    const readline = start(PY, ['-c', 'import readline; input("rl> ")']);
    const child = start('/bin/sh', ['-c', `${PY} -c 'input("child> ")'; echo done`]);
    try {
      await readline.waitFor('rl> ');
      await child.waitFor('child> ');
      expect(await eventually(() => readline.proc.isWaitingForInput(), 3_000)).toBe(true);
      expect(await eventually(() => child.proc.isWaitingForInput(), 3_000)).toBe(true);
    } finally {
      readline.proc.kill('SIGKILL');
      child.proc.kill('SIGKILL');
    }
  });

  test('resize reaches the terminal', async () => {
    const run = start('/bin/sh', ['-c', 'sleep 0.5; stty size']);
    run.proc.resize(100, 40);
    await run.exit;
    expect(run.text()).toContain('40 100');
  });

  test('children inherit no descriptor but the terminal (node-pty masters are not close-on-exec)', async () => {
    const other = start('/bin/sleep', ['30']);
    try {
      const run = start(PY, ['-c', 'import os; print(sorted(int(f) for f in os.listdir("/proc/self/fd")))']);
      await run.exit;
      // 3 is listdir's own descriptor.
      expect(run.text().trim()).toBe('[0, 1, 2, 3]');
    } finally {
      other.proc.kill('SIGKILL');
    }
  });

  test('uid/gid: runs as that identity with no supplementary group, no_new_privs, and owns its terminal', async () => {
    const groups = process.getgroups!();
    process.setgroups!([0, 4]);
    try {
      const code = [
        'import os, json',
        's = open("/proc/self/status").read()',
        'nnp = [l for l in s.splitlines() if l.startswith("NoNewPrivs")][0].split()[1]',
        'print(json.dumps({"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "nnp": nnp, "tty_owner": os.stat(os.ttyname(0)).st_uid, "stdin": open("/dev/stdin").readline().strip()}))',
      ].join('\n');
      const run = start(PY, ['-c', code], { uid: 62999, gid: 62999 });
      run.proc.write('typed\r');
      await run.exit;
      const line = run.text().split('\r\n').find((l) => l.startsWith('{'))!;
      expect(JSON.parse(line)).toEqual({ uid: 62999, gid: 62999, groups: [], nnp: '1', tty_owner: 62999, stdin: 'typed' });
    } finally {
      process.setgroups!(groups);
    }
  });
});
