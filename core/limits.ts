/**
 * The run and protocol constants: request sizes, timings of the run protocol, the terminal. The run limits a
 * request may set are rows of `RUN_LIMITS` (core/runLimits.ts); the local platform's settings are in local/.
 */

import { RUN_LIMITS } from './runLimits';

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
/**
 * For this long after input reaches the program, its output is appended within a moment of its arrival instead of
 * at the flush interval: the echo and the reply are what the person waits for. Appends stay one at a time, so what
 * the program prints while one is under way rides the next: at most one request per round trip, for this long.
 */
export const OUTPUT_EXPEDITE_MS = 200;
/**
 * ...the moment: output quiet this long (a program's reply follows the terminal's echo of its input within about
 * a millisecond), and never longer than the last append took (core/outputSink.ts says why), so the echo and the
 * reply share one append. Against a local folder store an append takes well under a millisecond: no wait at all.
 */
export const OUTPUT_EXPEDITE_QUIET_MS = 2;
/** Quiet time after output before the executor checks whether the program now waits for input. */
export const INPUT_WAIT_PROBE_MS = 8;

/**
 * How often a run with a busy-time limit (`limits.busyTimeoutMs`) asks whether its program waits for input: the
 * limit is kept to within this (core/busyClock.ts). A probe is a few /proc reads, no exec.
 */
export const BUSY_SAMPLE_MS = 50;

/**
 * Control stream (stdin, kill, resize) poll periods while the program is blocked reading its terminal: fast at the
 * start of each wait, when a person answering a prompt (or a script feeding it) is likeliest, then slower, so that a
 * prompt left alone for minutes costs a few requests a second, not forty. Each row holds from the wait's start (or
 * the last input) until `untilMs`. Bounded rate of a wait: at most 1000 / everyMs requests a second in each row.
 */
export const CONTROL_POLL_WAITING_STEPS = [
  { untilMs: 3_000, everyMs: 20 },
  { untilMs: 10_000, everyMs: 50 },
  { untilMs: Infinity, everyMs: 200 },
] as const;
/** The fastest of them: how often the executor looks whether the program waits (a local check, no request). */
export const CONTROL_POLL_WAITING_MS = CONTROL_POLL_WAITING_STEPS[0].everyMs;
/**
 * Control stream poll period while the program computes or sleeps. With the heartbeat, a running program costs
 * 1000 / CONTROL_POLL_BUSY_MS + 1000 / HEARTBEAT_INTERVAL_MS requests a second, under the target of 2
 * (test/unit/requestRates.test.ts); a kill takes effect within this period.
 */
export const CONTROL_POLL_BUSY_MS = 600;
/** Control reads may fail this long in a row (storage blips) before the run is ended as internal_error. */
export const CONTROL_OUTAGE_MS = 15_000;

/** The executor rewrites the status object this often while a run is alive. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A running status whose heartbeat is older than this is reported finished with `internal_error`. */
export const HEARTBEAT_STALE_MS = 30_000;

/**
 * How long a run's event may wait for an executor: FC drops an asynchronous event older than this (the stack sets
 * the executor's maxAsyncEventAgeInSeconds from it), and the local platform's invoker does the same. A run still
 * without a status this long (and HEARTBEAT_STALE_MS more, for an executor that took it at the last moment) after
 * its creation will never start: it is reported finished with `internal_error`, so no client waits forever.
 */
export const RUN_QUEUE_MAX_MS = 600_000;

/** Longest `waitMs` of an output long poll. */
export const MAX_LONG_POLL_MS = 25_000;
/**
 * Output long polls one API instance holds at once on one run; one more is refused (429) without a storage read. A
 * client reads a run with one poll at a time (a few more while a phone's dropped connections time out): without the
 * bound, one client held 2 000 polls on one run, 150 MB of the instance's memory, each reading storage at its period.
 */
export const MAX_HELD_POLLS_PER_RUN = 16;
/** How often a held long poll reads the output object at first (and how often judge mode's wait reads the status). */
export const LONG_POLL_INTERVAL_MS = 50;
/**
 * ...and how often judge mode's wait reads the status for LONG_POLL_FAST_WINDOW_MS after the create: a short burst
 * of cheap reads where latency is felt.
 */
export const LONG_POLL_FAST_INTERVAL_MS = 10;
export const LONG_POLL_FAST_WINDOW_MS = 400;
/**
 * A held output long poll in that window after this API instance created the run or took its input, when output is
 * expected at once (the first bytes, the reply): the output at that pace (what the client waits for; a read that
 * finds nothing answers 404 or 416, which OSS does not bill) and the status beside every other one (a billed 200 once
 * the run started; a change of state shows at most `statusEveryMs` late). The periods run from one look's start to the
 * next (core/runService.ts). A faster pace was tried (output every 5 ms): its extra reads cost the API's CPU (and,
 * on one machine, the emulator's) while the program starts, and the first output came later, not sooner.
 */
export const LONG_POLL_FAST_STEP = { outputEveryMs: LONG_POLL_FAST_INTERVAL_MS, statusEveryMs: 2 * LONG_POLL_FAST_INTERVAL_MS } as const;
/**
 * Outside that burst, a held long poll reads the output object every `outputEveryMs` and the status object (beside
 * it) at most every `statusEveryMs`, slower the longer the poll has been held without news: a silence that lasts is
 * a program sleeping, computing or waiting for a person (whose input, taken by this instance, wakes the poll at
 * once). So output after a long silence shows at most `outputEveryMs` late and a silent end `statusEveryMs` late,
 * and an idle watcher costs 1000 / outputEveryMs + 1000 / statusEveryMs requests a second. Each row holds until
 * `untilMs` of the poll; the client's next poll (after any news) starts at the first row again.
 */
export const LONG_POLL_IDLE_STEPS = [
  { untilMs: 2_000, outputEveryMs: LONG_POLL_INTERVAL_MS, statusEveryMs: 200 },
  { untilMs: 10_000, outputEveryMs: 100, statusEveryMs: 500 },
  { untilMs: Infinity, outputEveryMs: 200, statusEveryMs: 1_000 },
] as const;
/** Most bytes one output read returns; the client reads again from the returned offset. */
export const MAX_OUTPUT_READ_BYTES = 256 * KiB;

/** Terminal size a run starts with. */
export const DEFAULT_COLS = 80;
export const DEFAULT_ROWS = 24;

/** Grace between SIGTERM-free hard kill rounds when sweeping a run's uid. */
export const KILL_SWEEP_ROUNDS = 50;

// ---------------------------------------------------------------- judge (POST /api/execute)
// The per-test limits are the `judge` column of the run limits table (core/runLimits.ts), named here for
// core/executeRequest.ts and core/judge/. The compile step's budget is every run's (COMPILE_* above).

/** Per test: CPU time of the program's whole process tree, default and maximum. */
export const JUDGE_DEFAULT_CPU_MS = RUN_LIMITS.cpuMs.judge.default;
export const JUDGE_MAX_CPU_MS = RUN_LIMITS.cpuMs.judge.max;
export const JUDGE_MIN_CPU_MS = RUN_LIMITS.cpuMs.min;
/** Per test: wall time, default and maximum. */
export const JUDGE_DEFAULT_TIMEOUT_MS = RUN_LIMITS.timeoutMs.judge.default;
export const JUDGE_MAX_TIMEOUT_MS = RUN_LIMITS.timeoutMs.judge.max;
/** Per test: memory the program's tree uses (not address space it reserves), in MiB as the request gives it. */
export const JUDGE_DEFAULT_MEMORY_MB = RUN_LIMITS.memoryBytes.judge.default / MiB;
export const JUDGE_MAX_MEMORY_MB = RUN_LIMITS.memoryBytes.judge.max / MiB;
export const JUDGE_MIN_MEMORY_MB = RUN_LIMITS.memoryBytes.min / MiB;
/** Per test and per stream (stdout and stderr each). */
export const JUDGE_DEFAULT_OUTPUT_BYTES = RUN_LIMITS.outputBytes.judge.default;
export const JUDGE_MAX_OUTPUT_BYTES = RUN_LIMITS.outputBytes.judge.max;
/** Most tests in one request, and most extra files beside the code. */
export const JUDGE_MAX_TESTS = 50;
export const JUDGE_MAX_FILES = 20;
/** Longest extra file name (a relative path). */
export const JUDGE_MAX_FILE_NAME_BYTES = 255;
/** Each test's stdin and expected output (the request body's own cap applies to all of them together). */
export const JUDGE_MAX_TEST_FIELD_BYTES = 64 * KiB;
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
/**
 * A judge command's tree is held to its CPU time limit by a watch (adapters/sandbox/cpuWatch.ts) that looks no more
 * often than this once the limit is near: the tree stops within about this times the cores past its limit.
 */
export const CPU_WATCH_MIN_INTERVAL_MS = 20;

/** Piston's WebSocket (`GET /api/v2/connect`): a socket that has sent no `init` this long after it opened is closed (4001), as Piston does. */
export const PISTON_INIT_TIMEOUT_MS = 1_000;
/**
 * How long one output read of a socket's run is held (the long poll); a socket that went away is noticed by then. The
 * storage polls inside are paced by LONG_POLL_INTERVAL_MS whatever this is, so a shorter hold costs no requests.
 */
export const PISTON_OUTPUT_WAIT_MS = 1_000;
/**
 * The API's request time limit when none is configured: FC's timeout of the API function (the stack's
 * `apiTimeoutSeconds`, from which it writes API_TIMEOUT_MS), which the local platform applies too. FC ends whatever
 * is still open at it, a WebSocket included, without a word to either side.
 */
export const API_TIMEOUT_DEFAULT_MS = 60_000;
/**
 * A Piston WebSocket session ends on its own this long before the API's request time limit, so the client is told
 * (an `error` message, then 4002) instead of finding its connection cut: time for the run's kill (one control
 * write), the message and the close handshake to get through before FC cuts the connection.
 */
export const PISTON_SESSION_END_MARGIN_MS = 3_000;
/** One WebSocket message from a client (an `init` with its files, a chunk of stdin): the request body's cap. */
export const PISTON_MAX_MESSAGE_BYTES = MAX_REQUEST_BODY_BYTES;
/**
 * A socket's messages waiting for the one before them to reach storage: past this many the socket is not read
 * until they have (TCP's backpressure slows the client). Each input is one storage write, slower than a client can
 * send: without the bound, one socket sending one-byte inputs grew the API's memory by 140 MB a second.
 */
export const PISTON_MAX_QUEUED_MESSAGES = 64;

/**
 * The runtimes list (`keys.runtimes()`, GET /api/runtimes) an executor instance trusts without probing every tool
 * again: written by an executor of the same build (bundle and isolation) less than this long ago. Toolchains change
 * only with the host's image, so an hour bounds how long a changed host lists what it had.
 */
export const RUNTIMES_DOC_MAX_AGE_MS = 60 * 60_000;
/**
 * How long an executor instance with no run in flight waits before it probes every tool for that list (plus as
 * much again at random, so that instances started together do not all probe: each reads the list again first).
 */
export const RUNTIMES_PROBE_IDLE_MS = 300;
