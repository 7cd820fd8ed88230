/**
 * `npm run cost -- --measured=<file>`: the bench's JSON is checked field by field, replaces the model's counts
 * where it has them, and the script (the built bundle, as `npm run cost` runs it) says what it got wrong.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { interactiveUsage, sessionPhases } from '../../bench/cost/interactiveUsage';
import { judgeUsage } from '../../bench/cost/judgeUsage';
import { isBenchReport, measuredFromBenchReport } from '../../bench/cost/benchReport';
import { parseMeasuredRequests, requestsOverWait, withMeasuredInteractive, withMeasuredJudge } from '../../bench/cost/measuredRequests';
import { requestTotals } from '../../bench/cost/runUsage';
import { JUDGE_HELLO, TYPICAL_SESSION } from '../../bench/cost/scenarios';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'dist/cost/index.js');
const LIFECYCLE = { runsLifecycleDays: 1, codeLifecycleDays: 7 };
const run = promisify(execFile);

describe('parseMeasuredRequests', () => {
  test('takes OSS and port operation names, plain counts (all billed) and sent/billed pairs', () => {
    const measured = parseMeasuredRequests({
      source: 'bench',
      perRun: { judge: { PutObject: 5, get: { sent: 20, billed: 12 }, GetObject: 1 } },
      perSecond: { waiting: { head: 0.5 } },
    });
    expect(measured).toEqual({
      source: 'bench',
      perRun: { judge: { PutObject: { sent: 5, billed: 5 }, GetObject: { sent: 21, billed: 13 } } },
      waiting: [[{ fromMs: 0, ops: { HeadObject: { sent: 0.5, billed: 0.5 } } }]],
    });
  });

  test.each([
    [[], 'expected a JSON object'],
    [{ perRun: { judge: { PutObjekt: 1 } } }, 'perRun.judge.PutObjekt: unknown operation'],
    [{ perRun: { judge: { PutObject: -1 } } }, 'perRun.judge.PutObject: expected a number >= 0'],
    [{ perRun: { judge: { GetObject: { sent: 1, billed: 2 } } } }, 'perRun.judge.GetObject.billed: more than sent'],
    [{ perRun: { jugde: {} } }, 'perRun.jugde: unknown field (known: judge, interactive)'],
    [{ perSecond: { idle: {} } }, 'perSecond.idle: unknown field'],
    [{ perSecond: { waiting: 3 } }, 'perSecond.waiting: expected an object of counts'],
    [{ runs: {} }, 'runs: unknown field'],
    [{ source: 1 }, 'source: expected a string'],
  ])('%j is refused naming the field', (json, message) => {
    expect(() => parseMeasuredRequests(json)).toThrow(message);
  });
});

/** The bench's JSON as `npm run bench -- --json=<file>` writes it (bench/report.ts, bench/storage.ts). */
function benchReport(column: string, executorWaits: Array<[string, number]>) {
  const figure = (name: string, unit: string, value: number | string) => ({ section: 'storage', name, unit, column, value });
  return {
    date: '2026-12-01T12:00:00.000Z',
    machine: '2 cores',
    figures: [
      { section: 'latency', name: 'first output', unit: 'ms', column, median: 40, p95: 50, samples: 10 },
      figure('judge hello world: API', 'requests', 'GET 7, PUT 1'),
      figure('judge hello world: executor', 'requests', 'GET 2, PUT 4'),
      figure('input session (3 lines): API', 'requests', 'GET 40, APPEND 3, PUT 1'),
      figure('input session (3 lines): executor', 'requests', 'GET 30, PUT 3, APPEND 4'),
      figure('while it sleeps: executor', 'requests/s', 1.9),
      figure('while it sleeps: API, one watching client', 'requests/s', 25),
      figure('while it computes: executor', 'requests/s', 1.8),
      figure('while it computes: API, one watching client', 'requests/s', 24),
      ...executorWaits.map(([window, r]) => figure(`while it waits for input, ${window}: executor`, 'requests/s', r)),
      figure('while it waits for input: API, one watching client', 'requests/s', 25),
    ],
    targets: [],
  };
}

describe('the bench’s JSON', () => {
  const waits: Array<[string, number]> = [
    ['0.5–3 s', 50],
    ['3.5–10 s', 20],
    ['10.5–13 s', 5],
  ];

  test('per-run counts by kind, rates while computing, and the wait’s rates step by step', () => {
    const json = { ...benchReport('local', waits), figures: [...benchReport('local', waits).figures, ...benchReport('cloud 5 ms', [['0.5–3 s', 40]]).figures] };
    expect(isBenchReport(json)).toBe(true);
    const measured = measuredFromBenchReport(json);
    expect(measured.source).toBe('npm run bench, cloud 5 ms, 2026-12-01T12:00:00.000Z, 2 cores');
    expect(measured.perRun.judge).toEqual({ GetObject: { sent: 9, billed: 9 }, PutObject: { sent: 5, billed: 5 } });
    expect(measured.perRun.interactive).toEqual({ GetObject: { sent: 70, billed: 70 }, AppendObject: { sent: 7, billed: 7 }, PutObject: { sent: 4, billed: 4 } });
    expect(measured.sleeping).toEqual({ GetObject: { sent: 1.8 + 24, billed: 1.8 + 24 } });
    const local = measuredFromBenchReport(json, 'local');
    // A 15 s wait: the executor's steps (the first from the wait's start), the API's rate throughout.
    expect(requestsOverWait(local.waiting!, 15_000).GetObject!.sent).toBeCloseTo(50 * 3.5 + 20 * 7 + 5 * 4.5 + 25 * 15);
  });

  test.each([
    [{ figures: [] }, undefined, 'figures: no storage figures'],
    [benchReport('local', waits), 'cloud 15 ms', 'column "cloud 15 ms": not in the file (it has local)'],
    [{ figures: [{ section: 'storage', column: 'local', name: 'judge hello world: API', value: 'GOT 3' }, { section: 'storage', column: 'local', name: 'judge hello world: executor', value: 'none' }] }, undefined, 'judge hello world: API]: cannot read "GOT 3"'],
    [{ figures: [{ section: 'storage', column: 'local', name: 'while it sleeps: executor', value: 'fast' }, { section: 'storage', column: 'local', name: 'while it sleeps: API, one watching client', value: 1 }] }, undefined, 'while it sleeps: executor]: expected requests a second'],
  ])('%j (column %s) is refused naming the figure', (json, column, message) => {
    expect(() => measuredFromBenchReport(json as { figures: unknown[] }, column)).toThrow(message);
  });
});

describe('stepped rates over a wait', () => {
  const steps = [
    { fromMs: 0, ops: { GetObject: { sent: 50, billed: 0 } } },
    { fromMs: 3_000, ops: { GetObject: { sent: 20, billed: 0 } } },
    { fromMs: 10_000, ops: { GetObject: { sent: 5, billed: 0 } } },
  ];
  test.each([
    [2_000, 100],
    [3_000, 150],
    [15_000, 50 * 3 + 20 * 7 + 5 * 5],
  ])('a %d ms wait sends %d', (waitMs, requests) => {
    expect(requestsOverWait([steps], waitMs).GetObject!.sent).toBeCloseTo(requests);
  });
});

describe('measured counts replace the model’s', () => {
  test('a judge run: exactly the measured requests', () => {
    const usage = withMeasuredJudge(judgeUsage(JUDGE_HELLO, LIFECYCLE), parseMeasuredRequests({ perRun: { judge: { PutObject: 6, GetObject: { sent: 30, billed: 10 } } } }));
    expect(requestTotals(usage, 'put')).toEqual({ sent: 6, billed: 6 });
    expect(requestTotals(usage, 'get')).toEqual({ sent: 30, billed: 10 });
  });

  test('an interactive run: per run, plus the rates over the phases, plus the modelled output appends', () => {
    const modelled = interactiveUsage(TYPICAL_SESSION, LIFECYCLE);
    const phases = sessionPhases(TYPICAL_SESSION);
    const measured = parseMeasuredRequests({ perRun: { interactive: { PutObject: 4 } }, perSecond: { waiting: { GetObject: 10 }, sleeping: { GetObject: 2 } } });
    const usage = withMeasuredInteractive(modelled, measured, phases);
    const appends = modelled.requests.find((r) => r.what === 'output appends')!.sent;
    expect(requestTotals(usage, 'put').sent).toBe(4 + appends);
    expect(requestTotals(usage, 'get').sent).toBeCloseTo((10 * phases.waitingMs + 2 * phases.busyMs) / 1000);
  });

  test('an interactive run stays modelled without all three parts', () => {
    const modelled = interactiveUsage(TYPICAL_SESSION, LIFECYCLE);
    const usage = withMeasuredInteractive(modelled, parseMeasuredRequests({ perSecond: { waiting: { GetObject: 10 } } }), sessionPhases(TYPICAL_SESSION));
    expect(usage).toBe(modelled);
  });
});

describe('npm run cost (the built script)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('prints every run kind, the seed, the prices’ sources and dates', async () => {
    const { stdout } = await run('node', [SCRIPT], { cwd: ROOT });
    for (const label of ['pocketrun: interactive', 'seed: interactive', 'pocketrun: judge', '¥ / 1000 runs', 'read 2026-', 'https://help.aliyun.com/en/oss/storage-fees', 'ASSUMPTION']) {
      expect(stdout).toContain(label);
    }
  });

  test('uses a measured file and says so', async () => {
    const file = path.join(dir, 'bench.json');
    fs.writeFileSync(file, JSON.stringify({ source: 'a bench run', perRun: { judge: { PutObject: 9 } } }));
    const { stdout } = await run('node', [SCRIPT, `--measured=${file}`], { cwd: ROOT });
    expect(stdout).toContain('storage requests measured (a bench run)');
    expect(stdout).toMatch(/\| pocketrun: judge[^\n]*\| +9 of 9 \|/);
  });

  test('reads the bench’s own JSON', async () => {
    const file = path.join(dir, 'bench-report.json');
    fs.writeFileSync(file, JSON.stringify(benchReport('local', [['0.5–3 s', 50]])));
    const { stdout } = await run('node', [SCRIPT, `--measured=${file}`, '--column=local'], { cwd: ROOT });
    expect(stdout).toContain('npm run bench, local, 2026-12-01T12:00:00.000Z, 2 cores');
    expect(stdout).toMatch(/\| pocketrun: judge[^\n]*\| +5 of 5 \| +9 of 9 \|/);
  });

  test.each([
    [['--column=local'], '--column: only with --measured'],
    [['--measured=/nonexistent/bench.json'], '--measured=/nonexistent/bench.json: ENOENT'],
    [['--stack=nope'], '--stack=nope: no '],
    [['--frobnicate'], '--frobnicate: unknown argument'],
  ])('%j exits 2 naming what is wrong', async (args, message) => {
    const failed = await run('node', [SCRIPT, ...args], { cwd: ROOT }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain(message);
  });

  test('a measured file with a bad field exits 2 naming the field', async () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ perRun: { judge: { PutObjekt: 1 } } }));
    const failed = await run('node', [SCRIPT, `--measured=${file}`], { cwd: ROOT }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain('perRun.judge.PutObjekt: unknown operation');
  });
});
