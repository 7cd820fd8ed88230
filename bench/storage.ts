/**
 * What the protocol costs in storage: requests per run by type (an interactive hello world watched by a client, an
 * input session, a judge run), requests per second while a program sleeps, computes, or waits for input (the
 * executor's, and the API's for one watching client), and bytes written per byte of output.
 */
import type { RequestKind } from '../adapters/storage/countRequests';
import { CONTROL_POLL_WAITING_STEPS, HEARTBEAT_INTERVAL_MS } from '../core/limits';
import { requestsOf, type BenchTarget, type StorageRecord } from './benchTarget';
import { createRun, json, sendInput, Watcher } from './client';
import { PY_HELLO } from './floor';
import type { Report } from './report';
import type { Section } from './section';
import { sleep } from './stats';

const KINDS: RequestKind[] = ['GET', 'PUT', 'APPEND', 'HEAD', 'LIST', 'DELETE'];
/** Long enough for two heartbeats (HEARTBEAT_INTERVAL_MS, core/limits.ts) inside the measured window. */
const BUSY_S = 11;
/** Long enough to see each step of CONTROL_POLL_WAITING_STEPS (core/limits.ts). */
const WAIT_S = 13;
const WAIT_WINDOWS: Array<[string, number, number]> = [
  ['0.5–3 s', 0.5, 3],
  ['3.5–10 s', 3.5, 10],
  ['10.5–13 s', 10.5, 13],
];
const MEGABYTE_PROGRAM = "import sys\nsys.stdout.write(('x' * 1023 + '\\n') * 1000)";

function byKind(records: StorageRecord[], who: StorageRecord['who']): string {
  const mine = records.filter((r) => r.who === who);
  return KINDS.map((k) => [k, mine.filter((r) => r.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';
}

function perRun(report: Report, target: BenchTarget, name: string, records: StorageRecord[]): void {
  report.value('storage', target.label, `${name}: API`, 'requests', byKind(records, 'api'));
  report.value('storage', target.label, `${name}: executor`, 'requests', byKind(records, 'executor'));
}

/** Requests a second of `who` for run `id` between `from` and `to` ms after `origin` (Date.now()). */
function rateOf(target: BenchTarget, id: string, who: StorageRecord['who'], origin: number, from: number, to: number): number {
  const n = requestsOf(target, id).filter((r) => r.who === who && r.at >= origin + from && r.at < origin + to).length;
  return (n * 1000) / (to - from);
}

export const storageSection: Section = {
  name: 'storage',
  async run({ target, report }) {
    const base = target.url;
    const column = target.label;

    // Per run, by type.
    const hello = await createRun(base, PY_HELLO);
    await new Watcher(base, hello).finish();
    await sleep(200);
    perRun(report, target, 'hello world, watched', requestsOf(target, hello));
    const session = await createRun(base, "for i in range(3):\n    print('got', input('? '))");
    const watcher = new Watcher(base, session);
    for (let i = 0; i < 3; i++) {
      await watcher.until((text) => text.split('? ').length - 1 > i);
      await sleep(300);
      await sendInput(base, session, `line ${i}\n`);
    }
    await watcher.finish();
    await sleep(200);
    perRun(report, target, 'input session (3 lines)', requestsOf(target, session));
    const judgeFrom = Date.now();
    await json(`${base}/api/execute`, { method: 'POST', body: JSON.stringify({ language: 'python', code: PY_HELLO }) });
    await sleep(200);
    const judgeManifest = target.requests().find((r) => r.at >= judgeFrom && r.kind === 'PUT' && r.key.startsWith('manifests/'));
    if (judgeManifest) perRun(report, target, 'judge hello world', requestsOf(target, judgeManifest.key.slice('manifests/'.length, -'.json'.length), judgeFrom));

    // While a program sleeps or computes (side by side, one executor each), each watched by a client.
    const busy: Array<[string, string]> = [
      ['sleeps', `import time\ntime.sleep(${BUSY_S})`],
      ['computes', `import time\nt = time.time()\nwhile time.time() - t < ${BUSY_S}: pass`],
    ];
    const origin = Date.now();
    const ids = await Promise.all(busy.map(([, code]) => createRun(base, code)));
    await Promise.all(ids.map((id) => new Watcher(base, id).finish()));
    let worst = 0;
    busy.forEach(([name], i) => {
      const executor = rateOf(target, ids[i], 'executor', origin, 500, BUSY_S * 1000);
      worst = Math.max(worst, executor);
      report.value('storage', column, `while it ${name}: executor`, 'requests/s', executor);
      report.value('storage', column, `while it ${name}: API, one watching client`, 'requests/s', rateOf(target, ids[i], 'api', origin, 500, BUSY_S * 1000));
    });
    report.target(column, 'storage requests/s while a program sleeps or computes (executor)', worst, '<=', 2, 'requests/s');

    // While it waits for input: the rate falls as the wait goes on (core/limits.ts CONTROL_POLL_WAITING_STEPS).
    const waitOrigin = Date.now();
    const waiting = await createRun(base, 'input()');
    const waitWatcher = new Watcher(base, waiting);
    const watched = waitWatcher.finish(WAIT_S * 1000 + 30_000);
    await sleep(WAIT_S * 1000);
    await sendInput(base, waiting, '\n');
    await watched;
    for (const [window, from, to] of WAIT_WINDOWS) {
      const rate = rateOf(target, waiting, 'executor', waitOrigin, from * 1000, to * 1000);
      report.value('storage', column, `while it waits for input, ${window}: executor`, 'requests/s', rate);
      // The stated bound: the control poll rate of the step the window lies in, and the heartbeat.
      const step = CONTROL_POLL_WAITING_STEPS.find((s) => from * 1000 < s.untilMs)!;
      report.target(column, `storage requests/s while a program waits for input, ${window} (executor)`, rate, '<=', 1000 / step.everyMs + 1000 / HEARTBEAT_INTERVAL_MS, 'requests/s');
    }
    report.value('storage', column, 'while it waits for input: API, one watching client', 'requests/s', rateOf(target, waiting, 'api', waitOrigin, 1_000, WAIT_S * 1000));

    // Bytes written per byte of output: every PUT and APPEND body of the run, the API's and the executor's.
    const big = await createRun(base, MEGABYTE_PROGRAM);
    const bigWatcher = new Watcher(base, big);
    await bigWatcher.finish();
    await sleep(200);
    const written = requestsOf(target, big).reduce((sum, r) => sum + r.bytes, 0);
    const ratio = written / Buffer.byteLength(bigWatcher.text);
    report.value('storage', column, 'bytes written per byte of output (~1 MB printed)', 'ratio', ratio);
    report.target(column, 'bytes written per byte of output', ratio, '<=', 1.05, '×');
  },
};
