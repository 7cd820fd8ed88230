/**
 * The local platform under a crowd (issue 12 §4), three scenarios, each on a fresh platform with the default pool
 * (local/settings.ts: a minimum warm, one spare ahead, scaling up to the memory-bound maximum):
 * - classroom: 40 users start a program at once; each sees its prompt, answers 2 s later. Target: every user sees
 *   the prompt within 5 s of pressing Run.
 * - crowd: 200 interactive runs started at once, each printing 100 lines around one prompt answered at once.
 *   Target: every one completes with its full output, none lost; the memory stays within the pool's budget
 *   (EXECUTORS_MAX × EXECUTOR_MEMORY_MIB, beside the platform process itself). Reports the completion time and the
 *   peak RSS of the platform process and of all its processes together.
 * - judge: 1 000 `POST /api/execute` from 32 concurrent clients, one in ten expecting a wrong answer. Target: every
 *   one answered with the right verdict. Reports throughput and p99 latency.
 * And the executor instances' cold start (process start → listening for `/invoke`, → runtime probe done).
 * Nothing is asserted: each figure is printed with its target, met or NOT MET.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from '../local/platform';
import { DEFAULT_EXECUTOR_MEMORY_MIB } from '../local/settings';

export interface ScaleFigure {
  scenario: string;
  figure: string;
  /** The figure as printed, unit included. */
  value: string;
  target: string;
  met: boolean;
}

const CLASSROOM_USERS = Number(process.env.BENCH_CLASSROOM_USERS ?? 40);
const CLASSROOM_ANSWER_AFTER_MS = 2_000;
const CLASSROOM_PROMPT_TARGET_MS = 5_000;
const CROWD_RUNS = Number(process.env.BENCH_CROWD_RUNS ?? 200);
const CROWD_LINES = 100;
const JUDGE_SUBMISSIONS = Number(process.env.BENCH_JUDGE_SUBMISSIONS ?? 1_000);
const JUDGE_CLIENTS = 32;
const MiB = 1024 * 1024;

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

async function api(base: string, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** One interactive run as a client sees it: output read by long poll from offset 0. */
class Watcher {
  text = '';
  offset = 0;
  finished = false;
  result: { status: string } | undefined;
  constructor(
    private readonly base: string,
    readonly id: string,
  ) {}

  /** Long-polls until `until(text)` holds or the run finished. */
  async readUntil(until: (text: string) => boolean): Promise<void> {
    while (!until(this.text) && !this.finished) {
      const chunk = await api(this.base, 'GET', `/api/runs/${this.id}/output?offset=${this.offset}&waitMs=20000`);
      this.text += chunk.data;
      this.offset = chunk.offset;
      if (chunk.eof) {
        this.finished = true;
        this.result = chunk.result;
      }
    }
  }
}

/** Peak resident memory of this process and of every process under it (executors and their programs). */
class RssSampler {
  selfPeak = 0;
  treePeak = 0;
  private timer: NodeJS.Timeout;
  constructor(intervalMs = 200) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const parent = new Map<number, number>();
    const rss = new Map<number, number>();
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        parent.set(Number(name), Number(fields[1]));
        // Field 24 of stat (rss, in pages), counted from after the command.
        rss.set(Number(name), Number(fields[21]) * 4096);
      } catch {
        // gone meanwhile
      }
    }
    const inTree = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === process.pid) return true;
      return false;
    };
    let tree = 0;
    for (const [pid, bytes] of rss) if (inTree(pid)) tree += bytes;
    this.selfPeak = Math.max(this.selfPeak, rss.get(process.pid) ?? 0);
    this.treePeak = Math.max(this.treePeak, tree);
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

async function withPlatform<T>(options: LocalPlatformOptions, body: (platform: LocalPlatform) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-bench-scale-'));
  const platform = await startLocalPlatform({ port: 0, dataDir, ...options });
  try {
    return await body(platform);
  } finally {
    await platform.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function poolLine(platform: LocalPlatform): string {
  const { stats, settings } = platform.pool;
  return `isolation ${platform.isolation}, pool: ${stats.starts} instance starts (${stats.failedStarts} failed), peak ${stats.peak} of max ${settings.max}`;
}

async function classroom(platform: LocalPlatform, scenario: string): Promise<ScaleFigure[]> {
  const code = "name = input('your name? ')\nprint('hello', name)";
  const users = await Promise.all(
    Array.from({ length: CLASSROOM_USERS }, async (_, i) => {
      const pressed = now();
      let promptMs = Infinity;
      try {
        const { id } = await api(platform.url, 'POST', '/api/runs', { code });
        const run = new Watcher(platform.url, id);
        await run.readUntil((t) => t.includes('your name? '));
        if (run.text.includes('your name? ')) promptMs = now() - pressed;
        await sleep(CLASSROOM_ANSWER_AFTER_MS);
        await api(platform.url, 'POST', `/api/runs/${id}/input`, { data: `user${i}\n` });
        await run.readUntil(() => false);
        return { promptMs, ok: run.result?.status === 'ok' && run.text.includes(`hello user${i}`) };
      } catch (err) {
        console.log(`  ${scenario}: user ${i}: ${err instanceof Error ? err.message : String(err)}`);
        return { promptMs, ok: false };
      }
    }),
  );
  const prompts = users.map((u) => u.promptMs);
  const last = Math.max(...prompts);
  const complete = users.filter((u) => u.ok).length;
  console.log(`  ${scenario}: ${CLASSROOM_USERS} users, prompt after median ${quantile(prompts, 0.5).toFixed(0)} ms, last ${last.toFixed(0)} ms; ${complete} answered runs complete; ${poolLine(platform)}`);
  return [
    { scenario, figure: `last of ${CLASSROOM_USERS} users sees the prompt`, value: `${(last / 1000).toFixed(2)} s`, target: `<= ${CLASSROOM_PROMPT_TARGET_MS / 1000} s`, met: last <= CLASSROOM_PROMPT_TARGET_MS },
    { scenario, figure: 'runs complete', value: `${complete}/${CLASSROOM_USERS}`, target: 'all', met: complete === CLASSROOM_USERS },
  ];
}

async function crowd(platform: LocalPlatform): Promise<ScaleFigure[]> {
  const code = [`for i in range(${CROWD_LINES / 2}): print('line', i)`, "x = input('go? ')", `for i in range(${CROWD_LINES / 2}, ${CROWD_LINES}): print('line', i)`, "print('done', x)"].join('\n');
  const expected = Array.from({ length: CROWD_LINES }, (_, i) => `line ${i}\r\n`);
  const sampler = new RssSampler();
  const started = now();
  // One client: the prompt answered as soon as seen; every line, in order, and the answer: nothing lost, nothing doubled.
  const crowdRun = async (i: number): Promise<boolean> => {
    const { id } = await api(platform.url, 'POST', '/api/runs', { code });
    const run = new Watcher(platform.url, id);
    await run.readUntil((t) => t.includes('go? '));
    await api(platform.url, 'POST', `/api/runs/${id}/input`, { data: `r${i}\n` });
    await run.readUntil(() => false);
    let at = 0;
    for (const line of expected) {
      at = run.text.indexOf(line, at);
      if (at < 0) return false;
    }
    return run.result?.status === 'ok' && run.text.split('line 0\r\n').length === 2 && run.text.includes(`done r${i}\r\n`);
  };
  const runs = await Promise.all(
    Array.from({ length: CROWD_RUNS }, (_, i) =>
      crowdRun(i).catch((err: unknown) => {
        console.log(`  crowd: run ${i}: ${err instanceof Error ? err.message : String(err)}`);
        return false;
      }),
    ),
  );
  const seconds = (now() - started) / 1000;
  sampler.stop();
  const complete = runs.filter(Boolean).length;
  const budget = platform.pool.settings.max * DEFAULT_EXECUTOR_MEMORY_MIB * MiB;
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
  console.log(
    `  crowd: ${CROWD_RUNS} interactive runs, all done in ${seconds.toFixed(1)} s; ${complete} complete with their full output; peak RSS platform ${mib(sampler.selfPeak)}, all its processes ${mib(sampler.treePeak)}; ${poolLine(platform)}`,
  );
  return [
    { scenario: 'crowd', figure: `runs complete with full output (in ${seconds.toFixed(1)} s)`, value: `${complete}/${CROWD_RUNS}`, target: 'all', met: complete === CROWD_RUNS },
    {
      scenario: 'crowd',
      figure: `peak RSS, all processes (platform ${mib(sampler.selfPeak)})`,
      value: mib(sampler.treePeak),
      target: `<= platform + ${mib(budget)} (max × budget)`,
      met: sampler.treePeak - sampler.selfPeak <= budget,
    },
  ];
}

async function judge(platform: LocalPlatform): Promise<ScaleFigure[]> {
  const latencies: number[] = [];
  let right = 0;
  let next = 0;
  const started = now();
  await Promise.all(
    Array.from({ length: JUDGE_CLIENTS }, async () => {
      for (let i = next++; i < JUDGE_SUBMISSIONS; i = next++) {
        // One in ten expects a wrong answer: the verdict must say so.
        const wrong = i % 10 === 9;
        const sent = now();
        const answer = await api(platform.url, 'POST', '/api/execute', {
          language: 'python',
          code: 'print(int(input()) * 2)',
          stdin: `${i}\n`,
          expectedOutput: `${wrong ? i * 2 + 1 : i * 2}\n`,
        }).catch(() => null);
        latencies.push(now() - sent);
        if (answer?.status === (wrong ? 'wrong_answer' : 'accepted')) right++;
      }
    }),
  );
  const seconds = (now() - started) / 1000;
  const p99 = quantile(latencies, 0.99);
  const throughput = JUDGE_SUBMISSIONS / seconds;
  console.log(
    `  judge: ${JUDGE_SUBMISSIONS} submissions from ${JUDGE_CLIENTS} clients in ${seconds.toFixed(1)} s: ${throughput.toFixed(1)}/s, latency median ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms; ${right} right verdicts; ${poolLine(platform)}`,
  );
  return [{ scenario: 'judge', figure: `right verdicts (${throughput.toFixed(1)}/s, p99 ${p99.toFixed(0)} ms)`, value: `${right}/${JUDGE_SUBMISSIONS}`, target: 'all', met: right === JUDGE_SUBMISSIONS }];
}

function coldStart(platforms: LocalPlatform[]): ScaleFigure[] {
  const starts = platforms.flatMap((p) => p.pool.stats.coldStarts);
  const listening = starts.flatMap((s) => (s.listeningMs === undefined ? [] : [s.listeningMs]));
  const probed = starts.flatMap((s) => (s.probedMs === undefined ? [] : [s.probedMs]));
  const fmt = (values: number[]) => `median ${quantile(values, 0.5).toFixed(0)} ms, p95 ${quantile(values, 0.95).toFixed(0)} ms`;
  console.log(`  cold start (${starts.length} instance starts under the load above): listening ${fmt(listening)}; runtime probe done ${fmt(probed)}`);
  return [];
}

/** Runs the three scenarios, prints each figure with its target, and returns them. */
export async function benchScale(): Promise<ScaleFigure[]> {
  if (process.getuid?.() !== 0) throw new Error('the bench starts the local platform, which runs programs as other uids: run it as root');
  console.log(`pocketrun scale bench: ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
  const figures: ScaleFigure[] = [];
  const platforms: LocalPlatform[] = [];
  const scenarios: Array<[string, LocalPlatformOptions, (p: LocalPlatform) => Promise<ScaleFigure[]>]> = [
    // From idle: the default pool (2 warm, 1 spare) has to start most of the class's instances.
    ['classroom', {}, (p) => classroom(p, 'classroom from idle')],
    // Provisioned for the class, as one would for a lesson (FC: provisioned instances): EXECUTORS_MIN=40.
    ['classroom', { executorsMin: CLASSROOM_USERS }, (p) => classroom(p, `classroom, EXECUTORS_MIN=${CLASSROOM_USERS}`)],
    ['crowd', {}, crowd],
    ['judge', {}, judge],
  ];
  // BENCH_SCALE_SCENARIOS=classroom,judge runs only those.
  const only = process.env.BENCH_SCALE_SCENARIOS?.split(',');
  for (const [name, options, scenario] of scenarios) {
    if (only && !only.includes(name)) continue;
    figures.push(
      ...(await withPlatform(options, async (platform) => {
        platforms.push(platform);
        return scenario(platform);
      })),
    );
  }
  figures.push(...coldStart(platforms));
  for (const f of figures) console.log(`  ${`${f.scenario}: ${f.figure}`.padEnd(64)} ${f.value.padStart(10)}   ${f.target} ${f.met ? 'met' : 'NOT MET'}`);
  return figures;
}
