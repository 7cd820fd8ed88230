/** `pocketrun run`'s exit status for each way a run can end (README, *Command line*). */
import * as os from 'os';
import { exitStatusOf, TIMEOUT_STATUS, type RunEnd } from '../../cli/exitStatus';

const cases: Array<[string, RunEnd, number]> = [
  ['a clean exit', { status: 'ok', exitCode: 0, signal: null }, 0],
  ['the program’s own exit code', { status: 'runtime_error', exitCode: 7, signal: null }, 7],
  ['a signal of the program’s own doing', { status: 'runtime_error', exitCode: null, signal: 'SIGSEGV' }, 128 + os.constants.signals.SIGSEGV],
  // The platform stops a timed-out run with SIGTERM: that signal is not the program's, the timeout is.
  ['a timeout, stopped by SIGTERM', { status: 'timeout', exitCode: null, signal: 'SIGTERM' }, TIMEOUT_STATUS],
  ['a timeout after the program exited by itself on SIGTERM', { status: 'timeout', exitCode: 143, signal: null }, TIMEOUT_STATUS],
  ['an output limit', { status: 'output_limit', exitCode: null, signal: 'SIGTERM' }, 1],
  ['a memory limit', { status: 'memory_limit', exitCode: null, signal: 'SIGKILL' }, 1],
  ['a disk limit', { status: 'disk_limit', exitCode: null, signal: 'SIGXFSZ' }, 1],
  ['a kill', { status: 'killed', exitCode: null, signal: 'SIGKILL' }, 1],
  ['a compile error', { status: 'compile_error', exitCode: 1, signal: null }, 1],
  ['an internal error', { status: 'internal_error', exitCode: null, signal: null }, 1],
  ['an unknown signal name', { status: 'runtime_error', exitCode: null, signal: 'SIGNOPE' }, 1],
];

test.each(cases)('%s', (_name, end, status) => {
  expect(exitStatusOf(end)).toBe(status);
});
