/**
 * Judge mode (`POST /api/execute`): hello world in Python and in C against the bare interpreter and gcc + the binary,
 * and throughput with CLIENTS concurrent clients against the bare spawn rate; the API's and the platform's peak RSS
 * are sampled meanwhile (the load of the bench).
 */
import { json } from './client';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bareC, barePython, CLIENTS, C_HELLO, PY_HELLO, rate } from './floor';
import { cpuMs, machineCpuMs, sampleRss, treeCpuMs } from './procStatus';
import type { Section } from './section';
import { now } from './stats';

interface Judged {
  ms: number;
  /** The program's CPU as the answer gives it (the run head's rusage of its tree: the interpreter, and bwrap where used). */
  programCpuMs: number;
}

async function judge(base: string, language: string, code: string): Promise<Judged> {
  const started = now();
  const answer = await json(`${base}/api/execute`, { method: 'POST', body: JSON.stringify({ language, code }) });
  if (answer.status !== 'ok') throw new Error(`judge ${language}: ${JSON.stringify(answer).slice(0, 300)}`);
  return { ms: now() - started, programCpuMs: typeof answer.cpuMs === 'number' ? answer.cpuMs : NaN };
}

/** Own CPU of each of `pids` now (cpuMs), to subtract later: processes started since count from zero. */
function ownCpuOf(pids: number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, cpuMs(pid)]));
}

function ownCpuSince(before: Map<number, number>, pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMs(pid) - (before.get(pid) ?? 0), 0);
}

/** One side of the throughput comparison, summed over its blocks: runs, time, and CPU measured around each block. */
interface Side {
  runs: number;
  ms: number;
  machineMs: number;
  treeMs: number;
  ownMs: number;
  apiMs: number;
  /** The programs' own CPU as the answers give it (pocketrun's side). */
  programMs: number;
}

const emptySide = (): Side => ({ runs: 0, ms: 0, machineMs: 0, treeMs: 0, ownMs: 0, apiMs: 0, programMs: 0 });

/** `runs` of `one` with CLIENTS at once, added to `side`; `one` resolves the program's CPU where it knows it. */
async function measureBlock(side: Side, runs: number, target: { apiPid: number; executorPids(): number[] }, one: () => Promise<number>): Promise<void> {
  const tree = treeCpuMs(target.executorPids());
  const own = ownCpuOf(target.executorPids());
  const api = cpuMs(target.apiPid);
  const machine = machineCpuMs();
  const started = now();
  await rate(runs, async () => {
    // Read after the await: `side.programMs += await …` would add to the value from before it, losing the others'.
    const programMs = await one();
    side.programMs += programMs;
  });
  side.ms += now() - started;
  side.runs += runs;
  side.machineMs += machineCpuMs() - machine;
  side.treeMs += treeCpuMs(target.executorPids()) - tree;
  side.ownMs += ownCpuSince(own, target.executorPids());
  side.apiMs += cpuMs(target.apiPid) - api;
}

export function judgeSection(throughputRequests: number): Section {
  return {
    name: 'judge',
    async run({ target, report, rounds }) {
      const base = target.url;
      const column = target.label;
      const barePy: number[] = [];
      const bareCs: number[] = [];
      const py: number[] = [];
      const c: number[] = [];
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-bench-c-'));
      try {
        for (let i = 0; i < rounds; i++) {
          barePy.push(await barePython());
          py.push((await judge(base, 'python', PY_HELLO)).ms);
          bareCs.push(await bareC(scratch));
          c.push((await judge(base, 'c', C_HELLO)).ms);
        }
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
      const floorPy = report.samples('judge', column, 'python hello world, bare python3 (the floor)', 'ms', barePy).median;
      const python = report.samples('judge', column, 'python hello world', 'ms', py);
      const floorC = report.samples('judge', column, 'c hello world, bare gcc + run (the floor)', 'ms', bareCs).median;
      const compiled = report.samples('judge', column, 'c hello world (gcc + run)', 'ms', c);
      // The bare spawn rate and pocketrun's, in alternating blocks (bare, pocketrun, pocketrun, bare): each side sees
      // the same load from the rest of the machine, which comes and goes over a bench (one side measured after the
      // other moved the ratio by half), and a steady drift cancels out.
      const half = Math.max(CLIENTS, Math.round(throughputRequests / 2));
      const bare = emptySide();
      const ours = emptySide();
      const platform = sampleRss(() => [target.apiPid, ...target.executorPids()]);
      for (const side of [bare, ours, ours, bare]) {
        await measureBlock(side, half, target, side === bare ? () => barePython().then(() => 0) : () => judge(base, 'python', PY_HELLO).then((j) => j.programCpuMs));
      }
      const bareRate = (bare.runs / bare.ms) * 1000;
      const throughput = (ours.runs / ours.ms) * 1000;
      report.value('judge', column, `throughput, ${CLIENTS} at once, bare python3 (the floor)`, 'runs/s', bareRate);
      const n = ours.runs;
      const bareCpu = bare.machineMs / bare.runs;
      const machineCpu = ours.machineMs / n;
      const treeCpu = ours.treeMs / n;
      const ownCpu = ours.ownMs / n;
      const apiCpu = ours.apiMs / n;
      const programCpu = ours.programMs / n;
      const peak = platform.stop();
      // CPU time is what the cores' throughput is made of, and robust to other work on the machine, unlike latencies:
      // where a judge run's CPU goes, next to the bare run's, says what bounds the throughput (README, Bench).
      const load = 'CPU per python hello world under the load';
      report.value('judge', column, `${load}, whole machine: bare python3 (the floor)`, 'ms', bareCpu);
      report.value('judge', column, `${load}, whole machine`, 'ms', machineCpu);
      report.value('judge', column, `${load}: the executor with all it starts (program, wrappers, clean-up)`, 'ms', treeCpu);
      report.value('judge', column, `${load}: of that, the program as judged (its tree under the run head: python3, and bwrap where used)`, 'ms', programCpu);
      report.value('judge', column, `${load}: of that, the executor processes' own (node)`, 'ms', ownCpu);
      report.value('judge', column, `${load}: of that, the rest (spawn prelude and run head, slot clean-up)`, 'ms', treeCpu - programCpu - ownCpu);
      report.value('judge', column, `${load}: ${target.mode === 'local' ? 'the platform process (API, trigger and the bench\'s clients)' : 'the API process'}`, 'ms', apiCpu);
      const cores = os.availableParallelism();
      report.value('judge', column, `throughput the cores allow at the whole machine's CPU per run (${cores} × 1000 ÷ it): bare python3`, 'runs/s', (cores * 1000) / bareCpu);
      report.value('judge', column, `throughput the cores allow at the whole machine's CPU per run (${cores} × 1000 ÷ it): pocketrun`, 'runs/s', (cores * 1000) / machineCpu);
      // The bound the sandbox alone sets: if nothing but the sandboxed program (bwrap, namespaces, cgroup and the
      // interpreter, as the kernel charged them to its tree) cost CPU, the throughput could reach this share of the bare rate.
      report.value('judge', column, 'bare rate share the sandboxed program alone allows (bare CPU per run ÷ the program as judged)', '×', bareCpu / programCpu);
      report.value('judge', column, `throughput, ${CLIENTS} at once, ${target.executors} executor instances`, 'runs/s', throughput);
      report.value('resources', column, `platform peak RSS under load (API + ${target.executors} executors, programs aside)`, 'MiB', peak);
      if (target.mode === 'local') {
        report.target(column, 'judge python − floor', python.median - floorPy, '<=', 30, 'ms');
        report.target(column, 'judge c − floor', compiled.median - floorC, '<=', 30, 'ms');
        report.target(column, 'judge throughput / bare spawn rate', throughput / bareRate, '>=', 0.7, '×');
      }
    },
  };
}
