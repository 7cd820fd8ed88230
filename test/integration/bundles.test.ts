/**
 * `npm run build` makes self-contained function folders: copied away from the repository (no node_modules
 * above them to fall back on), each starts as FC would start it and answers on its port.
 */
import { stopChild } from '../support/stopChild';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { claimUidBlock } from '../../local/uidBlock';
import { ROOT } from '../support/platform';

async function startCopy(name: string, env: Record<string, string>): Promise<{ port: number; stop(): void; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bundle-${name}-`));
  fs.cpSync(path.join(ROOT, 'dist', name), dir, { recursive: true });
  const child = spawn(process.execPath, ['index.js'], { cwd: dir, env: { PATH: '/usr/bin:/bin', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`${name} exited ${code}: ${err}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const rec = JSON.parse(line);
      if (rec.event === 'listening') resolve(rec.port ?? 0);
    });
  });
  return { port, dir, stop: () => stopChild(child) };
}

test('the executor bundle loads node-pty from its own folder and serves POST /invoke', async () => {
  expect(fs.existsSync(path.join(ROOT, 'dist/executor/node_modules/@lydell/node-pty-linux-x64/pty.node'))).toBe(true);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-data-'));
  const uids = claimUidBlock(1);
  const exe = await startCopy('executor', { STORE: 'fs', DATA_DIR: data, SANDBOX_UID_BASE: String(uids.base), ISOLATION: 'uid' });
  try {
    const res = await fetch(`http://127.0.0.1:${exe.port}/invoke`, { method: 'POST', body: JSON.stringify({ events: [] }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-fc-status')).toBe('200');
    expect(await res.json()).toEqual({ outcomes: [] });
    const wrong = await fetch(`http://127.0.0.1:${exe.port}/elsewhere`);
    expect(wrong.status).toBe(404);
  } finally {
    await exe.stop();
    uids.release();
    fs.rmSync(exe.dir, { recursive: true, force: true });
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('the API bundle serves the page and the API on its own', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-data-'));
  const api = await startCopy('api', { STORE: 'fs', DATA_DIR: data });
  try {
    const base = `http://127.0.0.1:${api.port}`;
    expect((await fetch(`${base}/`)).status).toBe(200);
    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);
    const created = await fetch(`${base}/api/runs`, { method: 'POST', body: JSON.stringify({ code: 'print(1)' }) });
    expect(created.status).toBe(201);
  } finally {
    await api.stop();
    fs.rmSync(api.dir, { recursive: true, force: true });
    fs.rmSync(data, { recursive: true, force: true });
  }
});
