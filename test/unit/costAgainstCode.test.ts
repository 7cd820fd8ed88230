/**
 * The cost model against the code it models: the real executor (core/run.ts) and the real API side
 * (core/runService.ts, core/judge/executeAndWait.ts) run the model's scenarios on fakes (memory buckets, a scripted
 * program, a virtual clock), every storage request is counted as OSS would bill it, and the model's counts must
 * match by function and operation. When the protocol changes, this says which line of the model to follow it with.
 */
import { MemoryStore } from '../../adapters/storage/memoryStore';
import { parseExecuteRequest } from '../../core/executeRequest';
import { startExecution, waitForAnswer } from '../../core/judge/executeAndWait';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import * as L from '../../core/limits';
import { isStoreError, type ObjectStore } from '../../core/ports';
import { handleRunEvent } from '../../core/run';
import { RunService } from '../../core/runService';
import { parseCreateRun } from '../../core/validate';
import { interactiveUsage, sessionPhases } from '../../bench/cost/interactiveUsage';
import { judgeUsage } from '../../bench/cost/judgeUsage';
import type { OssOperation, RunUsage } from '../../bench/cost/runUsage';
import { JUDGE_HELLO, TYPICAL_SESSION } from '../../bench/cost/scenarios';
import { FakeClock } from '../support/fakeClock';
import { fakeExecutorDeps } from '../support/fakeExecutorDeps';
import { FakeSpawner, type Program } from '../support/fakeSpawner';

const policy = limitPolicyFromEnv({});
const LIFECYCLE = { runsLifecycleDays: 1, codeLifecycleDays: 7 };

type Who = 'api' | 'executor';
interface Counted {
  who: Who;
  op: OssOperation;
  billed: boolean;
}

/**
 * A store that counts each request as OSS bills it: a read of a missing object is a 404 and a ranged read at or
 * past the end a 416 (both free), a refused put or append a 4xx (free); every other answer is billed.
 */
function counted(inner: ObjectStore, who: Who, log: Counted[]): ObjectStore {
  const note = (op: OssOperation, billed: boolean) => log.push({ who, op, billed });
  const refused = async <T>(op: OssOperation, call: () => Promise<T>, billed: (value: T) => boolean): Promise<T> => {
    try {
      const value = await call();
      note(op, billed(value));
      return value;
    } catch (err) {
      note(op, !isStoreError(err));
      throw err;
    }
  };
  return {
    bucket: inner.bucket,
    put: (key, body, options) => refused('PutObject', () => inner.put(key, body, options), () => true),
    append: (key, body, position) => refused('AppendObject', () => inner.append(key, body, position), () => true),
    get: (key, range) => refused('GetObject', () => inner.get(key, range), (r) => !range || range.start < r.size),
    head: (key) => refused('HeadObject', () => inner.head(key), (meta) => meta !== null),
    list: (prefix) => refused('ListObjects', () => inner.list(prefix), () => true),
    delete: (key) => refused('DeleteObject', () => inner.delete(key), () => true),
  };
}

function setup(program: Program) {
  const clock = new FakeClock();
  const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
  const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  const log: Counted[] = [];
  const spawner = new FakeSpawner(clock, program);
  const judge = new FakeSpawner(clock, program, { separate: true });
  let seed = 0;
  const api = { code: counted(code, 'api', log), runs: counted(runs, 'api', log), clock, policy, randomBytes: (n: number) => Buffer.alloc(n, ++seed) };
  const executor = fakeExecutorDeps({
    code: counted(code, 'executor', log),
    runs: counted(runs, 'executor', log),
    spawners: { pty: spawner, pipes: spawner, judge },
    clock,
    policy,
    executorId: 'exec-a',
  });
  return { clock, api, executor, log };
}

type Totals = Record<string, { sent: number; billed: number }>;

function totalsOfCode(log: Counted[]): Totals {
  const out: Totals = {};
  for (const r of log) {
    const t = (out[`${r.who} ${r.op}`] ??= { sent: 0, billed: 0 });
    t.sent++;
    if (r.billed) t.billed++;
  }
  return out;
}

function totalsOfModel(usage: RunUsage): Totals {
  const out: Totals = {};
  for (const line of usage.requests) {
    const t = (out[`${line.who} ${line.op}`] ??= { sent: 0, billed: 0 });
    t.sent += line.sent;
    t.billed += line.billed;
  }
  return out;
}

/** Pairs (function, operation) where model and code differ by more than `tolerance` of the code's count (and 3). */
function differences(model: Totals, code: Totals, tolerance: number): string[] {
  const keys = [...new Set([...Object.keys(model), ...Object.keys(code)])].sort();
  const near = (a: number, b: number) => Math.abs(a - b) <= Math.max(3, tolerance * b);
  return keys.flatMap((key) => {
    const m = model[key] ?? { sent: 0, billed: 0 };
    const c = code[key] ?? { sent: 0, billed: 0 };
    return near(m.sent, c.sent) && near(m.billed, c.billed) ? [] : [`${key}: model ${Math.round(m.sent)} sent, ${Math.round(m.billed)} billed; code ${c.sent} sent, ${c.billed} billed`];
  });
}

describe('the model counts what the code sends', () => {
  test(`interactive: ${TYPICAL_SESSION.label}, one client long-polling`, async () => {
    const s = TYPICAL_SESSION;
    const n = s.inputs.length;
    const busyEachMs = sessionPhases(s).busyMs / n;
    const prompt = 'p'.repeat(s.promptBytes - 1) + '>';
    const program: Program = async (io) => {
      for (let round = 0; round < n; round++) {
        io.print(prompt);
        await io.readLine();
        for (let t = 0; t < busyEachMs; t += s.printIntervalMs) {
          io.print(`${'x'.repeat(s.lineBytes - 2)}\r\n`);
          await io.sleep(s.printIntervalMs);
        }
      }
    };
    const { clock, api, executor, log } = setup(program);
    const service = new RunService(api);
    const id = await service.create(parseCreateRun({ code: 'scripted' }, policy));

    // The client: one long poll after another; each new prompt is answered after the session's think time.
    const client = (async () => {
      let offset = 0;
      let text = '';
      let answered = 0;
      const typing: Array<Promise<void>> = [];
      for (;;) {
        const chunk = await service.output(id, offset, L.MAX_LONG_POLL_MS, 'base64');
        offset = chunk.offset;
        text += Buffer.from(chunk.data, 'base64').toString();
        while (answered < text.split(prompt).length - 1) {
          const line = s.inputs[answered++];
          typing.push(clock.sleep(s.thinkMs).then(() => service.input(id, line)));
        }
        if (chunk.eof) break;
      }
      await Promise.all(typing);
    })();
    const invoked = clock.sleep(s.queuedMs).then(() => handleRunEvent(executor, id, 'req'));
    await clock.run(Promise.all([client, invoked]), 5 * 60_000);

    expect(differences(totalsOfModel(interactiveUsage(s, LIFECYCLE)), totalsOfCode(log), 0.05)).toEqual([]);
  });

  test(`judge: ${JUDGE_HELLO.label}`, async () => {
    const j = JUDGE_HELLO;
    const program: Program = async (io) => {
      await io.sleep(j.executorMs);
      io.print(j.stdout);
    };
    const { clock, api, executor, log } = setup(program);
    const request = parseExecuteRequest({ language: j.language, code: j.code }, policy);
    const started = clock.now();
    const id = await startExecution(api, request);
    const invoked = clock.sleep(j.queuedMs).then(() => handleRunEvent(executor, id, 'req'));
    const [answer] = await clock.run(Promise.all([waitForAnswer(api, id, request, started), invoked]));
    expect(answer.stdout).toBe(j.stdout);

    expect(differences(totalsOfModel(judgeUsage(j, LIFECYCLE)), totalsOfCode(log), 0.05)).toEqual([]);
  });
});
