/** Lifecycle expiry and Ctrl-C, on platforms of their own. */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { keys } from '../../core/protocol';
import { ApiClient } from '../support/client';
import { ROOT, startTestPlatform } from '../support/platform';

test('run data older than the lifecycle age is deleted', async () => {
  const t = await startTestPlatform({ executors: 1, lifecycleMs: 1_500 });
  try {
    const id = await t.client.start("print('short-lived')");
    await t.client.finish(id);
    const output = path.join(t.dataDir, 'runs', keys.output(id));
    const manifest = path.join(t.dataDir, 'code', keys.manifest(id));
    expect(fs.existsSync(output)).toBe(true);
    const deadline = Date.now() + 10_000;
    while ((fs.existsSync(output) || fs.existsSync(manifest)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(fs.existsSync(output)).toBe(false);
    expect(fs.existsSync(manifest)).toBe(false);
    expect((await t.client.request('GET', `/api/runs/${id}`)).status).toBe(404);
  } finally {
    await t.stop();
  }
}, 30_000);

/** The sandbox uid block a platform process claimed (local/uidBlock.ts names the lock file after it). */
function uidBlockOf(pid: number): [number, number] {
  const dir = '/tmp/pocketrun-uid-blocks';
  const lock = fs.readdirSync(dir).find((f) => fs.readFileSync(path.join(dir, f), 'utf8') === String(pid));
  if (!lock) throw new Error(`no uid block for ${pid}`);
  const base = Number(lock);
  return [base, base + 32];
}

function describeProcess(pid: number): string {
  try {
    const state = /^State:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return `${pid} ${state} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}

/** Processes of the block's uids; `live`: not counting zombies (dead, waiting for their parent to reap them). */
function uidProcesses([from, to]: [number, number], live = false): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
        const uid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
        return uid >= from && uid < to && !(live && /^State:\s+Z/m.test(status));
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('npm start prints the URL, serves runs, and Ctrl-C kills and records runs in flight, leaving no process behind', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-start-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/local/index.js')], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, EXECUTORS: '2' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const banner: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        banner.push(line);
        const m = /url:\s+(http:\/\/\S+)/.exec(line);
        if (m) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error('npm start exited early')));
    });
    await new Promise((r) => setTimeout(r, 100));
    // The banner says which isolation is active, and health agrees.
    const isolationLine = banner.find((l) => l.includes('isolation:'))!;
    const health = (await new ApiClient(url).request('GET', '/api/health')).json;
    expect(isolationLine).toContain(health.isolation);
    const client = new ApiClient(url);
    const id = await client.start("print('spinning', flush=True)\nwhile True:\n    pass");
    await client.readUntil(id, (s) => s.includes('spinning'));
    const block = uidBlockOf(child.pid!);
    expect(uidProcesses(block).length).toBeGreaterThan(0);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const status = JSON.parse(fs.readFileSync(path.join(dataDir, 'runs', keys.status(id)), 'utf8'));
    expect(status.state).toBe('finished');
    expect(status.result.status).toBe('killed');
    // Named by state and command line, so a failure says what was left behind (a probe, the program). Nothing may
    // still run; a process killed after its executor ended dies an orphan, and init reaps it (at once on a usual
    // host; the init of some VMs takes a few seconds), as test/integration/stop.test.ts also allows.
    expect(uidProcesses(block, true).map(describeProcess)).toEqual([]);
    for (let i = 0; i < 300 && uidProcesses(block).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(uidProcesses(block).map(describeProcess)).toEqual([]);
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
