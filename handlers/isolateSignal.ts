/**
 * The signal Piston reports for a stage stopped at a limit (a time or output limit, the compiler's time included):
 * its api/src/job.js says SIGKILL for a stage isolate stopped (status TO, OL, EL), while pocketrun ends it through
 * its run head with SIGTERM (core/stopThroughRunHead.ts), which the program dies of, or, for a judge run's compile
 * step, reports no signal at all. Clients written against it look for SIGKILL there; every other signal is the
 * program's own. Judge0 reads isolate's meta file otherwise: judge0/judge0Exit.ts.
 */
import { compileTimedOut } from '../core/judge/compileVerdict';

const STOPPED_AT_A_LIMIT = new Set(['timeout', 'output_limit']);

export function isolateSignal(result: { status: string; signal: string | null; message?: string }): string | null {
  if (result.status === 'compile_error' && compileTimedOut(result.message)) return 'SIGKILL';
  if (result.signal === 'SIGTERM' && STOPPED_AT_A_LIMIT.has(result.status)) return 'SIGKILL';
  return result.signal;
}
