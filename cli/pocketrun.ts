/**
 * `pocketrun`: the command-line client.
 *
 *   pocketrun run FILE [--lang L] [-- ARGS…]     run interactively, as in a local terminal
 *   pocketrun exec FILE [--stdin F] [--expect F]  judge mode: one blocking run, verdict and figures
 *   pocketrun runtimes                            the languages the platform can run
 *
 * Everywhere: `--url URL` (or POCKETRUN_URL; default the local platform, http://127.0.0.1:8080) and `--token T`
 * (or POCKETRUN_TOKEN). Exit status: the program's own, 128 + n for a signal, 124 for a timeout, 1 otherwise.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { LANGUAGES } from '../core/languages';
import { ApiClient, ApiRefusal, type OutputChunk } from './apiClient';

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
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** The exit status a shell would give the program's end. */
function exitStatusOf(result: NonNullable<OutputChunk['result']>): number {
  if (result.exitCode !== null && result.exitCode !== undefined) return result.exitCode;
  const signal = result.signal ? (os.constants.signals as Record<string, number>)[result.signal] : undefined;
  if (signal) return 128 + signal;
  return result.status === 'timeout' ? 124 : 1;
}

/** Follows a run's output from `offset` until it ended, writing it to stdout; resumes after network errors. */
async function follow(api: ApiClient, id: string, stop: AbortSignal): Promise<NonNullable<OutputChunk['result']>> {
  let offset = 0;
  let failures = 0;
  for (;;) {
    let chunk: OutputChunk;
    try {
      chunk = await api.output(id, offset, POLL_WAIT_MS, stop);
      failures = 0;
    } catch (err) {
      if (err instanceof ApiRefusal && err.status < 500) throw err;
      if ((err as Error).name === 'AbortError') throw err;
      // The network or an instance went away for a moment: the run goes on, so does the following.
      failures++;
      if (failures === 1) process.stderr.write(`\r\npocketrun: ${(err as Error).message}; retrying…\r\n`);
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** failures, 5_000)));
      continue;
    }
    if (chunk.data) process.stdout.write(Buffer.from(chunk.data, 'base64'));
    offset = chunk.offset;
    if (chunk.eof && chunk.result) return chunk.result;
  }
}

/** Sends what is typed, in order, one request at a time. */
function inputQueue(api: ApiClient, id: string): (data: string) => void {
  let chain = Promise.resolve();
  return (data) => {
    chain = chain.then(
      () => api.input(id, data).then(() => undefined),
      () => undefined,
    );
    chain.catch(() => undefined);
  };
}

async function run(api: ApiClient, file: string, lang: string | undefined, args: string[]): Promise<number> {
  const code = readSource(file);
  const language = languageFor(file, lang);
  const interactive = process.stdin.isTTY === true;
  const stop = new AbortController();
  if (!interactive) {
    // Piped stdin: the whole text, then end of file, through pipes (no terminal, so no echo), like `prog < file`.
    const stdin = fs.readFileSync(0, 'utf8');
    const { id } = await api.createRun({ language, code, args, stdin, tty: false });
    const result = await follow(api, id, stop.signal);
    return report(result);
  }
  const cols = process.stdout.columns || 80;
  const rows = process.stdout.rows || 24;
  const { id } = await api.createRun({ language, code, args, cols, rows });
  const send = inputQueue(api, id);
  const ctrlC: number[] = [];
  process.stdin.setRawMode(true);
  process.stdin.resume();
  process.stdin.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (text === '\x03') {
      const now = Date.now();
      ctrlC.push(now);
      while (ctrlC.length > 0 && now - ctrlC[0] > KILL_CHORD_MS) ctrlC.shift();
      if (ctrlC.length >= 3) {
        void api.kill(id).catch(() => undefined);
        return;
      }
    }
    send(text);
  });
  const onResize = () => void api.resize(id, process.stdout.columns || cols, process.stdout.rows || rows).catch(() => undefined);
  process.stdout.on('resize', onResize);
  try {
    return report(await follow(api, id, stop.signal));
  } finally {
    process.stdout.off('resize', onResize);
    process.stdin.setRawMode(false);
    process.stdin.pause();
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
  if (stdinFile) body.stdin = readSource(stdinFile);
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
  const api = new ApiClient(values.url ?? process.env.POCKETRUN_URL ?? DEFAULT_URL, values.token ?? process.env.POCKETRUN_TOKEN);
  if (command === 'runtimes') return runtimes(api);
  const [file, ...args] = positionals;
  if (!file) throw new UsageError(`${command}: a FILE to run is required\n\n${HELP[command]}`);
  if (command === 'run') return run(api, file, values.lang, args);
  return exec(api, file, values.lang, values.stdin, values.expect);
}

/** Runs `main` and exits with its status; a usage error, a refusal or an unreachable platform exits 2 with a line saying so. */
export function cli(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (status) => process.exit(status),
    (err: unknown) => {
      if (err instanceof UsageError) process.stderr.write(`pocketrun: ${err.message}\n`);
      else if (err instanceof ApiRefusal) process.stderr.write(`pocketrun: the platform refused (${err.status}): ${err.message}\n`);
      else process.stderr.write(`pocketrun: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}

if (require.main === module) cli();
