/**
 * What this executor instance can really run, found once at its start: in a sandbox cell of its own, as a sandbox
 * uid, each tool of each language is started with its version arguments, candidate after candidate, until one
 * runs (the spawn chain answers 127 when the uid cannot execute a path, and under bwrap a path outside the mounted
 * system folders does not exist). The first that runs is the language's tool and its output gives the version.
 * So the list `GET /api/runtimes` shows and the paths runs use come from the same proof, in the isolation runs get.
 *
 * Languages are probed one after the other (each command's end kills the uid's processes, see spawnFor), in the
 * registry's order; a run waits only for its own language. The cell holds one sandbox uid for about a second;
 * the executor's other uid serves a run meanwhile.
 */
import type { Language, SourceTransformName } from './languages';
import { versionOf } from './languages/versionOf';
import * as L from './limits';
import type { Clock, PreparedSandbox, ProcessSpawner, Sandbox, SandboxedSpawnRequest } from './ports';
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
  /** Pipes: the version text is read, stdout and stderr together. */
  spawner: ProcessSpawner;
  clock: Clock;
  /** The registry, possibly with candidates the host already ruled out (missing, or not executable by the uid) removed. */
  languages: Language[];
  /** The source transforms this executor has; a language needing another is not available. */
  transforms: SourceTransformName[];
  /** Aborted when the instance stops: what is not probed yet is not available. */
  shutdown?: AbortSignal;
  log(record: Record<string, unknown>): void;
}

/** Version commands are trusted system binaries, but JVMs reserve gigabytes of address space to say their version. */
const PROBE_LIMITS = { cpuMs: 10_000, memoryBytes: 4096 * MiB, processes: L.COMPILE_PROCESSES, fileBytes: MiB, openFiles: L.COMPILE_OPEN_FILES };
const PROBE_TIMEOUT_MS = 10_000;
/** Enough of a version text. */
const PROBE_OUTPUT_BYTES = 16 * 1024;
/** The spawn chain's answer for a path the uid cannot execute (spawnPrelude.ts EXEC_ARGV), and the run head's refusal. */
const NOT_STARTED = new Set([126, 127]);

export class RuntimeProbe {
  private readonly pending = new Map<string, { promise: Promise<Runtime | null>; resolve(runtime: Runtime | null): void }>();
  /** Every available runtime, in the registry's order, once all are probed. */
  readonly done: Promise<Runtime[]>;

  constructor(private readonly deps: RuntimeProbeDeps) {
    for (const language of deps.languages) {
      let resolve!: (runtime: Runtime | null) => void;
      const promise = new Promise<Runtime | null>((r) => (resolve = r));
      this.pending.set(language.id, { promise, resolve });
    }
    this.done = this.probeAll();
  }

  /** The runtime of a language (waiting for its probe), or null when this instance cannot run it. */
  runtime(language: Language): Promise<Runtime | null> {
    return this.pending.get(language.id)?.promise ?? Promise.resolve(null);
  }

  private async probeAll(): Promise<Runtime[]> {
    const { deps } = this;
    const found: Runtime[] = [];
    const started = deps.clock.now();
    let prepared: PreparedSandbox | null = null;
    try {
      prepared = await deps.sandbox.prepare({
        runId: 'runtime-probe',
        files: [],
        command: ['/bin/true'],
        env: {},
        limits: { ...PROBE_LIMITS, timeoutMs: PROBE_TIMEOUT_MS, outputBytes: PROBE_OUTPUT_BYTES, diskBytes: MiB },
        allowNetwork: false,
        cols: L.DEFAULT_COLS,
        rows: L.DEFAULT_ROWS,
      });
      for (const language of deps.languages) {
        if (deps.shutdown?.aborted) break;
        const runtime = await this.probeLanguage(prepared, language);
        if (runtime) found.push(runtime);
        this.pending.get(language.id)!.resolve(runtime);
      }
    } catch (err) {
      deps.log({ event: 'runtime_probe_failed', error: err instanceof Error ? err.message : String(err) });
    } finally {
      for (const { resolve } of this.pending.values()) resolve(null);
      await prepared?.dispose().catch((err: unknown) => deps.log({ event: 'runtime_probe_dispose_failed', error: String(err) }));
    }
    deps.log({ event: 'runtimes', ms: deps.clock.now() - started, runtimes: found.map((r) => `${r.language.id} ${r.version}`) });
    return found;
  }

  private async probeLanguage(prepared: PreparedSandbox, language: Language): Promise<Runtime | null> {
    if (language.transform && !this.deps.transforms.includes(language.transform)) return null;
    const tools: Record<string, string> = {};
    let version: string | null = null;
    for (const [name, spec] of Object.entries(language.tools)) {
      let output: string | null = null;
      for (const candidate of spec.candidates) {
        output = await this.versionText(prepared.spawnFor([candidate, ...spec.versionArgs], PROBE_LIMITS));
        if (output !== null) {
          tools[name] = candidate;
          break;
        }
      }
      if (output === null) return null;
      if (name === language.versionTool) version = versionOf(output);
    }
    return { language, tools, version: version ?? 'unknown' };
  }

  /** What the command printed, or null when it could not be started (or hung). */
  private versionText(request: SandboxedSpawnRequest): Promise<string | null> {
    return new Promise((resolve) => {
      const proc = this.deps.spawner.spawn(request);
      const chunks: Buffer[] = [];
      let bytes = 0;
      proc.onData((chunk) => {
        if (bytes < PROBE_OUTPUT_BYTES) chunks.push(chunk);
        bytes += chunk.length;
      });
      const timer = this.deps.clock.setTimeout(() => proc.kill('SIGKILL'), PROBE_TIMEOUT_MS);
      // A stopping instance waits for the probe's cell to be disposed: it must not wait for a slow tool.
      const onShutdown = () => proc.kill('SIGKILL');
      this.deps.shutdown?.addEventListener('abort', onShutdown, { once: true });
      proc.onExit((exit) => {
        timer.cancel();
        this.deps.shutdown?.removeEventListener('abort', onShutdown);
        const started = exit.signal === null && exit.exitCode !== null && !NOT_STARTED.has(exit.exitCode);
        resolve(started ? Buffer.concat(chunks).toString('utf8') : null);
      });
      proc.endInput?.();
    });
  }
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
