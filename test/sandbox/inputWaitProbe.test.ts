/**
 * The input-wait probe's shortcut (adapters/process/inputWaitProbe.ts): the thread found waiting is looked at first
 * on the next ask. It must answer exactly as the whole walk would while the wait moves: the program stops waiting
 * and computes, waits again in the same thread, then waits in a child process instead.
 */
import { PtySpawner } from '../../adapters/process/ptySpawner';
import { watchOutput } from '../support/watchOutput';
import { eventually } from '../support/eventually';

const PY = '/usr/bin/python3';

test('a wait that ends, comes back in the same thread, then moves to a child: each seen as it is', async () => {
  const code = [
    'import subprocess, time',
    'input("first? ")',
    'print("computing", flush=True)',
    'end = time.time() + 1.5',
    'while time.time() < end: pass',
    'print("sleeping", flush=True)',
    'time.sleep(1.5)',
    'input("second? ")',
    `subprocess.run(["${PY}", "-c", "input('child? ')"])`,
    'print("done")',
  ].join('\n');
  const proc = new PtySpawner().spawn({ file: PY, args: ['-c', code], cwd: '/tmp', env: { PATH: '/usr/bin:/bin', TERM: 'xterm-256color', LANG: 'C.UTF-8' }, cols: 80, rows: 24 });
  const { waitFor, exit } = watchOutput(proc, 20_000);
  try {
    await waitFor('first? ');
    expect(await eventually(() => proc.isWaitingForInput())).toBe(true);
    proc.write('a\r');
    // Computing, then sleeping: the thread that waited no longer reads, and nothing else does.
    await waitFor('computing');
    for (let i = 0; i < 5; i++) expect(proc.isWaitingForInput()).toBe(false);
    await waitFor('sleeping');
    for (let i = 0; i < 5; i++) expect(proc.isWaitingForInput()).toBe(false);
    await waitFor('second? ');
    expect(await eventually(() => proc.isWaitingForInput())).toBe(true);
    proc.write('b\r');
    // The parent now waits for its child (not for the terminal); the child reads it.
    await waitFor('child? ');
    expect(await eventually(() => proc.isWaitingForInput())).toBe(true);
    proc.write('c\r');
    await waitFor('done');
    expect(await exit).toMatchObject({ exitCode: 0 });
    expect(proc.isWaitingForInput()).toBe(false);
  } finally {
    proc.kill('SIGKILL');
  }
}, 30_000);
