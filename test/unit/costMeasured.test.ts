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
import { parseMeasuredRequests, withMeasuredInteractive, withMeasuredJudge } from '../../bench/cost/measuredRequests';
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
      perSecond: { waiting: { HeadObject: { sent: 0.5, billed: 0.5 } } },
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

  test.each([
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
