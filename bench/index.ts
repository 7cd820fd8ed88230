/**
 * `npm run bench`: pocketrun's latency next to the bare thing, measured side by side in one run on this machine.
 * - first output: from the request to the first byte a client sees, against spawning the interpreter directly
 *   (target: within 40 ms of the bare start);
 * - input echo: from `POST /input` to the echo in the output, against a local terminal's echo (target: 30 ms).
 * - judge hello world (`POST /api/execute`) in Python and in C, against running the interpreter directly and against
 *   compiling with gcc and running the binary directly (target: within 30 ms of the bare figure);
 * - judge throughput with 8 concurrent clients against the bare spawn rate with 8 at once (target: 70 %).
 * Medians over several rounds; nothing is asserted here (benchmarks, not tests).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalPlatform } from '../local/platform';
import { benchScale } from './scale';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PYTHON = '/usr/bin/python3';
const FIRST_OUTPUT_TARGET_MS = 40;
const ECHO_TARGET_MS = 30;
const JUDGE_TARGET_MS = 30;
const THROUGHPUT_TARGET = 0.7;
const CLIENTS = 8;
const THROUGHPUT_REQUESTS = Number(process.env.BENCH_THROUGHPUT_REQUESTS ?? 48);
const GCC = '/usr/bin/gcc';
const C_HELLO = '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n';
const PY_HELLO = "print('hi')";

function exited(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

async function barePython(): Promise<number> {
  const started = now();
  await exited(PYTHON, ['-I', '-c', PY_HELLO]);
  return now() - started;
}

/** gcc then the binary, as a judge without a sandbox would do it. */
async function bareC(dir: string): Promise<number> {
  const source = path.join(dir, 'hello.c');
  fs.writeFileSync(source, C_HELLO);
  const started = now();
  await exited(GCC, ['-O2', '-o', path.join(dir, 'hello'), source]);
  await exited(path.join(dir, 'hello'), []);
  return now() - started;
}

async function judge(base: string, language: string, code: string): Promise<number> {
  const started = now();
  const answer = await json(`${base}/api/execute`, { method: 'POST', body: JSON.stringify({ language, code }) });
  if (answer.status !== 'ok') throw new Error(`judge ${language}: ${JSON.stringify(answer).slice(0, 300)}`);
  return now() - started;
}

/** Completed per second with `CLIENTS` callers at once, `THROUGHPUT_REQUESTS` in all. */
async function rate(one: () => Promise<unknown>): Promise<number> {
  let left = THROUGHPUT_REQUESTS;
  const started = now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (left-- > 0) await one();
    }),
  );
  return (THROUGHPUT_REQUESTS / (now() - started)) * 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

function bareFirstOutput(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = now();
    const child = spawn(PYTHON, ['-I', '-c', "print('hi')"], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.once('data', () => resolve(now() - started));
    child.once('error', reject);
  });
}

function localTerminalEcho(): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pty = require('@lydell/node-pty') as typeof import('@lydell/node-pty');
  return new Promise((resolve) => {
    const term = pty.spawn(PYTHON, ['-I', '-c', "input('? ')"], { cols: 80, rows: 24, env: { PATH: '/usr/bin:/bin', TERM: 'xterm' } });
    let sent = 0;
    let seen = '';
    term.onData((d) => {
      seen += d;
      if (!sent && seen.includes('? ')) {
        sent = now();
        term.write('x\r');
      } else if (sent && seen.includes('? x')) {
        resolve(now() - sent);
        term.kill();
      }
    });
  });
}

async function json(url: string, init?: RequestInit): Promise<any> {
  const res = await fetch(url, { ...init, headers: { 'content-type': 'application/json' } });
  return res.json();
}

async function platformFirstOutput(base: string): Promise<number> {
  const started = now();
  const { id } = await json(`${base}/api/runs`, { method: 'POST', body: JSON.stringify({ code: "print('hi')" }) });
  for (let offset = 0; ; ) {
    const chunk = await json(`${base}/api/runs/${id}/output?offset=${offset}&waitMs=10000`);
    if (chunk.data) return now() - started;
    offset = chunk.offset;
  }
}

async function platformEcho(base: string): Promise<number> {
  const { id } = await json(`${base}/api/runs`, { method: 'POST', body: JSON.stringify({ code: "input('? ')" }) });
  let text = '';
  let offset = 0;
  while (!text.includes('? ')) {
    const chunk = await json(`${base}/api/runs/${id}/output?offset=${offset}&waitMs=10000`);
    text += chunk.data;
    offset = chunk.offset;
  }
  // Let the executor notice the program is waiting (it flushes and switches to fast polling), as a human would.
  await new Promise((r) => setTimeout(r, 100));
  const sent = now();
  await json(`${base}/api/runs/${id}/input`, { method: 'POST', body: JSON.stringify({ data: 'x\n' }) });
  while (!text.includes('? x')) {
    const chunk = await json(`${base}/api/runs/${id}/output?offset=${offset}&waitMs=10000`);
    text += chunk.data;
    offset = chunk.offset;
  }
  return now() - sent;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the bench starts the local platform, which runs programs as other uids: run it as root');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-bench-'));
  const platform = await startLocalPlatform({ port: 0, dataDir, executors: 2 });
  try {
    const rows: Array<[string, number, number, number]> = [];
    const bare: number[] = [];
    const first: number[] = [];
    const termEcho: number[] = [];
    const echo: number[] = [];
    // Interleaved, so that both sides see the same machine load.
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await bareFirstOutput());
      first.push(await platformFirstOutput(platform.url));
      termEcho.push(await localTerminalEcho());
      echo.push(await platformEcho(platform.url));
    }
    rows.push(['first output (ms)', median(bare), median(first), FIRST_OUTPUT_TARGET_MS]);
    rows.push(['input echo (ms)', median(termEcho), median(echo), ECHO_TARGET_MS]);
    const barePy: number[] = [];
    const judgePy: number[] = [];
    const bareCs: number[] = [];
    const judgeC: number[] = [];
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-bench-c-'));
    for (let i = 0; i < ROUNDS; i++) {
      barePy.push(await barePython());
      judgePy.push(await judge(platform.url, 'python', PY_HELLO));
      bareCs.push(await bareC(scratch));
      judgeC.push(await judge(platform.url, 'c', C_HELLO));
    }
    fs.rmSync(scratch, { recursive: true, force: true });
    rows.push(['judge python (ms)', median(barePy), median(judgePy), JUDGE_TARGET_MS]);
    rows.push(['judge c (ms)', median(bareCs), median(judgeC), JUDGE_TARGET_MS]);
    const bareRate = await rate(barePython);
    const judgeRate = await rate(() => judge(platform.url, 'python', PY_HELLO));
    console.log(`pocketrun bench: ${new Date().toISOString().slice(0, 10)}, ${ROUNDS} rounds, medians, isolation ${platform.isolation}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), ${platform.instances.length} executors`);
    console.log('measure               bare    pocketrun   ratio   overhead   target overhead');
    for (const [name, b, p, target] of rows) {
      const over = p - b;
      console.log(
        `${name.padEnd(20)} ${b.toFixed(1).padStart(6)} ${p.toFixed(1).padStart(10)} ${(p / b).toFixed(2).padStart(7)}x ${over.toFixed(1).padStart(9)}   <= ${target} ${over <= target ? 'met' : 'NOT MET'}`,
      );
    }
    const share = judgeRate / bareRate;
    console.log(
      `${'throughput (/s, 8 at once)'.padEnd(20)} ${bareRate.toFixed(1).padStart(6)} ${judgeRate.toFixed(1).padStart(10)} ${share.toFixed(2).padStart(7)}x              >= ${THROUGHPUT_TARGET} ${share >= THROUGHPUT_TARGET ? 'met' : 'NOT MET'}`,
    );
  } finally {
    await platform.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// The scale scenarios (bench/scale.ts) after the latencies, on platforms of their own; BENCH_SCALE=0 skips them.
main()
  .then(() => (process.env.BENCH_SCALE === '0' ? undefined : benchScale()))
  .then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
