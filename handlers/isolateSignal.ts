/**
 * The signal Piston and Judge0 report for a program stopped at a limit (a time or output limit): both run programs
 * under isolate, which kills it with SIGKILL and says so (Piston's stage `signal`, Judge0's `exit_signal` 9), while
 * pocketrun ends it through its run head with SIGTERM (core/stopThroughRunHead.ts), which the program dies of.
 * Clients written against them look for SIGKILL there; every other signal is the program's own.
 */
const STOPPED_AT_A_LIMIT = new Set(['timeout', 'output_limit']);

export function isolateSignal(result: { status: string; signal: string | null }): string | null {
  if (result.signal === 'SIGTERM' && STOPPED_AT_A_LIMIT.has(result.status)) return 'SIGKILL';
  return result.signal;
}
