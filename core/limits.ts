/**
 * The run and protocol constants: request sizes, timings of the run protocol, the terminal. The run limits a
 * request may set are rows of `RUN_LIMITS` (core/runLimits.ts); the local platform's settings are in local/.
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

/** Files and folders a run may create; an attacker's millions of empty files cost inodes, not bytes. */
export const DISK_INODES = 16_384;
/** How often the disk watch looks at a run's usage (one statfs). */
export const DISK_WATCH_INTERVAL_MS = 100;

/**
 * The compile step of compiled languages (core/compileLimits.ts): a budget of its own, in the run's cell, before the
 * program starts. Compilers are multi-threaded, start helpers (cc1, as, ld; go's compile and link) and reserve
 * more address space than they use; a language may raise the memory figure (Language.compile.limits). Its output
 * goes to the run's output first, at most COMPILE_OUTPUT_BYTES of it (a template error can print megabytes).
 */
export const COMPILE_TIMEOUT_MS = 30_000;
export const COMPILE_CPU_MS = 60_000;
export const COMPILE_MEMORY_BYTES = 1024 * MiB;
export const COMPILE_OUTPUT_BYTES = 64 * KiB;
export const COMPILE_PROCESSES = 256;
export const COMPILE_FILE_BYTES = 64 * MiB;
export const COMPILE_OPEN_FILES = 1024;

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
