/**
 * The signal Piston reports for a stage (handlers/isolateSignal.ts): SIGKILL for one stopped at a limit, the
 * compiler's time included, as Piston's api/src/job.js says for a stage isolate stopped; the program's own otherwise.
 */
import { compileOutOfTime } from '../../core/judge/compileVerdict';
import { isolateSignal } from '../../handlers/isolateSignal';

const cases: Array<[string, { status: string; signal: string | null; message?: string }, string | null]> = [
  ['a time limit, stopped through the run head', { status: 'timeout', signal: 'SIGTERM' }, 'SIGKILL'],
  ['an output limit, the same', { status: 'output_limit', signal: 'SIGTERM' }, 'SIGKILL'],
  ['a judge compile stopped for time (no signal recorded)', { status: 'compile_error', signal: null, message: compileOutOfTime('wall time limit of 0.1 s exceeded') }, 'SIGKILL'],
  ['an interactive compile stopped for time', { status: 'compile_error', signal: 'SIGTERM', message: compileOutOfTime('it took longer than 0.1 s') }, 'SIGKILL'],
  ['a compiler refusing the code', { status: 'compile_error', signal: null, message: 'the compiler exited with code 1' }, null],
  ["the program's own SIGTERM", { status: 'runtime_error', signal: 'SIGTERM' }, 'SIGTERM'],
  ["the program's own SIGSEGV", { status: 'runtime_error', signal: 'SIGSEGV' }, 'SIGSEGV'],
  ['a plain exit', { status: 'runtime_error', signal: null }, null],
];

test.each(cases)('%s', (_name, result, signal) => {
  expect(isolateSignal(result)).toBe(signal);
});
