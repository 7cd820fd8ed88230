/**
 * The run limits, one row each: what a run may ask for, what it gets by default, and who may change that. The
 * manifest's `limits` type, the limit policy and its environment variables, both clamps (API and executor), the
 * stack's `run*` config keys, the functions' environment and the README's table of limits are all read off this
 * table; adding a limit is adding a row (and enforcing it in the sandbox).
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The disks FC 3.0 gives a function, in MiB: its /tmp, `diskSize` of fc.V3Function, which takes 512 or 10240 only
 * (node_modules/@pulumi/alicloud/fc/v3function.d.ts). The executor's work root is there, and with it every run's
 * folder: FC allows no mounts, so no tmpfs holds a run's files, only a watch bounds them (`diskBytes` below).
 */
export const FUNCTION_DISK_SIZES_MIB = [512, 10240] as const;

/**
 * What the executor needs on its disk beside a run's own files, in MiB: the sandbox's copy of /etc and its identity
 * folders (about 4 MiB), the probe folders and the terminals' FIFOs at its start, and what a run writes past its
 * `diskBytes` before the watch sees it (one look every DISK_WATCH_INTERVAL_MS, 100 ms: 60 MiB at 600 MB/s). A run
 * allowed the whole disk would fill it first and fail the executor's own writes (its clean-up, a compile step's
 * next file, the next run's set-up) with ENOSPC instead of ending as `disk_limit`.
 */
export const EXECUTOR_DISK_MARGIN_MIB = 64;

/** The largest `diskBytes` maximum, in MiB, that leaves the executor its margin on a function disk of `diskMib`. */
export function runDiskMaxMibFor(diskMib: number): number {
  return diskMib - EXECUTOR_DISK_MARGIN_MIB;
}

/** Stack config keys are in the units people think in; each converts to the limit's own unit by a factor. */
export const STACK_UNITS = {
  Seconds: { of: 'ms', factor: 1000, symbol: 's' },
  Kib: { of: 'bytes', factor: KiB, symbol: 'KiB' },
  Mib: { of: 'bytes', factor: MiB, symbol: 'MiB' },
} as const;
export type StackUnit = keyof typeof STACK_UNITS;

export interface RunLimitSpec {
  /** The limit's own unit: every value below, and its environment variables, are in it. */
  unit: 'ms' | 'bytes' | 'count';
  /** The smallest value a request may ask for (less is refused by the API, raised by the executor). */
  min: number;
  /** What a run gets when it asks for nothing, unless the deployment configures another default. */
  default: number;
  /** The most a run may ask for (more is clamped), unless the deployment configures another maximum. */
  max: number;
  /** One line for the README's table. */
  meaning: string;
  /**
   * Judge mode (`POST /api/execute`), per test: its own default and maximum, smaller than an interactive run's (a
   * judged program reads no person's input), with the same minimum. Absent: judge mode does not take this limit.
   */
  judge?: { default: number; max: number };
  /**
   * Present when a deployment may change the default and the maximum: the local platform's (and the functions')
   * environment variables, and the stack config keys the functions' variables are derived from. Absent: the
   * built-in values hold everywhere (a request can still ask for less).
   */
  configurable?: {
    env: { default: string; max: string };
    stack: {
      default: string;
      max: string;
      unit: StackUnit;
      /** The largest value the stack accepts for either key, in `unit`. */
      ceiling: number;
      /**
       * `always`: the stack writes both variables into both functions' environment, from its defaults when the keys
       * are unset. `whenSet`: only a key that is set (the limits added later: writing them always would change both
       * functions of every deployed stack at its next `pulumi up` for the same values).
       */
      written: 'always' | 'whenSet';
    };
  };
}

/**
 * Configurable: the wall time, the output, the memory, the CPU time and the disk, the limits a contest tunes.
 * Fixed: processes, file size and open files, which bound what one program does to its host rather than how much
 * work it may do; their built-in maxima are far above what a program needs, and a request may still ask for less.
 * Also fixed: the busy time, which is off unless a run asks for it (its default is its maximum).
 */
export const RUN_LIMITS = {
  timeoutMs: {
    unit: 'ms',
    min: 100,
    default: 60_000,
    max: 300_000,
    judge: { default: 10_000, max: 30_000 },
    meaning: 'Wall time from the start of the program; then it is killed (`timeout`).',
    configurable: {
      env: { default: 'RUN_TIMEOUT_DEFAULT_MS', max: 'RUN_TIMEOUT_MAX_MS' },
      stack: { default: 'runTimeoutDefaultSeconds', max: 'runTimeoutMaxSeconds', unit: 'Seconds', ceiling: 3600, written: 'always' },
    },
  },
  busyTimeoutMs: {
    unit: 'ms',
    min: 100,
    // No limit of its own by default: the largest wall time a stack may configure (`timeoutMs`'s ceiling), so a run
    // that does not ask for it is bounded by `timeoutMs` alone.
    default: 3_600_000,
    max: 3_600_000,
    meaning:
      'Wall time from the start of the program not spent blocked waiting for its input (the terminal or stdin); then it is killed (`timeout`). `timeoutMs` still bounds the whole run. Piston\'s `run_timeout` on the WebSocket.',
  },
  outputBytes: {
    unit: 'bytes',
    min: 1,
    default: 1 * MiB,
    max: 8 * MiB,
    judge: { default: 1 * MiB, max: 4 * MiB },
    meaning: 'Terminal output kept; the program is killed once it printed more (`output_limit`).',
    configurable: {
      env: { default: 'RUN_OUTPUT_DEFAULT_BYTES', max: 'RUN_OUTPUT_MAX_BYTES' },
      stack: { default: 'runOutputDefaultKib', max: 'runOutputMaxKib', unit: 'Kib', ceiling: 1024 * 1024, written: 'always' },
    },
  },
  memoryBytes: {
    unit: 'bytes',
    min: 16 * MiB,
    default: 256 * MiB,
    max: 1024 * MiB,
    judge: { default: 256 * MiB, max: 1024 * MiB },
    meaning: 'Address space per process (`RLIMIT_AS`; `memory_limit`); for JavaScript V8\'s reservations are added and its heap is capped at the limit.',
    configurable: {
      env: { default: 'RUN_MEMORY_DEFAULT_BYTES', max: 'RUN_MEMORY_MAX_BYTES' },
      stack: { default: 'runMemoryDefaultMib', max: 'runMemoryMaxMib', unit: 'Mib', ceiling: 32768, written: 'always' },
    },
  },
  cpuMs: {
    unit: 'ms',
    min: 100,
    default: 60_000,
    max: 300_000,
    judge: { default: 5_000, max: 20_000 },
    meaning: 'CPU time: per process in interactive runs (`RLIMIT_CPU`, whole seconds); in judge mode the whole tree\'s (a watch stops it within about 20 ms per core past the limit; `RLIMIT_CPU` a second later is the backstop). Reported as `timeout`.',
    configurable: {
      env: { default: 'RUN_CPU_DEFAULT_MS', max: 'RUN_CPU_MAX_MS' },
      stack: { default: 'runCpuDefaultSeconds', max: 'runCpuMaxSeconds', unit: 'Seconds', ceiling: 3600, written: 'whenSet' },
    },
  },
  processes: {
    unit: 'count',
    min: 1,
    default: 64,
    max: 256,
    meaning: 'Processes and threads of the run\'s uid (`RLIMIT_NPROC`).',
  },
  fileBytes: {
    unit: 'bytes',
    min: 0,
    default: 10 * MiB,
    max: 64 * MiB,
    meaning: 'Size of any one file written (`RLIMIT_FSIZE`; `SIGXFSZ`).',
  },
  openFiles: {
    unit: 'count',
    min: 16,
    default: 256,
    max: 1024,
    meaning: 'Open file descriptors per process (`RLIMIT_NOFILE`).',
  },
  diskBytes: {
    unit: 'bytes',
    min: 1 * MiB,
    default: 64 * MiB,
    // What the smallest function disk holds beside the executor's margin, so a function with the built-in limits
    // never fills its disk; a stack with a larger disk may configure more (runDiskMaxMib, infra/config.ts).
    max: runDiskMaxMibFor(FUNCTION_DISK_SIZES_MIB[0]) * MiB,
    meaning:
      'Everything the run writes in files together: its folder, temporary files, shared memory (`disk_limit`). A size-capped tmpfs sized at the maximum where the host allows mounts, else a watch.',
    configurable: {
      env: { default: 'RUN_DISK_DEFAULT_BYTES', max: 'RUN_DISK_MAX_BYTES' },
      // The ceiling is what the largest function disk leaves; the stack bounds both keys further by the disk it
      // configures (executorDiskMb, infra/config.ts).
      stack: { default: 'runDiskDefaultMib', max: 'runDiskMaxMib', unit: 'Mib', ceiling: runDiskMaxMibFor(Math.max(...FUNCTION_DISK_SIZES_MIB)), written: 'whenSet' },
    },
  },
} as const satisfies Record<string, RunLimitSpec>;

export type RunLimitName = keyof typeof RUN_LIMITS;

/** A run's limits, one number per row of the table, in the row's unit (the manifest's `limits`). */
export type RunLimits = { [K in RunLimitName]: number };

/** The rows in table order. */
export const RUN_LIMIT_NAMES = Object.keys(RUN_LIMITS) as RunLimitName[];

/** A configurable row's `configurable` part, for code that walks the table. */
export type ConfigurableLimit = NonNullable<RunLimitSpec['configurable']>;

/** The configurable rows, in table order. */
export function configurableLimits(): Array<{ name: RunLimitName; spec: RunLimitSpec; configurable: ConfigurableLimit }> {
  return RUN_LIMIT_NAMES.flatMap((name) => {
    const spec: RunLimitSpec = RUN_LIMITS[name];
    return spec.configurable ? [{ name, spec, configurable: spec.configurable }] : [];
  });
}
