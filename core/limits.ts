/**
 * Every limit and default of the platform, in one place. Handlers read overrides from their environment
 * (see `core/config.ts`), but a value that is not overridden comes from here.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** Largest accepted `code` (UTF-8 bytes); larger answers 413. */
export const MAX_CODE_BYTES = 64 * KiB;
/** Largest accepted HTTP request body; a bigger body is refused before it is parsed. */
export const MAX_REQUEST_BODY_BYTES = 256 * KiB;
/** Largest single `POST /input` chunk. */
export const MAX_INPUT_CHUNK_BYTES = 64 * KiB;
/** Largest total stdin a run accepts over its lifetime. */
export const MAX_INPUT_TOTAL_BYTES = 1 * MiB;
/** Most program arguments, and the longest one. */
export const MAX_ARGS = 64;
export const MAX_ARG_BYTES = 4 * KiB;

/** Wall timeout of an interactive run unless the request asks for another. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Largest wall timeout a request may ask for (the executor function's own timeout sits above it). */
export const MAX_TIMEOUT_MS = 300_000;
/** Smallest wall timeout a request may ask for. */
export const MIN_TIMEOUT_MS = 100;
/** Output cap unless the request asks for less. */
export const DEFAULT_OUTPUT_BYTES = 1 * MiB;
/** Largest output cap a request may ask for. */
export const MAX_OUTPUT_BYTES = 8 * MiB;

/** Sandbox resource limits (issue: sandbox). Defaults, then the maxima a request is clamped to. */
export const DEFAULT_MEMORY_BYTES = 256 * MiB;
export const MAX_MEMORY_BYTES = 1024 * MiB;
export const DEFAULT_CPU_MS = 60_000;
export const MAX_CPU_MS = 300_000;
export const DEFAULT_PROCESSES = 64;
export const MAX_PROCESSES = 256;
export const DEFAULT_FILE_BYTES = 10 * MiB;
export const MAX_FILE_BYTES = 64 * MiB;
export const DEFAULT_OPEN_FILES = 256;
export const MAX_OPEN_FILES = 1024;
/**
 * What a run may write in files altogether (its folder, its temp folder, shared memory): without a total cap a
 * 60 s run fills the disk that holds every other run's output. Enforced by a size-limited tmpfs per sandbox uid
 * where the host allows mounts (sized at the maximum), and by a watch that ends the run as `disk_limit`.
 */
export const DEFAULT_DISK_BYTES = 64 * MiB;
export const MAX_DISK_BYTES = 512 * MiB;
/** Files and folders a run may create; an attacker's millions of empty files cost inodes, not bytes. */
export const DISK_INODES = 16_384;
/** How often the disk watch looks at a run's usage (one statfs). */
export const DISK_WATCH_INTERVAL_MS = 100;

/** Output is appended to storage at most this often... */
export const OUTPUT_FLUSH_INTERVAL_MS = 100;
/** ...or as soon as this many bytes are pending. */
export const OUTPUT_FLUSH_BYTES = 64 * KiB;
/** Quiet time after output before the executor checks whether the program now waits for input. */
export const INPUT_WAIT_PROBE_MS = 8;

/** Control stream (stdin, kill, resize) poll period while the program is blocked reading its terminal. */
export const CONTROL_POLL_WAITING_MS = 25;
/** Control stream poll period while the program computes or sleeps: a few requests a second, not a hundred. */
export const CONTROL_POLL_BUSY_MS = 500;
/** Control reads may fail this long in a row (storage blips) before the run is ended as internal_error. */
export const CONTROL_OUTAGE_MS = 15_000;

/** The executor rewrites the status object this often while a run is alive. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A running status whose heartbeat is older than this is reported finished with `internal_error`. */
export const HEARTBEAT_STALE_MS = 30_000;

/** Longest `waitMs` of an output long poll. */
export const MAX_LONG_POLL_MS = 25_000;
/** How often a held long poll looks at storage. */
export const LONG_POLL_INTERVAL_MS = 50;
/**
 * ...and how often right after this API instance created the run or took its input, when output is expected at
 * once (the first bytes, the echo): a short burst of cheap reads where latency is felt.
 */
export const LONG_POLL_FAST_INTERVAL_MS = 10;
export const LONG_POLL_FAST_WINDOW_MS = 400;
/** Most bytes one output read returns; the client reads again from the returned offset. */
export const MAX_OUTPUT_READ_BYTES = 256 * KiB;

/** Terminal size a run starts with. */
export const DEFAULT_COLS = 80;
export const DEFAULT_ROWS = 24;

/** Grace between SIGTERM-free hard kill rounds when sweeping a run's uid. */
export const KILL_SWEEP_ROUNDS = 50;

/** Local platform defaults. */
export const DEFAULT_PORT = 8080;
export const DEFAULT_DATA_DIR = './.data';
export const DEFAULT_LIFECYCLE_MS = 24 * 60 * 60 * 1000;
export const LIFECYCLE_SWEEP_INTERVAL_MS = 60_000;
/** Attempts per event in the emulated asynchronous invocation (FC: the first call plus up to 3 retries by default; we keep 3 in all). */
export const ASYNC_INVOKE_ATTEMPTS = 3;
export const ASYNC_RETRY_BASE_MS = 1_000;

// ---------------------------------------------------------------- judge (POST /api/execute)
// Kept together here until the limits table (core/limits.ts, core/config.ts) takes them in; nothing else reads them.

/** Per test: CPU time of the program's whole process tree, default and maximum. */
export const JUDGE_DEFAULT_CPU_MS = 5_000;
export const JUDGE_MAX_CPU_MS = 20_000;
export const JUDGE_MIN_CPU_MS = 100;
/** Per test: wall time, default and maximum. */
export const JUDGE_DEFAULT_TIMEOUT_MS = 10_000;
export const JUDGE_MAX_TIMEOUT_MS = 30_000;
/** Per test: memory the program's tree uses (not address space it reserves), in MiB as the request gives it. */
export const JUDGE_DEFAULT_MEMORY_MB = 256;
export const JUDGE_MAX_MEMORY_MB = 1024;
export const JUDGE_MIN_MEMORY_MB = 16;
/** Per test and per stream (stdout and stderr each). */
export const JUDGE_DEFAULT_OUTPUT_BYTES = 1 * MiB;
export const JUDGE_MAX_OUTPUT_BYTES = 4 * MiB;
/** Most tests in one request, and most extra files beside the code. */
export const JUDGE_MAX_TESTS = 50;
export const JUDGE_MAX_FILES = 20;
/** Longest extra file name (a relative path). */
export const JUDGE_MAX_FILE_NAME_BYTES = 255;
/** Each test's stdin and expected output (the request body's own cap applies to all of them together). */
export const JUDGE_MAX_TEST_FIELD_BYTES = 64 * KiB;
/** The compile step's own budget (once per request, before the first test): not the program's limits. */
export const JUDGE_COMPILE_TIMEOUT_MS = 30_000;
export const JUDGE_COMPILE_CPU_MS = 30_000;
export const JUDGE_COMPILE_MEMORY_BYTES = 1024 * MiB;
export const JUDGE_COMPILE_PROCESSES = 64;
/** Compiler output kept (stdout and stderr together); what is past it is dropped, the compile goes on. */
export const JUDGE_COMPILE_OUTPUT_BYTES = 64 * KiB;
/**
 * Wall time of the compile step and every test together, counted by the executor from the start of the run: tests
 * not started by then are not run, and a test running then is stopped (`timeout`). It keeps a blocking request inside
 * the API function's own timeout (60 s by default, infra/config.ts apiTimeoutSeconds) with JUDGE_WAIT_MARGIN_MS.
 */
export const JUDGE_REQUEST_WALL_MS = 40_000;
/** What the API waits beyond the request's time budget: queueing, cold start, sandbox set-up and clean-up. */
export const JUDGE_WAIT_MARGIN_MS = 15_000;
/** Stdout and stderr of all tests together in one answer; streams past it are cut (`outputTruncated`). */
export const JUDGE_MAX_RESULT_OUTPUT_BYTES = 8 * MiB;
/** Without a memory cgroup, how often the RSS of a program's tree is summed to hold it to its memory limit. */
export const MEMORY_WATCH_INTERVAL_MS = 50;
