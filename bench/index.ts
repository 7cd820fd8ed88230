/**
 * `npm run bench`: pocketrun's latency next to the bare thing, measured side by side in one run on this machine.
 * - first output: from the request to the first byte a client sees, against spawning the interpreter directly
 *   (target: within 40 ms of the bare start);
 * - input echo: from `POST /input` to the echo in the output, against a local terminal's echo (target: 30 ms).
 * Medians over several rounds; nothing is asserted here (benchmarks, not tests).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalPlatform } from '../local/platform';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const PYTHON = '/usr/bin/python3';
const FIRST_OUTPUT_TARGET_MS = 40;
const ECHO_TARGET_MS = 30;

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
    console.log(`pocketrun bench: ${ROUNDS} rounds, medians, isolation ${platform.isolation}, ${os.cpus().length} cores`);
    console.log('measure               bare    pocketrun   ratio   overhead   target overhead');
    for (const [name, b, p, target] of rows) {
      const over = p - b;
      console.log(
        `${name.padEnd(20)} ${b.toFixed(1).padStart(6)} ${p.toFixed(1).padStart(10)} ${(p / b).toFixed(2).padStart(7)}x ${over.toFixed(1).padStart(9)}   <= ${target} ${over <= target ? 'met' : 'NOT MET'}`,
      );
    }
  } finally {
    await platform.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
