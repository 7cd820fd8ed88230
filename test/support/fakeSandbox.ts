/**
 * A Sandbox for unit tests: records what it was asked to prepare and how often the cell was disposed, and hands the
 * command to the spawner unchanged. Nothing touches the host.
 */
import type { Isolation, MeteredSpawnRequest, PreparedSandbox, Sandbox, SandboxReport, SandboxRequest, TreeMeasure, TreeUsage } from '../../core/ports';

/** The identity every prepared spawn names, as a real sandbox's would (the fake spawner never switches to it). */
const FAKE_UID = 60_000;

export interface FakeSandboxOptions {
  /** `prepare` rejects with this. */
  failPrepare?: Error;
  /** Runs inside `dispose`, e.g. to look at storage at that moment. */
  onDispose?: () => void | Promise<void>;
  /** What each metered spawn's `finish` reports, by the order of the spawns (default: 2048 KiB, no OOM kill). */
  measures?: TreeMeasure[];
}

export class FakeSandbox implements Sandbox {
  readonly isolation: Isolation = 'uid';
  readonly requests: SandboxRequest[] = [];
  /** Every other command asked for in a prepared cell (compile steps), with its limits. */
  readonly spawnsFor: Array<{ command: string[]; limits: Parameters<PreparedSandbox['spawnFor']>[1] }> = [];
  /** Every metered spawn asked for, in order, and how many were finished. */
  readonly metered: MeteredSpawnRequest[] = [];
  finished = 0;
  /** The run head's report each `finish` was given (undefined: none), in order. */
  readonly reports: Array<TreeUsage | undefined> = [];
  private readonly meteredListeners = new Set<(status: 'memory_limit' | 'cpu_limit', message: string) => void>();
  disposals = 0;
  readonly ready = true;
  private readonly limitListeners = new Set<(status: 'disk_limit', message: string) => void>();

  constructor(private readonly options: FakeSandboxOptions = {}) {}

  report(): SandboxReport {
    return { isolation: this.isolation, disk: 'watch', sharedFolders: { denied: [], swept: [] }, processes: 'visible', network: 'host', retiredUids: 0, ready: this.ready };
  }

  async close(): Promise<void> {}

  /** What the real sandbox's disk watch does when the run writes too much. */
  exceedDisk(message: string): void {
    for (const listener of this.limitListeners) listener('disk_limit', message);
  }

  /** What the real sandbox's watches do when a metered command's tree uses too much memory (the RSS watch) or CPU time. */
  exceedMetered(status: 'memory_limit' | 'cpu_limit', message: string): void {
    for (const listener of this.meteredListeners) listener(status, message);
  }

  async prepare(request: SandboxRequest): Promise<PreparedSandbox> {
    this.requests.push(request);
    if (this.options.failPrepare) throw this.options.failPrepare;
    const spawnOf = ([file, ...args]: string[]) => ({ file, args, cwd: '/home/run', env: { ...request.env }, cols: request.cols, rows: request.rows, uid: FAKE_UID, gid: FAKE_UID, groups: [] });
    return {
      spawn: spawnOf(request.command),
      spawnFor: (command, limits) => {
        this.spawnsFor.push({ command, limits });
        return spawnOf(command);
      },
      onLimit: (listener) => {
        this.limitListeners.add(listener);
        return { dispose: () => this.limitListeners.delete(listener) };
      },
      spawnMetered: (metered) => {
        const index = this.metered.push(metered) - 1;
        const [mfile, ...margs] = metered.command;
        return {
          spawn: { file: mfile, args: margs, cwd: '/home/run', env: { ...request.env }, cols: request.cols, rows: request.rows, uid: FAKE_UID, gid: FAKE_UID, groups: [] },
          memory: 'rlimit',
          watch: (_pid, listener) => {
            this.meteredListeners.add(listener);
            return { dispose: () => this.meteredListeners.delete(listener) };
          },
          finish: async (report) => {
            this.finished += 1;
            this.reports.push(report);
            this.meteredListeners.clear();
            return this.options.measures?.[index] ?? { peakKb: 2048, oomKilled: false };
          },
        };
      },
      dispose: async () => {
        this.disposals += 1;
        await this.options.onDispose?.();
      },
    };
  }
}
