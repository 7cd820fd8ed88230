/**
 * The executor's run lifecycle (core/run.ts) with every real adapter (folder store, node-pty, the uid sandbox)
 * and storage traffic counted: what crosses the wire must stay small while a program sleeps or chats.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FsObjectStore } from '../../adapters/storage/fsStore';
import { PipeSpawner } from '../../adapters/process/pipeSpawner';
import { PtySpawner } from '../../adapters/process/ptySpawner';
import { createSandbox } from '../../adapters/sandbox/sandbox';
import { resolveInterpreter } from '../../adapters/sandbox/resolveInterpreter';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import { systemClock, type ObjectStore } from '../../core/ports';
import { keys, type StatusDoc } from '../../core/protocol';
import { handleRunEvent, type ExecutorDeps } from '../../core/run';
import { RunService } from '../../core/runService';
import { parseCreateRun } from '../../core/validate';
import { claimUidBlock, type UidBlock } from '../../local/uidBlock';

interface Traffic {
  gets: Map<string, number>;
  appends: Map<string, number>;
  appendedBytes: Map<string, number>;
}

/** Reads of keys ending with this suffix fail (a storage blip) until `until`. */
const blip = { suffix: '', until: 0 };

/** The real store, with every call counted per key. */
function counted(inner: ObjectStore, traffic: Traffic): ObjectStore {
  const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
  const store: ObjectStore = Object.create(inner);
  store.get = (key, range) => {
    bump(traffic.gets, key);
    if (blip.suffix && key.endsWith(blip.suffix) && Date.now() < blip.until) return Promise.reject(new Error('ECONNRESET'));
    return inner.get(key, range);
  };
  store.append = (key, body, position) => {
    bump(traffic.appends, key);
    bump(traffic.appendedBytes, key, Buffer.byteLength(body));
    return inner.append(key, body, position);
  };
  return store;
}

let dir: string;
let block: UidBlock;
let deps: ExecutorDeps;
let service: RunService;
let traffic: Traffic;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'executor-core-'));
  // The sandbox uid must be able to pass through to its folder under the work root.
  fs.chmodSync(dir, 0o711);
  block = claimUidBlock(1);
  traffic = { gets: new Map(), appends: new Map(), appendedBytes: new Map() };
  const code = new FsObjectStore({ root: dir, bucket: 'code' });
  const runs = new FsObjectStore({ root: dir, bucket: 'runs' });
  const policy = limitPolicyFromEnv({});
  service = new RunService({ code, runs, clock: systemClock, randomBytes, policy });
  deps = {
    code,
    runs: counted(runs, traffic),
    spawners: { pty: new PtySpawner(), pipes: new PipeSpawner(), judge: new PipeSpawner({ stderr: 'separate' }) },
    sandbox: await createSandbox({ isolation: 'uid', uidBase: block.base, uidCount: 1, workRoot: path.join(dir, 'work') }),
    clock: systemClock,
    policy,
    allowNetwork: false,
    // Python only, and found without the runtime probe, whose cell would hold this sandbox's only uid.
    resolveRuntime: (language) => {
      const python = resolveInterpreter(language.tools.python?.candidates ?? [], block.base, block.base);
      return python ? { language, tools: { python }, version: 'test' } : null;
    },
    executorId: 'test',
    log: () => undefined,
  };
});
afterAll(async () => {
  await deps?.sandbox.close();
  block?.release();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function execute(code: string): Promise<{ id: string; status: StatusDoc }> {
  const id = await service.create(parseCreateRun({ code }, service.policy));
  expect(await handleRunEvent(deps, id, 'req')).toBe('executed');
  const status = JSON.parse((await deps.runs.get(keys.status(id))).data.toString()) as StatusDoc;
  return { id, status };
}

test('while a program sleeps, the control stream is polled a few times a second, not a hundred', async () => {
  const { id, status } = await execute('import time\ntime.sleep(3)');
  expect(status.result?.status).toBe('ok');
  const polls = traffic.gets.get(keys.control(id)) ?? 0;
  // 3 s at the busy rate (2/s) is about 6 polls; the seed polled 100 times a second (300).
  expect(polls).toBeGreaterThan(0);
  expect(polls).toBeLessThanOrEqual(10);
});

test('a chatty program is appended in batches, every byte once', async () => {
  const { id, status } = await execute("import time\nfor i in range(200):\n    print('line', i, flush=True)\n    time.sleep(0.01)");
  expect(status.result?.status).toBe('ok');
  const stored = (await deps.runs.get(keys.output(id))).data;
  expect(stored.toString()).toContain('line 199');
  expect(traffic.appendedBytes.get(keys.output(id))).toBe(stored.length);
  // About 2.5 s of output at one append per 100 ms at most, instead of one request per line (200).
  expect(traffic.appends.get(keys.output(id))).toBeLessThanOrEqual(40);
});

test('a redelivered event is a duplicate: nothing runs, nothing is appended', async () => {
  const { id } = await execute("print('once')");
  const appends = traffic.appends.get(keys.output(id));
  expect(await handleRunEvent(deps, id, 'again')).toBe('duplicate');
  expect(traffic.appends.get(keys.output(id))).toBe(appends);
});

test('a storage blip on the control stream does not end the run; input sent during it still arrives', async () => {
  const id = await service.create(parseCreateRun({ code: "import time\ntime.sleep(1)\nprint('got', input())" }, service.policy));
  blip.suffix = '/control';
  blip.until = Date.now() + 1_500;
  const execution = handleRunEvent(deps, id, 'req');
  await new Promise((r) => setTimeout(r, 300));
  await service.input(id, 'through the blip\n');
  expect(await execution).toBe('executed');
  blip.suffix = '';
  const status = JSON.parse((await deps.runs.get(keys.status(id))).data.toString()) as StatusDoc;
  expect(status.result?.status).toBe('ok');
  expect((await deps.runs.get(keys.output(id))).data.toString()).toContain('got through the blip');
  expect(traffic.gets.get(keys.control(id))).toBeGreaterThan(1);
});
