/**
 * `pocketrun`: the command-line client.
 *
 *   pocketrun run FILE [--lang L] [-- ARGS…]     run interactively, as in a local terminal
 *   pocketrun exec FILE [--stdin F] [--expect F]  judge mode: one blocking run, verdict and figures
 *   pocketrun runtimes                            the languages the platform can run
 *
 * Everywhere: `--url URL` (or POCKETRUN_URL; default the local platform, http://127.0.0.1:8080) and `--token T`
 * (or POCKETRUN_TOKEN). Exit status: cli/exitStatus.ts; 128 + n when a signal ends the CLI itself (the run is killed).
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { StringDecoder } from 'string_decoder';
import { parseArgs } from 'util';
import { LANGUAGES } from '../core/languages';
import { streamText } from '../core/judge/streamText';
import { ApiClient, ApiRefusal, Unreachable, type OutputChunk } from './apiClient';
import { exitStatusOf } from './exitStatus';

const DEFAULT_URL = 'http://127.0.0.1:8080';
/** Long-poll hold per output request: the API's own maximum is 25 s. */
const POLL_WAIT_MS = 20_000;
/** Three Ctrl-C within this long kill the run: the program itself may ignore SIGINT. */
const KILL_CHORD_MS = 1_000;

const HELP: Record<string, string> = {
  main: `usage: pocketrun <command> [options]

commands:
  run FILE [--lang L] [-- ARGS...]       run a program as in a local terminal
  exec FILE [--stdin F] [--expect F]     judge mode: run once, print the verdict and figures
  runtimes                               list the languages the platform can run

options for every command:
  --url URL      the platform (POCKETRUN_URL; default ${DEFAULT_URL})
  --token T      bearer token, when the platform requires one (POCKETRUN_TOKEN)
  -h, --help     help for a command`,
  run: `usage: pocketrun run FILE [--lang L] [--url URL] [--token T] [-- ARGS...]

Runs FILE on the platform. With a terminal, it behaves like a local one: output streams, keystrokes go to the
program, the window size follows yours, Ctrl-C interrupts the program (three within a second stop the run).
With stdin piped, the piped text is the program's stdin, then end of file, and no terminal is involved.
The language comes from FILE's extension unless --lang names it. Exits with the program's exit status.`,
  exec: `usage: pocketrun exec FILE [--lang L] [--stdin F] [--expect F] [--url URL] [--token T]

Judge mode: runs FILE once with F (or nothing) as stdin and prints its stdout and stderr, then the verdict,
time and memory on stderr. With --expect, the output is compared (trailing white space ignored).
Exits 0 when the verdict is ok or accepted, 1 otherwise.`,
  runtimes: `usage: pocketrun runtimes [--url URL] [--token T]

Lists the languages the platform can run, with their versions and aliases.`,
};

class UsageError extends Error {}

function languageFor(file: string, given: string | undefined): string {
  if (given) return given;
  const ext = path.extname(file).toLowerCase();
  for (const lang of LANGUAGES.values()) if (path.extname(lang.source('').fileName).toLowerCase() === ext) return lang.id;
  throw new UsageError(`${file}: cannot tell the language from "${ext || 'no extension'}"; name it with --lang`);
}

function readSource(file: string): string {
  return readBytes(file).toString('utf8');
}

function readBytes(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/**
 * How long `follow` keeps retrying while it gets no answer at all: every wait has a bound, and a platform gone for
 * two minutes should not hold the terminal. It then exits 2 naming the run, which may still be going.
 */
const GIVE_UP_MS = 120_000;

/** The CLI left a run it could no longer reach: exit 2, the run perhaps still going. */
class LeftRun extends Error {}

/** A pause that an abort ends early. */
const pause = (ms: number, stop?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    stop?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Follows a run's output from `offset` until it ended, writing it to stdout; resumes after network errors. */
async function follow(api: ApiClient, id: string, stop: AbortSignal): Promise<NonNullable<OutputChunk['result']>> {
  let offset = 0;
  let failures = 0;
  let failingSince = 0;
  for (;;) {
    let chunk: OutputChunk;
    try {
      chunk = await api.output(id, offset, POLL_WAIT_MS, stop);
      failures = 0;
    } catch (err) {
      if (stop.aborted) throw stop.reason;
      if (err instanceof ApiRefusal && err.status < 500) throw err;
      // The network or an instance went away for a moment: the run goes on, so does the following.
      if (failures++ === 0) {
        failingSince = Date.now();
        process.stderr.write(`\r\npocketrun: ${(err as Error).message}; retrying…${process.stdin.isTTY ? ' (three Ctrl-C to give up)' : ''}\r\n`);
      } else if (Date.now() - failingSince > GIVE_UP_MS) {
        throw new LeftRun(`no answer from the platform for ${GIVE_UP_MS / 1000} s; run ${id} may still be going`);
      }
      await pause(Math.min(200 * 2 ** failures, 5_000), stop);
      if (stop.aborted) throw stop.reason;
      continue;
    }
    if (chunk.data) await writeOut(Buffer.from(chunk.data, 'base64'));
    offset = chunk.offset;
    if (chunk.eof && chunk.result) return chunk.result;
  }
}

/**
 * Writes to stdout and, while its pipe is full, waits for the reader: a slow one (`| less`) holds the following
 * back instead of the CLI buffering the whole output in memory. A closed stdout is the SIGPIPE path (run()).
 */
function writeOut(bytes: Buffer): Promise<void> {
  const out = process.stdout;
  if (out.destroyed || out.write(bytes)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}

/** A request unanswered this long is taken as lost on the way (a dead connection says nothing) and sent again. */
const ANSWER_WITHIN_MS = 15_000;

/** How long a create that gets no answer is sent again (under its key) before the CLI says the platform is unreachable. */
const CREATE_RETRY_MS = 10_000;

/** An answer that is final: the API refused the request (not a 5xx or a 429, which say "later"). */
const isRefusal = (err: unknown): err is ApiRefusal => err instanceof ApiRefusal && err.status < 500 && err.status !== 429;

/**
 * Makes the request (under an idempotency key the caller chose, so a repeat of one that had arrived counts once)
 * again while it gets no answer, a 5xx or a 429, until `forMs` have passed or `stop` aborts; then, or at a
 * refusal, throws that error. `neverSentIsFinal`: a platform that surely never saw it (nothing listening) is
 * reported at once rather than waited for.
 */
async function untilAnswered<T>(request: (signal: AbortSignal) => Promise<T>, forMs: number, options: { stop?: AbortSignal; neverSentIsFinal?: boolean } = {}): Promise<T> {
  const { stop, neverSentIsFinal = false } = options;
  const since = Date.now();
  for (let failures = 1; ; failures++) {
    const answerWithin = AbortSignal.timeout(ANSWER_WITHIN_MS);
    try {
      return await request(stop ? AbortSignal.any([stop, answerWithin]) : answerWithin);
    } catch (err) {
      const neverSent = err instanceof Unreachable && !err.mayHaveArrived;
      if (isRefusal(err) || (neverSentIsFinal && neverSent) || stop?.aborted || Date.now() - since > forMs) throw err;
      await pause(Math.min(200 * 2 ** failures, 2_000), stop);
    }
  }
}

/**
 * Creates the run under an `Idempotency-Key` of 16 random bytes, sent again under that key while unanswered for
 * CREATE_RETRY_MS: the API names the run after the key and the request, so a create that had arrived is the run
 * the CLI then follows, not one left running unseen beside a second.
 */
async function createRun(api: ApiClient, body: Record<string, unknown>): Promise<string> {
  const key = randomBytes(16).toString('hex');
  return (await untilAnswered((signal) => api.createRun(body, key, signal), CREATE_RETRY_MS, { neverSentIsFinal: true })).id;
}

/**
 * Sends what is typed, in order, one request at a time, each piece under an idempotency key of its own and sent
 * again under it while unanswered (core/idempotencyKey.ts: applied once), for up to GIVE_UP_MS; a refusal is said
 * once, on stderr.
 */
function inputQueue(api: ApiClient, id: string, stop: AbortSignal): (data: string) => void {
  // No two CLIs share a prefix; the count orders this one's keys.
  const prefix = randomBytes(8).toString('hex');
  let pieces = 0;
  let chain = Promise.resolve();
  const send = async (data: string, key: string) => {
    try {
      await untilAnswered((signal) => api.input(id, data, key, signal), GIVE_UP_MS, { stop });
    } catch (err) {
      // 409: the run ended meanwhile, which its end says; another refusal is the API's reason; no answer at all is
      // what the output's following reports.
      if (isRefusal(err) && err.status !== 409) process.stderr.write(`\r\npocketrun: input not sent: ${err.message}\r\n`);
    }
  };
  return (data) => {
    const key = `${prefix}-${++pieces}`;
    chain = chain.then(() => send(data, key));
  };
}

/** How long a kill may take when the CLI itself is ending (a signal, a closed terminal, giving up). */
const KILL_ON_LEAVE_MS = 3_000;

/** Asks the platform to stop the run, giving up after KILL_ON_LEAVE_MS. */
const killWithin = (api: ApiClient, id: string) => api.kill(id, AbortSignal.timeout(KILL_ON_LEAVE_MS));

/**
 * The status the CLI exits with once it is leaving a run early (a signal, stdout closed), whatever the run's own
 * end then says: the shell expects 128 + n for a CLI ended by signal n.
 */
let leavingWith: number | null = null;

/** Stops the run (within KILL_ON_LEAVE_MS; a platform that cannot be told keeps it to its limits) and exits. */
function leaveRun(api: ApiClient, id: string, status: number, restore: () => void): void {
  if (leavingWith !== null) return;
  leavingWith = status;
  restore();
  void killWithin(api, id)
    .catch(() => undefined)
    .then(() => exitAfterFlush(status));
}

/**
 * Ends the run when the CLI is ended by a signal, as a local program dies with its terminal: SIGINT (Ctrl-C with
 * stdin piped), SIGTERM, and SIGHUP (the window closed, ssh dropped).
 */
function killOnSignals(api: ApiClient, id: string, restore: () => void): () => void {
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((name) => {
    const handler = () => leaveRun(api, id, 128 + os.constants.signals[name], restore);
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  return () => handlers.forEach((off) => off());
}

async function run(api: ApiClient, file: string, lang: string | undefined, args: string[]): Promise<number> {
  const code = readSource(file);
  const language = languageFor(file, lang);
  const interactive = process.stdin.isTTY === true;
  const stop = new AbortController();
  let id: string;
  let restore = () => undefined as void;
  if (!interactive) {
    // Piped stdin: the whole text, then end of file, through pipes (no terminal, so no echo), like `prog < file`.
    const stdin = fs.readFileSync(0, 'utf8');
    id = await createRun(api, { language, code, args, stdin, tty: false });
  } else {
    const cols = process.stdout.columns || 80;
    const rows = process.stdout.rows || 24;
    id = await createRun(api, { language, code, args, cols, rows });
    const send = inputQueue(api, id, stop.signal);
    const ctrlC: number[] = [];
    process.stdin.setRawMode(true);
    process.stdin.resume();
    // A character's bytes may come in two reads (a paste fills the terminal's buffer mid-character): the decoder
    // holds an unfinished one for the next read instead of sending U+FFFD for each half.
    const decoder = new StringDecoder('utf8');
    process.stdin.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (text === '') return;
      // Counted per character: three quick Ctrl-C may come in one read.
      const presses = text.split('\x03').length - 1;
      if (presses > 0) {
        const now = Date.now();
        for (let i = 0; i < presses; i++) ctrlC.push(now);
        while (ctrlC.length > 0 && now - ctrlC[0] > KILL_CHORD_MS) ctrlC.shift();
        if (ctrlC.length >= 3) {
          ctrlC.length = 0;
          // Stop the run; when the platform cannot be told, leave it rather than hold the terminal.
          void killWithin(api, id).catch(() => stop.abort(new LeftRun(`could not reach the platform to stop run ${id}; it may still be going`)));
          return;
        }
      }
      send(text);
    });
    const onResize = () => void api.resize(id, process.stdout.columns || cols, process.stdout.rows || rows).catch(() => undefined);
    process.stdout.on('resize', onResize);
    restore = () => {
      process.stdout.off('resize', onResize);
      process.stdin.setRawMode(false);
      process.stdin.pause();
    };
  }
  const unhook = killOnSignals(api, id, restore);
  // A closed stdout (`| head`) ends the run as SIGPIPE would end a local program.
  const onStdoutError = () => leaveRun(api, id, 128 + os.constants.signals.SIGPIPE, restore);
  process.stdout.on('error', onStdoutError);
  try {
    return report(await follow(api, id, stop.signal));
  } finally {
    unhook();
    process.stdout.off('error', onStdoutError);
    if (leavingWith === null) restore();
  }
}

/** Says on stderr why a run ended when its own exit status does not, and returns the status to exit with. */
function report(result: NonNullable<OutputChunk['result']>): number {
  if (!['ok', 'runtime_error'].includes(result.status)) {
    process.stderr.write(`\r\npocketrun: ${result.status}${result.message ? `: ${result.message}` : ''}\r\n`);
  }
  return exitStatusOf(result);
}

async function exec(api: ApiClient, file: string, lang: string | undefined, stdinFile: string | undefined, expectFile: string | undefined): Promise<number> {
  const body: Record<string, unknown> = { language: languageFor(file, lang), code: readSource(file) };
  if (stdinFile) {
    // A file that is not UTF-8 (binary input) goes as its bytes: as text it would reach the program with U+FFFD.
    const { text, base64 } = streamText(readBytes(stdinFile));
    if (base64 === undefined) body.stdin = text;
    else body.stdinBase64 = base64;
  }
  if (expectFile) body.expectedOutput = readSource(expectFile);
  const result = await api.execute(body);
  // The verdict line starts a line of its own, whatever the compiler's or the program's stderr ended with.
  let errEnd = '\n';
  const toStderr = (text: unknown) => {
    if (typeof text !== 'string' || text === '') return;
    process.stderr.write(text);
    errEnd = text.slice(-1);
  };
  toStderr(result.compileOutput);
  if (typeof result.stdout === 'string') process.stdout.write(result.stdout);
  toStderr(result.stderr);
  if (errEnd !== '\n') process.stderr.write('\n');
  const figures = [
    typeof result.wallMs === 'number' ? `${result.wallMs} ms wall` : null,
    typeof result.cpuMs === 'number' ? `${result.cpuMs} ms cpu` : null,
    typeof result.memoryKb === 'number' ? `${(result.memoryKb / 1024).toFixed(1)} MiB` : null,
  ].filter(Boolean);
  process.stderr.write(`${String(result.status)}${result.message ? ` (${String(result.message)})` : ''}${figures.length ? ` · ${figures.join(' · ')}` : ''}\n`);
  return result.status === 'ok' || result.status === 'accepted' ? 0 : 1;
}

async function runtimes(api: ApiClient): Promise<number> {
  const list = await api.runtimes();
  const rows = list.map((r) => [r.language, r.version, r.compiled ? 'compiled' : '', r.aliases.join(', ')]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), 4));
  for (const r of rows) process.stdout.write(`${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3]}\n`.replace(/ +\n$/, '\n'));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '-h' || command === '--help') {
    process.stdout.write(`${HELP.main}\n`);
    return command ? 0 : 2;
  }
  if (!(command in HELP) || command === 'main') throw new UsageError(`unknown command "${command}"\n\n${HELP.main}`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      lang: { type: 'string' },
      stdin: { type: 'string' },
      expect: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP[command]}\n`);
    return 0;
  }
  const url = values.url ?? process.env.POCKETRUN_URL ?? DEFAULT_URL;
  // Said as what it is: `--url 127.0.0.1:8080` is not a platform that cannot be reached.
  if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) throw new UsageError(`--url ${url}: expected an http:// or https:// URL, e.g. ${DEFAULT_URL}`);
  const api = new ApiClient(url, values.token ?? process.env.POCKETRUN_TOKEN);
  if (command === 'runtimes') return runtimes(api);
  const [file, ...args] = positionals;
  if (!file) throw new UsageError(`${command}: a FILE to run is required\n\n${HELP[command]}`);
  if (command === 'run') return run(api, file, values.lang, args);
  return exec(api, file, values.lang, values.stdin, values.expect);
}

/**
 * Exits once stdout and stderr have handed everything to the kernel: `process.exit` with writes pending on a pipe
 * drops them (`pocketrun run big.py | less` lost all but the first 64 KiB).
 */
function exitAfterFlush(status: number): void {
  let left = 2;
  const one = () => {
    if (--left === 0) process.exit(status);
  };
  for (const stream of [process.stdout, process.stderr]) {
    // A closed pipe has nothing more to take: its error ends the wait as its flush would.
    if (stream.destroyed) one();
    else {
      stream.once('error', one);
      stream.write('', one);
    }
  }
}

/** Runs `main` and exits with its status; a usage error, a refusal or an unreachable platform exits 2 with a line saying so. */
export function cli(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (status) => exitAfterFlush(leavingWith ?? status),
    (err: unknown) => {
      if (leavingWith !== null) return exitAfterFlush(leavingWith);
      if (err instanceof UsageError) process.stderr.write(`pocketrun: ${err.message}\n`);
      else if (err instanceof ApiRefusal) process.stderr.write(`pocketrun: the platform refused (${err.status}): ${err.message}\n`);
      else process.stderr.write(`pocketrun: ${err instanceof Error ? err.message : String(err)}\n`);
      exitAfterFlush(2);
    },
  );
}

if (require.main === module) cli();
