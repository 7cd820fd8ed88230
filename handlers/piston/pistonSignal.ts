/**
 * The signal Piston reports for a stage: a program it stops at a limit (its `TO`, `OL`, `EL`) is killed with SIGKILL
 * and reported so, while pocketrun ends it through its run head with SIGTERM (core/stopThroughRunHead.ts), which the
 * program dies of. Clients written against Piston look for SIGKILL there; every other signal is the program's own.
 */
const STOPPED_AT_A_LIMIT = new Set(['timeout', 'output_limit']);

export function pistonSignal(result: { status: string; signal: string | null }): string | null {
  if (result.signal === 'SIGTERM' && STOPPED_AT_A_LIMIT.has(result.status)) return 'SIGKILL';
  return result.signal;
}
