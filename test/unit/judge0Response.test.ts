/**
 * A judge answer as a Judge0 submission (handlers/judge0/judge0Response.ts), for what Judge0 v1.13.1 answers
 * differently from pocketrun's own figures: a compile error (isolate_job.rb's compile failure branch: only
 * `compile_output`, everything else null, "Compilation time limit exceeded." for a compiler stopped for time) and
 * the exit code and signal of a program that ran, as isolate's meta gives them (none for a time limit; SIGXFSZ for
 * status 8).
 */
import type { ExecuteResult } from '../../core/judge/executeResult';
import { compileVerdict } from '../../core/judge/compileVerdict';
import type { StepStop } from '../../core/judge/runStep';
import type { Manifest } from '../../core/protocol';
import { limitPolicyFromEnv } from '../../core/limitPolicy';
import { judgeRunLimits } from '../../core/judge/executeAndWait';
import { ALL_FIELDS, judge0Response, NotUtf8 } from '../../handlers/judge0/judge0Response';

const policy = limitPolicyFromEnv({});
const limits = judgeRunLimits({ language: 'c', code: '', args: [], files: [], tests: [{ stdin: '' }], batch: false, limits: { timeoutMs: 1000, cpuMs: 1000, memoryBytes: 64 << 20, outputBytes: 1 << 20 } }, policy);
const manifest: Manifest = {
  version: 1,
  id: 'x',
  language: 'c',
  code: 'int main( {',
  args: [],
  limits,
  interactive: false,
  cols: 80,
  rows: 24,
  createdAt: '2026-01-01T00:00:00.000Z',
  judge: { tests: [{ stdin: '' }], files: [], batch: false },
  client: { api: 'judge0', languageId: 50, redirectStderrToStdout: false, commandLineArguments: null },
};
const answer = (result: ExecuteResult) => judge0Response('x', { manifest, state: 'finished', result }, { fields: ALL_FIELDS, base64: false, runtimes: null });

/** A compile step's outcome as runStep gives it; `stop` the executor's reason, if it stopped the compiler. */
function compileFailure(stop: StepStop | null, exitCode = 1, output = ''): ExecuteResult {
  const verdict = compileVerdict(
    { exit: { exitCode: stop ? null : exitCode, signal: stop ? 'SIGTERM' : null, usage: { cpuMs: 10, wallMs: 20, maxRssKb: 1000 } }, stop, measure: { peakKb: 1000, cpuMs: 10, oomKilled: false } } as never,
    { timeoutMs: 30_000, cpuMs: 60_000, memoryBytes: 1 << 30 },
  )!;
  expect(verdict.status).toBe('compile_error');
  return { status: 'compile_error', stdout: '', stderr: '', exitCode: null, signal: null, wallMs: 0, cpuMs: 0, memoryKb: 0, message: verdict.message, compileOutput: output };
}

const NOTHING_RAN = { time: null, wall_time: null, memory: null, exit_code: null, exit_signal: null, message: null, stdout: null, stderr: null };

const compileCases: Array<[string, ExecuteResult, string | null]> = [
  ['the compiler refused the code: its output', compileFailure(null, 1, "main.c:1:11: error: expected ')'\n"), "main.c:1:11: error: expected ')'\n"],
  ['the compiler said nothing: null', compileFailure(null, 1, ''), null],
  ['stopped at its wall time', compileFailure({ reason: 'wall', message: 'wall time limit of 0.1 s exceeded' }, 0, 'half'), 'Compilation time limit exceeded.'],
  ['stopped at its CPU time', compileFailure({ reason: 'cpu', message: 'CPU time limit of 60 s exceeded' }), 'Compilation time limit exceeded.'],
  ["stopped by the request's budget", compileFailure({ reason: 'budget', message: 'the request’s time budget ran out' }), 'Compilation time limit exceeded.'],
  ['stopped at its memory: its output, not a time limit', compileFailure({ reason: 'memory', message: 'memory limit' }, 0, 'cc1: out of memory\n'), 'cc1: out of memory\n'],
];

test.each(compileCases)('compile error, %s', (_name, result, compileOutput) => {
  expect(answer(result)).toMatchObject({ ...NOTHING_RAN, status: { id: 6 }, status_id: 6, compile_output: compileOutput });
});

const ran = (extra: Partial<ExecuteResult>): ExecuteResult => ({ status: 'ok', stdout: 'x', stderr: '', exitCode: null, signal: null, wallMs: 1500, cpuMs: 1200, memoryKb: 3000, ...extra });

// isolate_job.rb: `exit_code = exitcode || 0`, `exit_signal = exitsig`; isolate writes neither for a time limit.
const signalCases: Array<[string, ExecuteResult, number, number, number | null]> = [
  ['a time limit: neither, whatever it was killed with', ran({ status: 'timeout', signal: 'SIGTERM' }), 5, 0, null],
  ['a CPU time limit after an exit of its own: still neither', ran({ status: 'timeout', exitCode: 3 }), 5, 0, null],
  ['an output limit: SIGXFSZ, the signal of its status', ran({ status: 'output_limit', signal: 'SIGTERM' }), 8, 0, 25],
  ['a disk limit: the same', ran({ status: 'disk_limit', signal: 'SIGXFSZ' }), 8, 0, 25],
  ["the program's own SIGTERM is its own", ran({ status: 'runtime_error', signal: 'SIGTERM' }), 12, 0, 15],
  ["the program's own SIGSEGV", ran({ status: 'runtime_error', signal: 'SIGSEGV' }), 7, 0, 11],
  ['abort()', ran({ status: 'runtime_error', signal: 'SIGABRT' }), 10, 0, 6],
  ['the memory cgroup’s OOM kill', ran({ status: 'memory_limit', signal: 'SIGKILL' }), 12, 0, 9],
  ['a memory limit stopped by the RSS watch (no cgroup): SIGKILL, as the cgroup would', ran({ status: 'memory_limit', signal: 'SIGTERM' }), 12, 0, 9],
  ['a memory limit the runtime reported: its exit', ran({ status: 'memory_limit', exitCode: 1 }), 12, 1, null],
  ['a plain exit: its code, no signal', ran({ status: 'runtime_error', exitCode: 3 }), 11, 3, null],
  ['exit 0', ran({ status: 'ok', exitCode: 0 }), 3, 0, null],
];

test.each(signalCases)('exit_code and exit_signal: %s', (_name, result, statusId, code, signal) => {
  const r = answer(result);
  expect(r).toMatchObject({ status_id: statusId, exit_code: code, exit_signal: signal, time: '1.2', wall_time: '1.5', memory: 3000 });
});

// Bytes that are not UTF-8 (core/judge/streamText.ts): base64 gives them exactly; without it a field holding them is
// refused (NotUtf8, answered as Judge0's controller does), and only a field asked for.
const bytes = Buffer.from([0xff, 0xfe, 0x0a]);
const binary = ran({ status: 'ok', stdout: bytes.toString('utf8'), stdoutBase64: bytes.toString('base64'), stderr: 'é\n' });
const judged = (result: ExecuteResult, fields: string[], base64: boolean, redirect = false) =>
  judge0Response('x', { manifest: { ...manifest, client: { ...manifest.client!, redirectStderrToStdout: redirect } as never }, state: 'finished', result }, { fields, base64, runtimes: null });
const fromB64 = (s: unknown) => Buffer.from(String(s), 'base64');

test('base64 of bytes that are not UTF-8 is of the exact bytes', () => {
  const r = judged(binary, ['stdout', 'stderr'], true);
  expect(fromB64(r.stdout).equals(bytes)).toBe(true);
  expect(fromB64(r.stderr).toString('utf8')).toBe('é\n');
});

test('without base64, a field asked for that is not UTF-8 is refused; one not asked for is no matter', () => {
  expect(() => judged(binary, ['stdout'], false)).toThrow(NotUtf8);
  expect(judged(binary, ['stderr', 'status_id'], false)).toEqual({ stderr: 'é\n', status_id: 3 });
});

test('stderr into stdout: the bytes of both, in order', () => {
  const both = ran({ status: 'ok', stdout: 'a', stderr: '\ufffd', stderrBase64: Buffer.from([0x80]).toString('base64') });
  expect(fromB64(judged(both, ['stdout', 'stderr'], true, true).stdout).equals(Buffer.from([0x61, 0x80]))).toBe(true);
  expect(() => judged(both, ['stdout'], false, true)).toThrow(NotUtf8);
});

test("the compiler's output that is not UTF-8: its bytes with base64, refused without", () => {
  const ce = { ...compileFailure(null, 1, '\ufffd'), compileOutputBase64: Buffer.from([0xff]).toString('base64') };
  expect(fromB64(judged(ce, ['compile_output'], true).compile_output).equals(Buffer.from([0xff]))).toBe(true);
  expect(() => judged(ce, ['compile_output'], false)).toThrow(NotUtf8);
});

// `stdin` comes back as it was sent: its exact bytes with base64, Judge0's refusal without when they are not UTF-8.
const withStdin = (test: { stdin: string; stdinBase64?: string }, base64: boolean) =>
  judge0Response('x', { manifest: { ...manifest, judge: { tests: [test], files: [], batch: false } }, state: 'finished', result: ran({}) }, { fields: ['stdin'], base64, runtimes: null });
const stdinCases: Array<[string, { stdin: string; stdinBase64?: string }, boolean, unknown]> = [
  ['bytes that are not UTF-8, base64', { stdin: '\u0000\ufffd', stdinBase64: 'AP8=' }, true, { stdin: 'AP8=' }],
  ['text, base64', { stdin: 'é' }, true, { stdin: Buffer.from('é').toString('base64') }],
  ['text, plain', { stdin: 'é' }, false, { stdin: 'é' }],
  ['empty: null', { stdin: '' }, true, { stdin: null }],
];
test.each(stdinCases)('stdin echoed: %s', (_name, test, base64, expected) => {
  expect(withStdin(test, base64)).toEqual(expected);
});
test('stdin that is not UTF-8, asked for without base64: NotUtf8', () => {
  expect(() => withStdin({ stdin: '\u0000\ufffd', stdinBase64: 'AP8=' }, false)).toThrow(NotUtf8);
});
