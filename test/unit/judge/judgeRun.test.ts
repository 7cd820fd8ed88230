/**
 * Judge mode through the executor's run lifecycle (core/run.ts → core/judge/runJudge.ts) and the API's wait
 * (core/judge/executeAndWait.ts), on fakes only: memory buckets, scripted programs on a `separate` fake spawner (stderr
 * apart, the run head's figures), the fake sandbox's metered spawns, a virtual clock.
 */
import { MemoryStore } from '../../../adapters/storage/memoryStore';
import { ApiError } from '../../../core/apiError';
import { appendControl } from '../../../core/controlStream';
import { limitPolicyFromEnv } from '../../../core/limitPolicy';
import { parseExecuteRequest } from '../../../core/executeRequest';
import { startExecution, waitForAnswer, executeWaitMs } from '../../../core/judge/executeAndWait';
import type { ExecuteResult } from '../../../core/judge/executeResult';
import type { JudgeCommands } from '../../../core/judge/judgeCommands';
import { runJudge } from '../../../core/judge/runJudge';
import { STOP_GRACE_MS } from '../../../core/stopThroughRunHead';
import * as L from '../../../core/limits';
import type { ObjectStore, TreeMeasure } from '../../../core/ports';
import { keys, type RunLimits, type StatusDoc } from '../../../core/protocol';
import { handleRunEvent } from '../../../core/run';
import { readJson } from '../../../core/storeJson';
import { FakeClock } from '../../support/fakeClock';
import { FakeSandbox } from '../../support/fakeSandbox';
import { fakeExecutorDeps } from '../../support/fakeExecutorDeps';
import { FakeSpawner, type Program } from '../../support/fakeSpawner';

const policy = limitPolicyFromEnv({});
const MiB = 1024 * 1024;
const FOREVER = 10 * 60_000;

/** Every put to the runs bucket, in order (to check the answer lands before the final status). */
function recorded(inner: ObjectStore, puts: string[]): ObjectStore {
  const store: ObjectStore = Object.create(inner);
  store.put = async (key, body, options) => {
    await inner.put(key, body, options);
    puts.push(key.endsWith('status.json') ? `status:${JSON.parse(body.toString()).state}` : key.split('/').pop()!);
  };
  return store;
}

function harness(program: Program, options: { measures?: TreeMeasure[] } = {}) {
  const clock = new FakeClock();
  const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
  const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
  const puts: string[] = [];
  const sandbox = new FakeSandbox({ measures: options.measures });
  const judge = new FakeSpawner(clock, program, { separate: true });
  const unused = new FakeSpawner(clock, async () => {
    throw new Error('judge runs use the judge spawner only');
  });
  let seed = 0;
  const deps = fakeExecutorDeps({
    code,
    runs: recorded(runs, puts),
    spawners: { pty: unused, pipes: unused, judge },
    clock,
    policy,
    sandbox,
    executorId: 'exec-a',
  });
  const api = { code, runs, clock, policy, randomBytes: (n: number) => Buffer.alloc(n, ++seed) };
  return {
    clock,
    runs,
    sandbox,
    judge,
    puts,
    /** The whole request: manifest, the executor's invocation beside the API's wait, the answer. */
    async execute(body: Record<string, unknown>, meanwhile?: (id: string) => Promise<unknown>): Promise<{ id: string; answer: ExecuteResult }> {
      const request = parseExecuteRequest({ language: 'python', code: 'scripted', ...body }, policy);
      const started = clock.now();
      const id = await startExecution(api, request);
      const [answer] = await clock.run(Promise.all([waitForAnswer(api, id, request, started), handleRunEvent(deps, id, 'req'), meanwhile?.(id)]));
      return { id, answer };
    },
    status: (id: string) => readJson<StatusDoc>(runs, keys.status(id)),
  };
}

/** Doubles the number on stdin: the program of most rows below. */
const doubler: Program = async (io) => {
  const line = await io.readLine();
  io.print(`${Number(line) * 2}\n`);
};

interface Row {
  program: Program;
  body: Record<string, unknown>;
  answer: Partial<ExecuteResult>;
  measures?: TreeMeasure[];
}

const rows: Array<[string, Row]> = [
  ['the expected output: accepted', { program: doubler, body: { stdin: '21\n', expectedOutput: '42' }, answer: { status: 'accepted', stdout: '42\n', exitCode: 0 } }],
  ['another output: wrong_answer', { program: doubler, body: { stdin: '21\n', expectedOutput: '43' }, answer: { status: 'wrong_answer', stdout: '42\n' } }],
  ['no expected output: ok', { program: doubler, body: { stdin: '1' }, answer: { status: 'ok', stdout: '2\n' } }],
  ['stderr comes apart from stdout', {
    program: async (io) => {
      io.print('out\n');
      io.printErr('err\n');
    },
    body: { expectedOutput: 'out' },
    answer: { status: 'accepted', stdout: 'out\n', stderr: 'err\n' },
  }],
  ['the run head’s figures are the answer’s', {
    program: async (io) => {
      io.setMaxRss(12_345);
      await io.compute(700);
      await io.sleep(300);
    },
    body: {},
    answer: { status: 'ok', cpuMs: 700, wallMs: 1_000, memoryKb: 12_345 },
  }],
  ['the wall limit stops it at exactly timeoutMs, saying wall', {
    program: (io) => io.sleep(FOREVER),
    body: { limits: { timeoutMs: 2_000 } },
    answer: { status: 'timeout', signal: 'SIGTERM', wallMs: 2_000, message: 'wall time limit of 2 s exceeded' },
  }],
  ['more CPU than the limit (a tree of processes): timeout, saying CPU', {
    program: (io) => io.compute(1_500),
    body: { limits: { cpuMs: 1_000 } },
    answer: { status: 'timeout', exitCode: 0, cpuMs: 1_500, message: "CPU time limit of 1 s exceeded (1.5 s used by the program's processes together)" },
  }],
  ['SIGXCPU from RLIMIT_CPU: timeout, saying CPU', {
    program: async (io) => {
      await io.compute(1_000);
      return { signal: 'SIGXCPU' };
    },
    body: { limits: { cpuMs: 1_000 } },
    answer: { status: 'timeout', signal: 'SIGXCPU', message: 'CPU time limit of 1 s exceeded' },
  }],
  ['past the memory limit by the cgroup’s OOM killer: memory_limit', {
    program: async () => ({ signal: 'SIGKILL' }),
    body: { limits: { memoryMb: 64 } },
    measures: [{ peakKb: 65_536, oomKilled: true }],
    answer: { status: 'memory_limit', signal: 'SIGKILL', memoryKb: 65_536, message: 'the program reached its memory limit of 64 MiB' },
  }],
  ['the runtime’s out-of-memory error under RLIMIT_AS: memory_limit', {
    program: async (io) => {
      io.printErr('Traceback (most recent call last):\nMemoryError\n');
      return 1;
    },
    body: {},
    answer: { status: 'memory_limit', exitCode: 1 },
  }],
  ['past the stdout cap: output_limit, exactly the cap kept', {
    program: async (io) => {
      for (;;) {
        io.print('0123456789');
        await io.sleep(1);
      }
    },
    body: { limits: { outputBytes: 1_005 } },
    answer: { status: 'output_limit', stdout: '0123456789'.repeat(100) + '01234', message: 'stdout passed its limit of 1005 bytes' },
  }],
  ['past the stderr cap: output_limit, saying stderr', {
    program: async (io) => {
      for (;;) {
        io.printErr('x'.repeat(100));
        await io.sleep(1);
      }
    },
    body: { limits: { outputBytes: 250 } },
    answer: { status: 'output_limit', stderr: 'x'.repeat(250), message: 'stderr passed its limit of 250 bytes' },
  }],
  ['a non-zero exit: runtime_error with the exit code', { program: async () => 3, body: { expectedOutput: '' }, answer: { status: 'runtime_error', exitCode: 3, signal: null, message: 'exit code 3' } }],
  ['death by a signal: runtime_error naming it', { program: async () => ({ signal: 'SIGSEGV' }), body: {}, answer: { status: 'runtime_error', exitCode: null, signal: 'SIGSEGV', message: 'killed by SIGSEGV' } }],
  ['no report from the run head: internal_error', {
    program: async () => ({ exitCode: 137, noReport: true }),
    body: {},
    answer: { status: 'internal_error', message: 'the program’s supervisor ended without its report' },
  }],
];

describe('one test: the verdict table on fakes', () => {
  test.each(rows)('%s', async (_name, row) => {
    const h = harness(row.program, { measures: row.measures });
    const { id, answer } = await h.execute(row.body);
    expect(answer).toMatchObject(row.answer);
    expect(answer.tests).toBeUndefined();
    // The answer goes out once, in the final status (one put for the executor, one read for the API), beside its top level.
    expect(h.puts.filter((p) => !p.startsWith('status:running'))).toEqual(['claim', 'status:finished']);
    const final = await h.status(id);
    expect(final?.answer).toEqual(answer);
    expect(final?.result).toMatchObject({ status: answer.status, exitCode: answer.exitCode, signal: answer.signal });
    expect(h.sandbox.metered).toHaveLength(1);
    expect(h.sandbox.finished).toBe(1);
    expect(h.sandbox.disposals).toBe(1);
    expect(h.clock.pending).toBe(0);
  });
});

test('the sandbox’s CPU watch stops the tree: timeout, saying CPU, with the watch’s figure where the run head’s misses what was killed', async () => {
  const message = "CPU time limit of 1 s exceeded (1.02 s used by the program's processes together)";
  const h = harness(
    async (io) => {
      await io.compute(300);
      h.sandbox.exceedMetered('cpu_limit', message);
      await io.sleep(FOREVER);
    },
    { measures: [{ peakKb: 2048, oomKilled: false, cpuMs: 1_020 }] },
  );
  const { answer } = await h.execute({ limits: { cpuMs: 1_000 } });
  expect(answer).toMatchObject({ status: 'timeout', signal: 'SIGTERM', cpuMs: 1_020, message });
  expect(h.clock.pending).toBe(0);
});

describe('what a command’s finish is told (the sandbox skips its sweep on the run head’s timely report)', () => {
  test.each<[string, Program, boolean]>([
    ['the run head reported', (io) => io.sleep(300), true],
    ['no report (the run head was killed first)', async (io) => {
      await io.sleep(300);
      return { exitCode: 0, noReport: true };
    }, false],
  ])('%s', async (_name, program, reported) => {
    const h = harness(program);
    await h.execute({});
    expect(h.sandbox.reports).toEqual([reported ? expect.objectContaining({ wallMs: 300 }) : undefined]);
  });
});

describe('several tests in one request', () => {
  test('each runs in the same cell with its own metered spawn and fresh limits; the first failure decides', async () => {
    const h = harness(async (io) => {
      const n = Number(await io.readLine());
      // 800 ms of CPU each: 2.4 s in all, under a 1 s limit per test.
      await io.compute(800);
      if (n === 3) return { signal: 'SIGSEGV' };
      io.print(`${n * 2}\n`);
    });
    const { answer } = await h.execute({
      limits: { cpuMs: 1_000 },
      tests: [{ stdin: '1', expectedOutput: '2' }, { stdin: '2', expectedOutput: '5' }, { stdin: '3', expectedOutput: '6' }, { stdin: '4', expectedOutput: '8' }],
    });
    expect(answer.tests!.map((t) => t.status)).toEqual(['accepted', 'wrong_answer', 'runtime_error', 'accepted']);
    expect(answer.tests!.map((t) => t.cpuMs)).toEqual([800, 800, 800, 800]);
    expect(answer).toMatchObject({ status: 'wrong_answer', stdout: '4\n', cpuMs: 800 });
    expect(h.sandbox.requests).toHaveLength(1);
    expect(h.sandbox.metered).toHaveLength(4);
    expect(h.sandbox.metered.every((m) => m.limits.cpuMs === 1_000 && m.limits.memoryBytes === 256 * MiB)).toBe(true);
    expect(h.judge.spawned.map((p) => p.writes.join(''))).toEqual(['1', '2', '3', '4']);
    expect(h.judge.spawned.every((p) => p.inputEnded)).toBe(true);
  });

  test('a test stopped by its wall limit does not shorten the next one', async () => {
    const h = harness(async (io) => {
      const ms = Number(await io.readLine());
      await io.sleep(ms);
      io.print('done\n');
    });
    const { answer } = await h.execute({ limits: { timeoutMs: 1_000 }, tests: [{ stdin: '5000' }, { stdin: '900' }] });
    expect(answer.tests!.map((t) => [t.status, t.wallMs])).toEqual([['timeout', 1_000], ['ok', 900]]);
    expect(answer.status).toBe('timeout');
  });

  test('the request’s time budget: a test running when it ends is stopped, the rest are not run', async () => {
    const h = harness((io) => io.sleep(FOREVER));
    const { answer } = await h.execute({ limits: { timeoutMs: 25_000 }, tests: [{ stdin: '' }, { stdin: '' }, { stdin: '' }] });
    expect(answer.tests!.map((t) => t.status)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(answer.tests![0]).toMatchObject({ wallMs: 25_000, message: 'wall time limit of 25 s exceeded' });
    expect(answer.tests![1]).toMatchObject({ wallMs: L.JUDGE_REQUEST_WALL_MS - 25_000, message: 'not finished: the request’s time budget ran out' });
    expect(answer.tests![2]).toMatchObject({ wallMs: 0, message: `not run: the request’s time budget of ${L.JUDGE_REQUEST_WALL_MS / 1000} s ran out` });
    expect(h.sandbox.metered).toHaveLength(2);
  });

  test('a kill record (the API giving up) ends the test running and the rest as internal_error', async () => {
    const h = harness((io) => io.sleep(FOREVER));
    const { answer } = await h.execute({ tests: [{ stdin: '' }, { stdin: '' }] }, async (id) => {
      await h.clock.sleep(1_000);
      await appendControl(h.runs, id, { t: 'kill' });
    });
    expect(answer.tests!.map((t) => [t.status, t.message])).toEqual([['internal_error', 'the run was killed'], ['internal_error', 'not run: the run was killed']]);
    // Seen at the next control poll, a few times a second.
    expect(answer.tests![0].wallMs).toBeLessThanOrEqual(1_000 + L.CONTROL_POLL_BUSY_MS);
    expect(h.sandbox.metered).toHaveLength(1);
  });

  test('the answer’s streams together stay within their cap, cut tests marked', async () => {
    const h = harness(async (io) => {
      io.print('y'.repeat(L.JUDGE_MAX_RESULT_OUTPUT_BYTES / 2 - 10));
    });
    const { answer } = await h.execute({ limits: { outputBytes: L.JUDGE_MAX_OUTPUT_BYTES }, tests: [{ stdin: '' }, { stdin: '' }, { stdin: '' }] });
    expect(answer.tests!.map((t) => t.stdout.length)).toEqual([L.JUDGE_MAX_RESULT_OUTPUT_BYTES / 2 - 10, L.JUDGE_MAX_RESULT_OUTPUT_BYTES / 2 - 10, 20]);
    expect(answer.tests!.map((t) => t.outputTruncated)).toEqual([undefined, undefined, true]);
    expect(answer.tests!.map((t) => t.status)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('the compile hook (runJudge with a compiled language’s commands)', () => {
  const limits: RunLimits = { timeoutMs: 5_000, busyTimeoutMs: 5_000, outputBytes: MiB, memoryBytes: 256 * MiB, cpuMs: 5_000, processes: 64, fileBytes: 10 * MiB, openFiles: 256, diskBytes: 64 * MiB };
  const commands: JudgeCommands = {
    compile: { command: ['/usr/bin/gcc', '-o', 'main', 'main.c'], limits: { ...limits, timeoutMs: L.COMPILE_TIMEOUT_MS, memoryBytes: L.COMPILE_MEMORY_BYTES, outputBytes: 100 } },
    run: ['./main'],
    addressSpaceOverheadBytes: 0,
    memoryErrorPatterns: [],
  };

  async function judged(program: Program, tests: Array<{ stdin: string; expectedOutput?: string }>) {
    const clock = new FakeClock();
    const sandbox = new FakeSandbox();
    const spawner = new FakeSpawner(clock, program, { separate: true });
    const cell = await sandbox.prepare({ runId: 'r', files: [], command: ['./main'], env: {}, limits, allowNetwork: false, cols: 80, rows: 24 });
    const answer = await clock.run(runJudge({ clock, spawner, cell }, { commands, limits, spec: { tests, files: [], batch: true }, deadline: clock.now() + L.JUDGE_REQUEST_WALL_MS }, new AbortController().signal));
    return { answer, sandbox, spawner };
  }

  test('compiled once, under the compile budget, then every test runs the program', async () => {
    const { answer, sandbox, spawner } = await judged(async (io) => {
      if (io.request.file === '/usr/bin/gcc') {
        io.printErr('main.c:1: warning: unused\n');
        return 0;
      }
      io.print(`${await io.readLine()}\n`);
    }, [{ stdin: 'a', expectedOutput: 'a' }, { stdin: 'b', expectedOutput: 'b' }]);
    expect(answer).toMatchObject({ status: 'accepted', compileOutput: 'main.c:1: warning: unused\n' });
    expect(sandbox.metered.map((m) => [m.command[0], m.limits.memoryBytes])).toEqual([['/usr/bin/gcc', L.COMPILE_MEMORY_BYTES], ['./main', 256 * MiB], ['./main', 256 * MiB]]);
    expect(spawner.spawned).toHaveLength(3);
  });

  test('a failing compiler: compile_error with its output (cut at the compile cap), no test runs', async () => {
    const { answer, spawner } = await judged(async (io) => {
      io.print('x'.repeat(60));
      io.printErr('main.c:3: error: expected ;\n'.repeat(5));
      return 1;
    }, [{ stdin: 'a' }, { stdin: 'b' }]);
    expect(answer).toMatchObject({ status: 'compile_error', message: 'the compiler exited with code 1' });
    expect(answer.compileOutput).toHaveLength(100);
    expect(answer.compileOutput!.startsWith('x'.repeat(60) + 'main.c:3: error')).toBe(true);
    expect(answer.tests!.map((t) => t.status)).toEqual(['compile_error', 'compile_error']);
    expect(spawner.spawned).toHaveLength(1);
  });
});

describe('the API’s wait', () => {
  test('bounded by the tests’ wall limits and the margin, within the request budget', () => {
    const request = parseExecuteRequest({ language: 'python', code: 'x', limits: { timeoutMs: 2_000 }, tests: [{ stdin: '' }, { stdin: '' }] }, policy);
    expect(executeWaitMs(request)).toBe(2 * (2_000 + STOP_GRACE_MS) + L.JUDGE_WAIT_MARGIN_MS);
    const long = parseExecuteRequest({ language: 'python', code: 'x', tests: Array.from({ length: 50 }, () => ({ stdin: '' })) }, policy);
    expect(executeWaitMs(long)).toBe(L.JUDGE_REQUEST_WALL_MS + L.JUDGE_WAIT_MARGIN_MS);
  });

  test('no executor ever comes: 504 after the bound, and the run is cancelled with a kill record', async () => {
    const clock = new FakeClock();
    const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
    const runs = new MemoryStore({ bucket: 'runs', now: () => clock.now() });
    const api = { code, runs, clock, policy, randomBytes: (n: number) => Buffer.alloc(n, 1) };
    const request = parseExecuteRequest({ language: 'python', code: 'x', limits: { timeoutMs: 1_000 } }, policy);
    const started = clock.now();
    const id = await startExecution(api, request);
    const error = await clock.run(waitForAnswer(api, id, request, started).catch((err: unknown) => err));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 504, code: 'timeout' });
    expect(clock.now() - started).toBe(executeWaitMs(request));
    expect((await runs.get(keys.control(id))).data.toString()).toBe('{"t":"kill"}\n');
  });

  test('a run that ended without an answer (killed while queued) is answered from its status', async () => {
    const h = harness(doubler);
    const clock = h.clock;
    const request = parseExecuteRequest({ language: 'python', code: 'x', tests: [{ stdin: '1' }] }, policy);
    const code = new MemoryStore({ bucket: 'code', now: () => clock.now() });
    const api = { code, runs: h.runs, clock, policy, randomBytes: (n: number) => Buffer.alloc(n, 3) };
    const id = await startExecution(api, request);
    await h.runs.put(keys.status(id), JSON.stringify({ id, state: 'finished', executor: 'x', startedAt: '', heartbeatAt: '', result: { status: 'killed', exitCode: null, signal: null, wallMs: 0 } }));
    const answer = await clock.run(waitForAnswer(api, id, request, clock.now()));
    expect(answer).toMatchObject({ status: 'internal_error', message: 'the run was killed before it finished', tests: [{ status: 'internal_error' }] });
  });
});
