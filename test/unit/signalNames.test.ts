/** One familiar name per signal number, whatever aliases os.constants.signals lists beside it. */
import * as os from 'os';
import { canonicalSignalName, signalName } from '../../adapters/process/signalNames';

test.each<[number | null | undefined, string | null]>([
  [6, 'SIGABRT'],
  [17, 'SIGCHLD'],
  [29, 'SIGIO'],
  [31, 'SIGSYS'],
  [1, 'SIGHUP'],
  [9, 'SIGKILL'],
  [11, 'SIGSEGV'],
  [13, 'SIGPIPE'],
  [15, 'SIGTERM'],
  [24, 'SIGXCPU'],
  [25, 'SIGXFSZ'],
  [30, 'SIGPWR'],
  [77, 'SIG77'],
  [0, null],
  [null, null],
  [undefined, null],
])('signal %p is %p', (num, name) => {
  expect(signalName(num)).toBe(name);
});

test.each<[string | null, string | null]>([
  ['SIGIOT', 'SIGABRT'],
  ['SIGABRT', 'SIGABRT'],
  ['SIGPOLL', 'SIGIO'],
  ['SIGSEGV', 'SIGSEGV'],
  ['SIGWHAT', 'SIGWHAT'],
  [null, null],
])('the name Node reported, %p, is reported as %p', (reported, name) => {
  expect(canonicalSignalName(reported)).toBe(name);
});

test('every number this host names has exactly one name, and it is none of the aliases', () => {
  const aliases = ['SIGIOT', 'SIGCLD', 'SIGPOLL', 'SIGUNUSED'];
  for (const [name, num] of Object.entries(os.constants.signals as Record<string, number>)) {
    const reported = signalName(num)!;
    expect(aliases).not.toContain(reported);
    expect((os.constants.signals as Record<string, number>)[reported]).toBe(num);
    if (!aliases.includes(name)) expect(canonicalSignalName(name)).toBe(reported);
  }
});
