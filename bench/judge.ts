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
import { sampleRss, treeCpuMs } from './procStatus';
import type { Section } from './section';
import { now } from './stats';

async function judge(base: string, language: string, code: string): Promise<number> {
  const started = now();
  const answer = await json(`${base}/api/execute`, { method: 'POST', body: JSON.stringify({ language, code }) });
  if (answer.status !== 'ok') throw new Error(`judge ${language}: ${JSON.stringify(answer).slice(0, 300)}`);
  return now() - started;
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
          py.push(await judge(base, 'python', PY_HELLO));
          bareCs.push(await bareC(scratch));
          c.push(await judge(base, 'c', C_HELLO));
        }
      } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
      }
      const floorPy = report.samples('judge', column, 'python hello world, bare python3 (the floor)', 'ms', barePy).median;
      const python = report.samples('judge', column, 'python hello world', 'ms', py);
      const floorC = report.samples('judge', column, 'c hello world, bare gcc + run (the floor)', 'ms', bareCs).median;
      const compiled = report.samples('judge', column, 'c hello world (gcc + run)', 'ms', c);
      const bareRate = await rate(throughputRequests, barePython);
      report.value('judge', column, `throughput, ${CLIENTS} at once, bare python3 (the floor)`, 'runs/s', bareRate);
      const platform = sampleRss(() => [target.apiPid, ...target.executorPids()]);
      const cpuBefore = treeCpuMs(target.executorPids());
      const throughput = await rate(throughputRequests, () => judge(base, 'python', PY_HELLO));
      const cpuPerRun = (treeCpuMs(target.executorPids()) - cpuBefore) / throughputRequests;
      const peak = platform.stop();
      // CPU time is what the cores' throughput is made of, and robust to other work on the machine, unlike latencies.
      report.value('judge', column, 'CPU per python hello world under the load: the executor with all it starts (program, wrappers, clean-up)', 'ms', cpuPerRun);
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
