/**
 * The signals a client may send to a running program (Piston's `signal` message; the control stream's `signal`
 * record): Linux's standard signals by name, as Piston lists them. Real-time signals are not among them.
 */
export const SIGNAL_NAMES = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN',
  'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
] as const;

export type SignalName = (typeof SIGNAL_NAMES)[number];

export function isSignalName(value: unknown): value is SignalName {
  return typeof value === 'string' && (SIGNAL_NAMES as readonly string[]).includes(value);
}
