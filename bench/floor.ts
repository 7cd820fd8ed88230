/**
 * The floor: what the same work costs without pocketrun on this machine. Sections measure it interleaved with their
 * own rounds, so that both sides see the same load (other work on the machine comes and goes).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { now } from './stats';

export const PYTHON = '/usr/bin/python3';
const GCC = '/usr/bin/gcc';
export const PY_HELLO = "print('hi')";
export const C_HELLO = '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n';
export const CLIENTS = 8;

function exited(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

export function bareFirstOutput(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawn(PYTHON, ['-I', '-c', PY_HELLO], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.once('data', () => resolve(now() - started));
    child.once('error', reject);
  });
}

export async function barePython(): Promise<number> {
  const started = now();
  await exited(PYTHON, ['-I', '-c', PY_HELLO]);
  return now() - started;
}

/** gcc then the binary, as a judge without a sandbox would do it. */
export async function bareC(dir: string): Promise<number> {
  const source = path.join(dir, 'hello.c');
  fs.writeFileSync(source, C_HELLO);
  const started = now();
  await exited(GCC, ['-O2', '-o', path.join(dir, 'hello'), source]);
  await exited(path.join(dir, 'hello'), []);
  return now() - started;
}

/** Completed per second with CLIENTS callers at once, `total` in all. */
export async function rate(total: number, one: () => Promise<unknown>): Promise<number> {
  let left = total;
  const started = now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (left-- > 0) await one();
    }),
  );
  return (total / (now() - started)) * 1000;
}
