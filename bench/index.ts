/**
 * `npm run bench`: pocketrun next to the bare thing, measured side by side in one run on this machine, against the
 * local platform and against the simulated cloud (both function bundles with STORE=oss over OSS-speaking servers
 * that add a round trip to every request, and a trigger delay: bench/cloudTarget.ts). Every figure of issue 12 and
 * each target as met or not; nothing is asserted (benchmarks, not tests).
 *
 *   npm run bench                          local, then the cloud at 5 and at 15 ms a request, a 50 ms trigger
 *   npm run bench -- --local | --cloud     one of them
 *   npm run bench -- --latency=5,15 --trigger=50 --rounds=9
 *   npm run bench -- --json[=file]         also a machine-readable copy (one JSON line on stdout, or the file)
 *   npm run bench -- --isolation=uid       the sandbox's isolation (auto, bwrap, uid): uid is FC's, which has no bwrap
 * Environment: BENCH_MODE (local, cloud, both), BENCH_ISOLATION, BENCH_LATENCY_MS, BENCH_TRIGGER_MS, BENCH_ROUNDS, BENCH_JSON (1 or
 * a file), BENCH_THROUGHPUT_REQUESTS, BENCH_EXECUTORS; BENCH_TRACE=n prints the storage requests of the first n
 * runs of each latency path on a time line, and the executors' peak RSS after each section; BENCH_LOG=file keeps
 * the simulated cloud's function log records there (what an outlier's executor was doing).
 */
import * as fs from 'fs';
import * as os from 'os';
import { CLOUD_TARGET_SETTING, DEFAULT_LATENCIES_MS, type BenchTarget } from './benchTarget';
import { startCloudTarget } from './cloudTarget';
import { createRun, json, Watcher } from './client';
import { CLIENTS, C_HELLO, PY_HELLO } from './floor';
import { judgeSection } from './judge';
import { latencySection } from './latency';
import { startLocalTarget } from './localTarget';
import { rssMiB, treeCpuMs } from './procStatus';
import { Report } from './report';
import { resourcesSection } from './resources';
import type { Section } from './section';
import { benchScale } from './scale';
import { storageSection } from './storage';

function option(name: string, envName: string): string | undefined {
  const arg = process.argv.slice(2).find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (arg) return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : '1';
  return process.env[envName];
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a number, got ${JSON.stringify(text)}`);
  return n;
}

const flags = process.argv.slice(2);
const mode = flags.includes('--cloud') ? 'cloud' : flags.includes('--local') ? 'local' : (process.env.BENCH_MODE ?? 'both');
if (!['local', 'cloud', 'both'].includes(mode)) throw new Error(`BENCH_MODE: expected local, cloud or both, got ${JSON.stringify(mode)}`);
const latencies = (option('latency', 'BENCH_LATENCY_MS') ?? DEFAULT_LATENCIES_MS.join(',')).split(',').map((l) => positive('latency', l, CLOUD_TARGET_SETTING.latencyMs));
const triggerDelayMs = positive('trigger', option('trigger', 'BENCH_TRIGGER_MS'), CLOUD_TARGET_SETTING.triggerDelayMs);
const rounds = Math.max(1, Math.round(positive('rounds', option('rounds', 'BENCH_ROUNDS'), 11)));
const throughputRequests = Math.max(8, Math.round(positive('BENCH_THROUGHPUT_REQUESTS', process.env.BENCH_THROUGHPUT_REQUESTS, 48)));
// One executor instance per judge client by default: FC gives each run an instance of its own, so the throughput row
// measures what the cores allow, not runs queueing behind two instances (the latency rows are sequential either way).
const executors = Math.max(2, Math.round(positive('BENCH_EXECUTORS', process.env.BENCH_EXECUTORS, CLIENTS)));
const jsonOut = option('json', 'BENCH_JSON');
const ISOLATIONS = ['auto', 'bwrap', 'uid'] as const;
const isolationOption = ((text: string): (typeof ISOLATIONS)[number] => {
  const found = ISOLATIONS.find((i) => i === text);
  if (!found) throw new Error(`isolation: expected ${ISOLATIONS.join(', ')}, got ${JSON.stringify(text)}`);
  return found;
})(option('isolation', 'BENCH_ISOLATION') ?? 'auto');

/**
 * The bench's parts, run in this order against each target. The scale rows (issue 12 §4: a classroom of interactive
 * users, 200 runs at once, 1 000 judge submissions) follow them (bench/scale.ts, below).
 */
const sections: Section[] = [latencySection, judgeSection(throughputRequests), storageSection, resourcesSection];

/**
 * Every executor instance runs each kind of run once before anything is measured: its runtime probe is through and
 * the first compile's caches are warm, as on any instance past its first minute.
 */
async function warmUp(target: BenchTarget): Promise<void> {
  const each = Array.from({ length: target.executors });
  await Promise.all(each.map(async () => new Watcher(target.url, await createRun(target.url, PY_HELLO)).finish()));
  for (const [language, code] of [['python', PY_HELLO], ['c', C_HELLO]]) {
    await Promise.all(each.map(() => json(`${target.url}/api/execute`, { method: 'POST', body: JSON.stringify({ language, code }) })));
  }
  await executorsQuiet(target);
}

/**
 * Waits until the executors and all they started have used under QUIET_CPU_MS of CPU for QUIET_MS (at most
 * QUIET_LIMIT_MS): idle after the warm-up, fresh instances probe every runtime of the host for GET /api/runtimes
 * (handlers/runtimesReport.ts; in the simulated cloud each of them, as FC's instances would, with no host facts to
 * share), which is start-up work, not the latency of a run on an instance past its first minute.
 */
const QUIET_MS = 1_000;
const QUIET_CPU_MS = 30;
const QUIET_LIMIT_MS = 30_000;
async function executorsQuiet(target: BenchTarget): Promise<void> {
  const deadline = Date.now() + QUIET_LIMIT_MS;
  let before = treeCpuMs(target.executorPids());
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    const after = treeCpuMs(target.executorPids());
    if (after - before < QUIET_CPU_MS) return;
    before = after;
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the bench starts executors, which run programs as other uids: run it as root');
  const report = new Report();
  const started = Date.now();
  const targets: Array<() => Promise<BenchTarget>> = [];
  // What the first target probed (auto) is what the others get, so every column runs the same way.
  let isolation: string = isolationOption;
  if (mode !== 'cloud') targets.push(async () => startLocalTarget(executors, isolationOption));
  if (mode !== 'local') {
    for (const latencyMs of latencies) targets.push(async () => startCloudTarget({ latencyMs, triggerDelayMs, executors, isolation }));
  }
  for (const start of targets) {
    const target = await start();
    isolation = target.isolation;
    try {
      await warmUp(target);
      for (const section of sections) {
        if (section.modes && !section.modes.includes(target.mode)) continue;
        await section.run({ target, report, rounds });
        if (process.env.BENCH_TRACE) console.error(`after ${section.name} on ${target.label}: executor VmHWM ${target.executorPids().map((pid) => rssMiB(pid, 'VmHWM').toFixed(1)).join(', ')} MiB`);
      }
    } finally {
      await target.stop();
    }
  }
  const cpu = os.cpus();
  const meta = {
    date: new Date(started).toISOString(),
    machine: `${cpu.length} cores (${cpu[0]?.model ?? 'cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${os.release()}`,
    isolation,
    rounds,
    executors,
    triggerDelayMs,
    latenciesMs: mode === 'local' ? [] : latencies,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  report.print(
    `pocketrun bench ${meta.date.slice(0, 16)}Z, ${meta.machine}, isolation ${isolation}, ${rounds} rounds, ${executors} executors, ` +
      `trigger ${triggerDelayMs} ms in the cloud; cells: median / p95, or one figure; took ${meta.seconds} s`,
  );
  if (jsonOut === '1') console.log(report.json(meta));
  else if (jsonOut) fs.writeFileSync(jsonOut, report.json(meta, 1) + '\n');
}

// The scale scenarios (bench/scale.ts: a classroom, 200 runs at once, 1 000 judge submissions) start platforms of their
// own, so they run after the targets above, on the local platform only; BENCH_SCALE=0 leaves them out.
main()
  .then(() => (process.env.BENCH_SCALE === '0' || mode === 'cloud' ? undefined : benchScale()))
  .then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
