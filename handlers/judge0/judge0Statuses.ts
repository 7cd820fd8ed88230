/**
 * Judge0's 14 statuses, and which one a pocketrun judge answer is. Judge0 has no memory or output limit status
 * (its sandbox kills the program): a memory limit is its usual `Runtime Error (SIGSEGV)`… here `Other` with the
 * message saying so, an output or disk limit is `SIGXFSZ` (what Judge0's file-size limit raises).
 */
import type { ExecuteResult } from '../../core/judge/executeResult';

export interface Judge0Status {
  id: number;
  description: string;
}

export const JUDGE0_STATUSES: readonly Judge0Status[] = [
  { id: 1, description: 'In Queue' },
  { id: 2, description: 'Processing' },
  { id: 3, description: 'Accepted' },
  { id: 4, description: 'Wrong Answer' },
  { id: 5, description: 'Time Limit Exceeded' },
  { id: 6, description: 'Compilation Error' },
  { id: 7, description: 'Runtime Error (SIGSEGV)' },
  { id: 8, description: 'Runtime Error (SIGXFSZ)' },
  { id: 9, description: 'Runtime Error (SIGFPE)' },
  { id: 10, description: 'Runtime Error (SIGABRT)' },
  { id: 11, description: 'Runtime Error (NZEC)' },
  { id: 12, description: 'Runtime Error (Other)' },
  { id: 13, description: 'Internal Error' },
  { id: 14, description: 'Exec Format Error' },
];

export const status = (id: number): Judge0Status => JUDGE0_STATUSES[id - 1];

const SIGNAL_STATUS: Record<string, number> = { SIGSEGV: 7, SIGBUS: 7, SIGXFSZ: 8, SIGFPE: 9, SIGABRT: 10 };

/** The status of a finished run's answer. */
export function judge0StatusOf(result: Pick<ExecuteResult, 'status' | 'signal'>): Judge0Status {
  switch (result.status) {
    case 'ok':
    case 'accepted':
      return status(3);
    case 'wrong_answer':
      return status(4);
    case 'timeout':
      return status(5);
    case 'compile_error':
      return status(6);
    case 'runtime_error':
      return status(result.signal ? (SIGNAL_STATUS[result.signal] ?? 12) : 11);
    case 'output_limit':
    case 'disk_limit':
      return status(8);
    case 'memory_limit':
      return status(12);
    case 'internal_error':
      return status(13);
  }
}
