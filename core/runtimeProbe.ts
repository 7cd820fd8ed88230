/**
 * What this executor instance can really run, found once at its start: in a sandbox cell of its own, as a sandbox
 * uid, each tool of each language is started with its version arguments, candidate after candidate, until one
 * runs (a shell answers 126/127 for a path the uid cannot execute, and under bwrap a path outside the mounted
 * system folders does not exist). The first that runs is the language's tool and its output gives the version.
 * So the list `GET /api/runtimes` shows and the paths runs use come from the same proof, in the isolation runs get.
 *
 * One command does it all (PROBE_SCRIPT, the tools side by side), because every command of a cell costs a spawn
 * chain (~10 ms, ~30 ms under bwrap) and its end kills the uid's processes: about 0.4 s in all, where one command
 * per candidate took 0.6 s (uid) to 1.1 s (bwrap). Runs wait for it (`done`): while the probe's cell holds one of
 * the instance's uids, a run would get the same other uid as the run before it.
 */
import type { Language, SourceTransformName, ToolSpec } from './languages';
import { versionOf } from './languages/versionOf';
import * as L from './limits';
import type { Clock, PreparedSandbox, ProcessSpawner, Sandbox } from './ports';
import type { RuntimeInfo } from './protocol';

const MiB = 1024 * 1024;

/** A language this instance can run: where its tools are and its toolchain's version. */
export interface Runtime {
  language: Language;
  tools: Record<string, string>;
  version: string;
}

export interface RuntimeProbeDeps {
  sandbox: Sandbox;
  /** Pipes: the version texts are read, stdout and stderr together. */
  spawner: ProcessSpawner;
  clock: Clock;
  /** bash, as the sandbox sees it (a system tool: /bin/bash). */
  shell: string;
  /** The registry, possibly with candidates the host already ruled out (missing, or not executable by the uid) removed. */
  languages: Language[];
  /** The source transforms this executor has; a language needing another is not available. */
  transforms: SourceTransformName[];
  /** Aborted when the instance stops: the probe ends at once and nothing more is available. */
  shutdown?: AbortSignal;
  log(record: Record<string, unknown>): void;
}

/**
 * Arguments: per tool, `<job> <n> <candidate>×n <m> <version argument>×m`. Each tool is a background job trying its
 * candidates in order; the first whose exit status says it ran (below 124: not timeout's 124/125, not 126/127 for
 * "cannot execute", not a death by signal) is printed as one line `<job> <index> <base64 of its first 1500
 * bytes>`, well below PIPE_BUF so lines of parallel jobs never mix; a tool none of whose candidates runs prints
 * `<job> -`. Version commands are the toolchains' own, never user code, but each is bounded by `timeout`.
 */
export const PROBE_SCRIPT = [
  'while [ $# -gt 0 ]; do',
  '  job=$1; n=$2; shift 2; cands=("${@:1:$n}"); shift "$n"; m=$1; shift; args=("${@:1:$m}"); shift "$m"',
  '  (',
  '    i=0',
  '    for c in "${cands[@]}"; do',
  '      out=$(timeout -s KILL 10 "$c" "${args[@]}" </dev/null 2>&1 | head -c 1500 | base64 -w0; exit "${PIPESTATUS[0]}")',
  '      if [ $? -lt 124 ]; then printf "%s %s %s\\n" "$job" "$i" "$out"; exit 0; fi',
  '      i=$((i + 1))',
  '    done',
  '    printf "%s -\\n" "$job"',
  '  ) &',
  'done',
  'wait',
].join('\n');

/** JVMs reserve gigabytes of address space to say their version; fifteen tools start at once. */
const PROBE_LIMITS = { cpuMs: 30_000, memoryBytes: 4096 * MiB, processes: L.COMPILE_PROCESSES, fileBytes: MiB, openFiles: L.COMPILE_OPEN_FILES };
/** Past `timeout`'s own 10 s per candidate. */
const PROBE_TIMEOUT_MS = 30_000;
const PROBE_OUTPUT_BYTES = 256 * 1024;

export class RuntimeProbe {
  /** Every available runtime, in the registry's order, once the probe is through (never rejects). */
  readonly done: Promise<Runtime[]>;
  private found = new Map<string, Runtime>();

  constructor(private readonly deps: RuntimeProbeDeps) {
    this.done = this.probe();
  }

  /** The runtime of a language, after the probe; null when this instance cannot run it. */
  async runtime(language: Language): Promise<Runtime | null> {
    await this.done;
    return this.found.get(language.id) ?? null;
  }

  private async probe(): Promise<Runtime[]> {
    const { deps } = this;
    const started = deps.clock.now();
    const languages = deps.languages.filter((l) => !l.transform || deps.transforms.includes(l.transform));
    // One job per distinct tool (JavaScript and TypeScript share Node).
    const jobs: ToolSpec[] = [];
    const jobOf = new Map<string, number>();
    for (const language of languages) {
      for (const spec of Object.values(language.tools)) {
        const key = JSON.stringify(spec);
        if (!jobOf.has(key)) jobOf.set(key, jobs.push(spec) - 1);
      }
    }
    let prepared: PreparedSandbox | null = null;
    let results = new Map<number, { index: number; output: string }>();
    try {
      prepared = await deps.sandbox.prepare({
        runId: 'runtime-probe',
        files: [],
        command: ['/bin/true'],
        env: {},
        limits: { ...PROBE_LIMITS, timeoutMs: PROBE_TIMEOUT_MS, busyTimeoutMs: PROBE_TIMEOUT_MS, outputBytes: PROBE_OUTPUT_BYTES, diskBytes: MiB },
        allowNetwork: false,
        cols: L.DEFAULT_COLS,
        rows: L.DEFAULT_ROWS,
      });
      const args = jobs.flatMap((spec, job) => [String(job), String(spec.candidates.length), ...spec.candidates, String(spec.versionArgs.length), ...spec.versionArgs]);
      results = parseProbeOutput(await this.run(prepared, [deps.shell, '-c', PROBE_SCRIPT, 'runtime-probe', ...args]));
    } catch (err) {
      deps.log({ event: 'runtime_probe_failed', error: err instanceof Error ? err.message : String(err) });
    } finally {
      await prepared?.dispose().catch((err: unknown) => deps.log({ event: 'runtime_probe_dispose_failed', error: String(err) }));
    }
    const available: Runtime[] = [];
    for (const language of languages) {
      const tools: Record<string, string> = {};
      let version: string | null = null;
      for (const [name, spec] of Object.entries(language.tools)) {
        const result = results.get(jobOf.get(JSON.stringify(spec))!);
        if (!result) break;
        tools[name] = spec.candidates[result.index];
        if (name === language.versionTool) version = versionOf(result.output);
      }
      if (Object.keys(tools).length < Object.keys(language.tools).length) continue;
      const runtime = { language, tools, version: version ?? 'unknown' };
      this.found.set(language.id, runtime);
      available.push(runtime);
    }
    deps.log({ event: 'runtimes', ms: deps.clock.now() - started, runtimes: available.map((r) => `${r.language.id} ${r.version}`) });
    return available;
  }

  /** The probe's output (empty when it was stopped or could not start). */
  private run(prepared: PreparedSandbox, command: string[]): Promise<string> {
    const { deps } = this;
    if (deps.shutdown?.aborted) return Promise.resolve('');
    return new Promise((resolve) => {
      const proc = deps.spawner.spawn(prepared.spawnFor(command, PROBE_LIMITS));
      const chunks: Buffer[] = [];
      let bytes = 0;
      proc.onData((chunk) => {
        if (bytes < PROBE_OUTPUT_BYTES) chunks.push(chunk);
        bytes += chunk.length;
      });
      const timer = deps.clock.setTimeout(() => proc.kill('SIGKILL'), PROBE_TIMEOUT_MS);
      // A stopping instance waits for the probe's cell to be disposed: it must not wait for a slow tool.
      const onShutdown = () => proc.kill('SIGKILL');
      deps.shutdown?.addEventListener('abort', onShutdown, { once: true });
      proc.onExit(() => {
        timer.cancel();
        deps.shutdown?.removeEventListener('abort', onShutdown);
        resolve(deps.shutdown?.aborted ? '' : Buffer.concat(chunks).toString('utf8'));
      });
      proc.endInput?.();
    });
  }
}

/** PROBE_SCRIPT's lines → job → the candidate that ran and what it printed. Lines that are not its own are ignored. */
export function parseProbeOutput(text: string): Map<number, { index: number; output: string }> {
  const results = new Map<number, { index: number; output: string }>();
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\d+) ?([A-Za-z0-9+/=]*)$/.exec(line.trim());
    if (m) results.set(Number(m[1]), { index: Number(m[2]), output: Buffer.from(m[3], 'base64').toString('utf8') });
  }
  return results;
}

/** What `GET /api/runtimes` shows of a runtime. */
export function runtimeInfo(runtime: Runtime): RuntimeInfo {
  const { language } = runtime;
  return {
    language: language.id,
    name: language.name,
    version: runtime.version,
    aliases: [...language.aliases],
    compiled: language.compile !== undefined,
    editorMode: language.editorMode,
  };
}
