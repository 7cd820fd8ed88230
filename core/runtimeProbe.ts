/**
 * What this executor instance can really run: in a sandbox cell of its own, as a sandbox uid, each tool is started
 * with its version arguments, candidate after candidate, until one runs (a shell answers 126/127 for a path the uid
 * cannot execute, and under bwrap a path outside the mounted system folders does not exist). The first that runs is
 * the tool and its output gives the version. So the paths runs use and the list `GET /api/runtimes` shows come from
 * the same proof, in the isolation runs get.
 *
 * On demand, never in front of a run for more than its own language: `runtime(language)` probes that language's
 * tools only, once per instance (cached; concurrent asks share one cell), about 30–60 ms of one cell and the tool's
 * own version command. `all()`, every tool of every language for the runtimes list, is the background's: it costs
 * about 0.4 s of CPU (the JVM's and Go's version commands), runs niced, and gives way to any run.
 *
 * One probe cell at a time, and none while a run's cell is prepared: a run first asks `runtime()`, which stops a
 * background probe in flight and waits for its cell's dispose. A probe cell is `platformOnly`: its uid goes back to
 * the head of the rotation, so that with two uids a probe between two runs does not give the next run the previous
 * run's uid.
 *
 * One command per cell (PROBE_SCRIPT, the tools side by side), because every command of a cell costs a spawn chain
 * (~10 ms, ~30 ms under bwrap) and its end kills the uid's processes.
 *
 * Where instances share a host (`shared`: the local platform), a tool probed by one is not probed by the next: the
 * first run of a fresh instance then pays no probe cell at all. A result that no longer holds (the tool removed)
 * fails the run that uses it, as it would between a probe and a run anyway.
 */
import type { Language, SourceTransformName, ToolSpec } from './languages';
import { versionOf } from './languages/versionOf';
import * as L from './limits';
import type { Clock, PreparedSandbox, ProcessSpawner, Sandbox, Timer } from './ports';
import type { RuntimeInfo } from './protocol';
import { stopThroughRunHead } from './stopThroughRunHead';

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
  /** coreutils' nice, for the background's probe (it must not take CPU from runs); without it that probe runs unniced. */
  nice?: string;
  /** The registry, possibly with candidates the host already ruled out (missing, or not executable by the uid) removed. */
  languages: Language[];
  /** The source transforms this executor has; a language needing another is not available. */
  transforms: SourceTransformName[];
  /** Aborted when the instance stops: a probe ends at once and nothing more is probed. */
  shutdown?: AbortSignal;
  /**
   * What other instances of this host found (the local platform's instances share one; FC's never do, and leave this
   * unset): a tool known there is not probed again here, and what this instance probes is handed on.
   */
  shared?: SharedToolResults;
  log(record: Record<string, unknown>): void;
}

/** What one tool's probe found: the candidate that ran and what it printed; null when none ran. */
export type ToolResult = { path: string; output: string } | null;

/** Tool results shared between the instances of one host, by the tool's key (its spec). */
export interface SharedToolResults {
  /** undefined when no instance of the host has found the tool yet. */
  get(key: string): NonNullable<ToolResult> | undefined;
  /**
   * Tools found. Only those: a tool none of whose candidates ran (or whose line a slow, loaded probe lost) is probed
   * again by each instance rather than missing on all of them.
   */
  put(results: ReadonlyMap<string, NonNullable<ToolResult>>): void;
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

const toolKey = (spec: ToolSpec) => JSON.stringify(spec);

export class RuntimeProbe {
  /** Per tool (JavaScript and TypeScript share Node): its probe, once it has been asked for. */
  private readonly tools = new Map<string, Promise<ToolResult>>();
  /** The probe cells, one after the other. */
  private cells: Promise<unknown> = Promise.resolve();
  private background: { stop: AbortController; done: Promise<Runtime[] | null> } | null = null;

  constructor(private readonly deps: RuntimeProbeDeps) {}

  /** The languages this executor offers at all: those whose source transform it has. */
  private get offered(): Language[] {
    return this.deps.languages.filter((l) => !l.transform || this.deps.transforms.includes(l.transform));
  }

  /**
   * The runtime of a language, probing only its tools if no probe has yet; null when this instance cannot run it.
   * Every run asks before its cell is prepared: a background probe in flight is stopped first (see the header).
   */
  async runtime(language: Language): Promise<Runtime | null> {
    await this.yieldBackground();
    const registered = this.offered.find((l) => l.id === language.id);
    if (!registered) return null;
    const specs = Object.values(registered.tools);
    for (const spec of specs) this.takeShared(spec);
    const missing = specs.filter((spec) => !this.tools.has(toolKey(spec)));
    if (missing.length > 0) {
      const cell = this.probeTools(missing, { event: 'runtime_probe', language: language.id, niced: false });
      for (const spec of missing) this.remember(spec, cell);
    }
    return this.runtimeOf(registered);
  }

  /**
   * Every available runtime, in the registry's order: the tools not probed yet, in one niced cell. Null when it gave
   * way to a run (or the instance is stopping) before it was through: ask again when the instance is idle.
   */
  all(): Promise<Runtime[] | null> {
    if (this.background) return this.background.done;
    const stop = new AbortController();
    const done = (async (): Promise<Runtime[] | null> => {
      const seen = new Set<string>();
      const missing = this.offered.flatMap((l) => Object.values(l.tools)).filter((spec) => {
        this.takeShared(spec);
        const key = toolKey(spec);
        if (this.tools.has(key) || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      if (missing.length > 0) {
        const found = await this.probeTools(missing, { event: 'runtimes', niced: true }, stop.signal);
        // Given way: nothing is remembered, a run probes what it needs itself.
        if (!found) return null;
        for (const spec of missing) this.remember(spec, Promise.resolve(found));
      }
      const runtimes = await Promise.all(this.offered.map((l) => this.runtimeOf(l)));
      return runtimes.filter((r): r is Runtime => r !== null);
    })();
    const entry = { stop, done };
    this.background = entry;
    void done.finally(() => {
      if (this.background === entry) this.background = null;
    });
    return done;
  }

  /** Stops a background probe in flight and waits until its cell is given back. */
  private async yieldBackground(): Promise<void> {
    const background = this.background;
    if (!background) return;
    background.stop.abort();
    await background.done;
  }

  /** A tool another instance of the host has probed: its result, as if probed here. */
  private takeShared(spec: ToolSpec): void {
    const key = toolKey(spec);
    if (this.tools.has(key)) return;
    const shared = this.deps.shared?.get(key);
    if (shared !== undefined) this.tools.set(key, Promise.resolve(shared));
  }

  /** A tool's result from a cell; a cell that failed is not remembered, so that the next ask probes again. */
  private remember(spec: ToolSpec, cell: Promise<Map<string, ToolResult> | null>): void {
    const key = toolKey(spec);
    const result = cell.then((found) => {
      if (found?.has(key)) return found.get(key)!;
      if (this.tools.get(key) === result) this.tools.delete(key);
      return null;
    });
    this.tools.set(key, result);
  }

  private async runtimeOf(language: Language): Promise<Runtime | null> {
    const tools: Record<string, string> = {};
    let version: string | null = null;
    for (const [name, spec] of Object.entries(language.tools)) {
      const result = await (this.tools.get(toolKey(spec)) ?? Promise.resolve(null));
      if (!result) return null;
      tools[name] = result.path;
      if (name === language.versionTool) version = versionOf(result.output);
    }
    return { language, tools, version: version ?? 'unknown' };
  }

  /**
   * One cell probing `specs` side by side (after any cell before it): per tool its result, or null when the cell
   * failed, was stopped (`stop`) or the instance is stopping.
   */
  private probeTools(specs: ToolSpec[], record: { event: string; niced: boolean; language?: string }, stop?: AbortSignal): Promise<Map<string, ToolResult> | null> {
    const cell = this.cells.then(() => this.probeCell(specs, record, stop));
    this.cells = cell.catch(() => undefined);
    return cell;
  }

  private async probeCell(specs: ToolSpec[], record: { event: string; niced: boolean; language?: string }, stop?: AbortSignal): Promise<Map<string, ToolResult> | null> {
    const { deps } = this;
    if (stop?.aborted || deps.shutdown?.aborted) return null;
    const started = deps.clock.now();
    let prepared: PreparedSandbox | null = null;
    let output: string | null = null;
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
        platformOnly: true,
      });
      const args = specs.flatMap((spec, job) => [String(job), String(spec.candidates.length), ...spec.candidates, String(spec.versionArgs.length), ...spec.versionArgs]);
      const script = [deps.shell, '-c', PROBE_SCRIPT, 'runtime-probe', ...args];
      output = await this.run(prepared, record.niced && deps.nice ? [deps.nice, '-n', '19', ...script] : script, stop);
    } catch (err) {
      deps.log({ event: 'runtime_probe_failed', error: err instanceof Error ? err.message : String(err) });
    } finally {
      await prepared?.dispose().catch((err: unknown) => deps.log({ event: 'runtime_probe_dispose_failed', error: String(err) }));
    }
    if (output === null) {
      if (stop?.aborted) deps.log({ event: 'runtime_probe_stopped', reason: 'a run came', probe: record.event, ms: deps.clock.now() - started });
      return null;
    }
    const results = parseProbeOutput(output);
    const found = new Map<string, ToolResult>();
    specs.forEach((spec, job) => {
      const result = results.get(job);
      found.set(toolKey(spec), result ? { path: spec.candidates[result.index], output: result.output } : null);
    });
    deps.log({ ...record, ms: deps.clock.now() - started, tools: specs.map((spec, job) => (results.has(job) ? spec.candidates[results.get(job)!.index] : `none of ${spec.candidates.join(' ')}`)) });
    deps.shared?.put(new Map([...found].filter((entry): entry is [string, NonNullable<ToolResult>] => entry[1] !== null)));
    return found;
  }

  /** The probe's output; null when it was stopped (by `stop` or the instance stopping) or could not start. */
  private run(prepared: PreparedSandbox, command: string[], stop?: AbortSignal): Promise<string | null> {
    const { deps } = this;
    const stopped = () => deps.shutdown?.aborted === true || stop?.aborted === true;
    if (stopped()) return Promise.resolve(null);
    return new Promise((resolve) => {
      const proc = deps.spawner.spawn(prepared.spawnFor(command, PROBE_LIMITS));
      const chunks: Buffer[] = [];
      let bytes = 0;
      proc.onData((chunk) => {
        if (bytes < PROBE_OUTPUT_BYTES) chunks.push(chunk);
        bytes += chunk.length;
      });
      // Ended through its run head (stopThroughRunHead.ts): killed outright, it would leave the probe's tools to the
      // host's init, whose late reaping the cell's dispose waits out before the run that stopped the probe can start.
      let grace: Timer | null = null;
      const end = () => {
        grace ??= stopThroughRunHead(proc, deps.clock);
      };
      const timer = deps.clock.setTimeout(end, PROBE_TIMEOUT_MS);
      // A stopping instance, or a run wanting the uid, waits for the probe's cell to be disposed: not for a slow tool.
      const onStop = end;
      deps.shutdown?.addEventListener('abort', onStop, { once: true });
      stop?.addEventListener('abort', onStop, { once: true });
      proc.onExit(() => {
        timer.cancel();
        grace?.cancel();
        deps.shutdown?.removeEventListener('abort', onStop);
        stop?.removeEventListener('abort', onStop);
        resolve(stopped() ? null : Buffer.concat(chunks).toString('utf8'));
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
