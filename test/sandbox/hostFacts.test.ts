/**
 * Host facts (adapters/sandbox/hostFacts.ts): what one executor start probes about the host, handed to the next start
 * on the same host (the local platform's instances), and never trusted beyond what it was found under. Real
 * sandboxes, real probes, real programs; and the runtime probe (core/runtimeProbe.ts) taking tools another instance
 * found instead of probing them.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PipeSpawner } from '../../adapters/process/pipeSpawner';
import { HostFacts } from '../../adapters/sandbox/hostFacts';
import { createSandbox } from '../../adapters/sandbox/sandbox';
import { findLanguage } from '../../core/languages';
import { systemClock, type Sandbox, type SandboxReport } from '../../core/ports';
import { RuntimeProbe, type SharedToolResults, type ToolResult } from '../../core/runtimeProbe';
import { hostFactsFolder } from '../../local/hostFactsFolder';
import { claimUidBlock, type UidBlock } from '../../local/uidBlock';
import { SANDBOX_TEST_LIMITS } from '../support/sandboxLimits';
import { watchOutput } from '../support/watchOutput';

const bwrapUsable = (() => {
  const r = spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', '/usr/bin/bwrap', '--unshare-user', '--unshare-pid', '--unshare-net', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '/bin/true'], { timeout: 10_000 });
  return fs.existsSync('/usr/bin/bwrap') && r.status === 0;
})();
if (!bwrapUsable) console.warn('NOTE: host facts bwrap cases SKIPPED: bwrap cannot run here as an unprivileged uid');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'host-facts-'));
  fs.chmodSync(dir, 0o711);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a fact is read back only as it was written, by root, under the same key', () => {
  const facts = () => new HostFacts(path.join(dir, 'facts'));
  const file = () => path.join(dir, 'facts', 'f.json');
  test.each<[string, (f: HostFacts) => void, string, number, boolean]>([
    ['as written', () => undefined, 'k', Infinity, true],
    ['under another key', () => undefined, 'other', Infinity, false],
    ['older than allowed', () => undefined, 'k', 1, false],
    ['a file others may read or write', () => fs.chmodSync(file(), 0o644), 'k', Infinity, false],
    ['a file of another owner', () => fs.chownSync(file(), 65534, 65534), 'k', Infinity, false],
    ['a folder others may enter', (f) => fs.chmodSync(f.dir, 0o755), 'k', Infinity, false],
    ['a symlink in its place', () => (fs.renameSync(file(), `${file()}.real`), fs.symlinkSync(`${file()}.real`, file())), 'k', Infinity, false],
    ['garbage', () => fs.writeFileSync(file(), '{not json'), 'k', Infinity, false],
    ['forgotten', (f) => f.clear(), 'k', Infinity, false],
  ])('%s', (_, change, key, maxAgeMs, readable) => {
    const f = facts();
    const written = Date.now() - 1_000;
    expect(f.write('f', 'k', { answer: 42 }, written)).toBe(true);
    change(f);
    expect(f.read('f', key, maxAgeMs)).toEqual(readable ? { answer: 42 } : null);
  });

  test('a folder that is not root-only is neither read nor written', () => {
    const f = facts();
    fs.mkdirSync(f.dir, { mode: 0o777 });
    fs.chmodSync(f.dir, 0o777);
    expect(f.write('f', 'k', 1)).toBe(false);
    expect(fs.readdirSync(f.dir)).toEqual([]);
  });
});

describe("each local platform's own facts folder in a shared work root (local/hostFactsFolder.ts)", () => {
  test("a platform's start leaves the facts of platforms still running, and gives itself an empty folder", () => {
    const running = hostFactsFolder(dir);
    expect(running.write('sandbox', 'k', { probed: true })).toBe(true);
    const next = hostFactsFolder(dir);
    const again = hostFactsFolder(dir);
    expect(new Set([running.dir, next.dir, again.dir]).size).toBe(3);
    expect(running.read('sandbox', 'k')).toEqual({ probed: true });
    expect(next.read('sandbox', 'k')).toBeNull();
    expect(fs.statSync(running.dir).mode & 0o777).toBe(0o700);
  });

  test('the folders of platforms that are gone are removed; those of live ones, and other folders, are kept', () => {
    const dead = spawnSync('/bin/true').pid!;
    const live = spawn('/bin/sleep', ['30']);
    try {
      const deadFacts = hostFactsFolder(dir, dead);
      const liveFacts = hostFactsFolder(dir, live.pid!);
      for (const f of [deadFacts, liveFacts]) expect(f.write('sandbox', 'k', 1)).toBe(true);
      fs.mkdirSync(path.join(dir, '.host-facts'));
      fs.mkdirSync(path.join(dir, '.trash'));
      const mine = hostFactsFolder(dir);
      expect(fs.readdirSync(dir).sort()).toEqual(['.host-facts', '.trash', path.basename(liveFacts.dir)].sort());
      expect(mine.write('sandbox', 'k', 2)).toBe(true);
      expect(liveFacts.read('sandbox', 'k')).toBe(1);
    } finally {
      live.kill('SIGKILL');
    }
  });
});

describe('a host-wide turn', () => {
  const lock = (f: HostFacts) => path.join(f.dir, 'probe.lock');
  test.each<[string, (f: HostFacts) => void, boolean]>([
    ['free', () => undefined, true],
    ['held by another live process', (f) => fs.writeFileSync(lock(f), String(process.ppid), { mode: 0o600 }), false],
    ['held by a process that died', (f) => fs.writeFileSync(lock(f), '999999999', { mode: 0o600 }), true],
    ['held by a live process for longer than a turn may last', (f) => (fs.writeFileSync(lock(f), String(process.ppid), { mode: 0o600 }), fs.utimesSync(lock(f), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000))), true],
  ])('%s', (_, before, granted) => {
    const f = new HostFacts(path.join(dir, 'facts'));
    fs.mkdirSync(f.dir, { mode: 0o700 });
    before(f);
    const release = f.turn('probe', 30_000);
    expect(release !== null).toBe(granted);
    if (!release) return;
    expect(fs.readFileSync(lock(f), 'utf8')).toBe(String(process.pid));
    release();
    expect(fs.existsSync(lock(f))).toBe(false);
  });
});

describe.each(['uid', 'bwrap'] as const)('sandbox starts sharing a host, %s isolation', (mode) => {
  const maybe = mode === 'bwrap' && !bwrapUsable ? test.skip : test;
  let block: UidBlock;
  const open: Sandbox[] = [];
  beforeAll(() => {
    block = claimUidBlock(6);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  afterAll(() => block?.release());

  /** A sandbox on the block's `k`th pair of uids, with the steps its start went through. */
  async function start(k: number, facts: HostFacts): Promise<{ sandbox: Sandbox; steps: string[] }> {
    const steps: string[] = [];
    const sandbox = await createSandbox({ isolation: mode, uidBase: block.base + 2 * k, uidCount: 2, workRoot: path.join(dir, 'work'), hostFacts: facts, onStep: (s) => steps.push(s) });
    open.push(sandbox);
    return { sandbox, steps };
  }

  const probes = (steps: string[]) => steps.filter((s) => / probe$/.test(s));
  const taken = (steps: string[]) => steps.filter((s) => /\(host facts\)$/.test(s));
  /** What a start found about the host (its uids and the time aside). */
  const host = (report: SandboxReport) => ({ ...report, retiredUids: undefined });

  /** A program in the sandbox: its uid, whether it sees pid 1, its exit. */
  async function runIn(sandbox: Sandbox): Promise<{ uid: number; seesInit: boolean; exitCode: number | null; text: string }> {
    const prep = await sandbox.prepare({ runId: 'r', files: [], command: ['/bin/sh', '-c', 'echo "uid=$(id -u) init=$(test -e /proc/1/status && echo yes || echo no)"'], env: {}, limits: SANDBOX_TEST_LIMITS, allowNetwork: false, cols: 80, rows: 24, terminal: false });
    try {
      const proc = new PipeSpawner().spawn(prep.spawn);
      const { text, exit } = watchOutput(proc, 15_000);
      const { exitCode } = await exit;
      const m = /uid=(\d+) init=(yes|no)/.exec(text());
      return { uid: Number(m?.[1]), seesInit: m?.[2] === 'yes', exitCode, text: text() };
    } finally {
      await prep.dispose();
    }
  }

  maybe('the first start probes the host and hands on what it found; the next takes it and isolates as well', async () => {
    const facts = new HostFacts(path.join(dir, 'work', '.facts'));
    const first = await start(0, facts);
    expect(taken(first.steps)).toEqual([]);
    expect(probes(first.steps).length).toBeGreaterThan(0);
    const second = await start(1, facts);
    expect(probes(second.steps)).toEqual([]);
    expect(taken(second.steps)).toEqual(probes(first.steps).map((s) => s.replace(/ probe$/, ' (host facts)')));
    expect(host(second.sandbox.report())).toEqual(host(first.sandbox.report()));
    expect(second.sandbox.isolation).toBe(mode);
    const [a, b] = [await runIn(first.sandbox), await runIn(second.sandbox)];
    // With its output, so that a failure says which step of the chain refused (a link that dies exits 126 and says why).
    expect({ exitCode: b.exitCode, text: b.text }).toEqual({ exitCode: 0, text: expect.stringMatching(/uid=\d+/) });
    expect(b.uid).toBeGreaterThanOrEqual(block.base + 2);
    expect(b.uid).toBeLessThan(block.base + 4);
    // Processes are hidden (or not) exactly as in the start that probed.
    expect(b.seesInit).toBe(a.seesInit);
  });

  maybe('facts that do not hold any more are not taken: the start probes for itself and hands on the new findings', async () => {
    const facts = new HostFacts(path.join(dir, 'work', '.facts'));
    await start(0, facts);
    const written = JSON.parse(fs.readFileSync(path.join(facts.dir, 'sandbox.json'), 'utf8'));
    const cases: Array<[string, () => void]> = [
      // Found under other conditions (another bwrap, kernel, /etc, cgroup, option): another key.
      ['another key', () => fs.writeFileSync(path.join(facts.dir, 'sandbox.json'), JSON.stringify({ ...written, key: `${written.key} ` }), { mode: 0o600 })],
      // Written where someone else could have written it.
      ['not root-only', () => (fs.writeFileSync(path.join(facts.dir, 'sandbox.json'), JSON.stringify(written), { mode: 0o600 }), fs.chmodSync(path.join(facts.dir, 'sandbox.json'), 0o666))],
    ];
    if (mode === 'bwrap') {
      // Naming an /etc view that is gone.
      cases.push(['a missing /etc view', () => fs.writeFileSync(path.join(facts.dir, 'sandbox.json'), JSON.stringify({ ...written, value: { ...written.value, bwrap: { ...written.value.bwrap, etcView: path.join(dir, 'work', '.etc-host-gone') } } }), { mode: 0o600 })]);
    }
    for (const [k, [why, spoil]] of cases.entries()) {
      spoil();
      const next = await start(1 + (k % 2), facts);
      expect({ why, probes: probes(next.steps).length > 0, taken: taken(next.steps).filter((s) => s.includes('bwrap')) }).toEqual({ why, probes: true, taken: [] });
      const run = await runIn(next.sandbox);
      expect({ exitCode: run.exitCode, text: run.text }).toEqual({ exitCode: 0, text: expect.stringMatching(/uid=\d+/) });
      await open.pop()!.close();
      // What it probed is what the next start would take.
      expect(facts.read('sandbox', written.key)).toEqual(written.value);
    }
  });
});

describe('the runtime probe and tools another instance of the host found', () => {
  let block: UidBlock;
  let sandbox: Sandbox;
  beforeAll(async () => {
    block = claimUidBlock(2);
  });
  afterAll(async () => {
    block?.release();
  });
  afterEach(async () => sandbox?.close());

  function sharedStore(): SharedToolResults & { known: Map<string, NonNullable<ToolResult>> } {
    const known = new Map<string, NonNullable<ToolResult>>();
    return { known, get: (key) => known.get(key), put: (results) => results.forEach((v, k) => known.set(k, v)) };
  }

  test('a tool found by one instance is not probed by the next: no probe cell before its first run', async () => {
    sandbox = await createSandbox({ isolation: 'uid', uidBase: block.base, uidCount: 2, workRoot: path.join(dir, 'work') });
    const python = findLanguage('python')!;
    const shared = sharedStore();
    const logs: Array<Record<string, unknown>> = [];
    const probe = (name: string) => new RuntimeProbe({ sandbox, spawner: new PipeSpawner(), clock: systemClock, shell: '/bin/bash', languages: [python], transforms: [], shared, log: (r) => logs.push({ ...r, instance: name }) });
    const first = await probe('first').runtime(python);
    expect(first?.tools).toEqual({ python: '/usr/bin/python3' });
    expect([...shared.known.values()]).toEqual([{ path: '/usr/bin/python3', output: expect.stringMatching(/^Python 3\./) }]);
    const second = await probe('second').runtime(python);
    expect(second).toEqual(first);
    expect(logs.filter((r) => r.event === 'runtime_probe').map((r) => r.instance)).toEqual(['first']);
  });

  test('a tool none of whose candidates ran is not handed on: each instance looks for itself', async () => {
    sandbox = await createSandbox({ isolation: 'uid', uidBase: block.base, uidCount: 2, workRoot: path.join(dir, 'work') });
    const missing = { ...findLanguage('python')!, id: 'missing', tools: { python: { candidates: ['/nonexistent/python'], versionArgs: ['--version'] } } };
    const shared = sharedStore();
    const logs: Array<Record<string, unknown>> = [];
    const probe = () => new RuntimeProbe({ sandbox, spawner: new PipeSpawner(), clock: systemClock, shell: '/bin/bash', languages: [missing], transforms: [], shared, log: (r) => logs.push(r) });
    expect(await probe().runtime(missing)).toBeNull();
    expect(await probe().runtime(missing)).toBeNull();
    expect(shared.known.size).toBe(0);
    expect(logs.filter((r) => r.event === 'runtime_probe')).toHaveLength(2);
  });
});
