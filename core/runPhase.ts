/**
 * The executor-side phases of one run and the only moves between them, as a table (piston's job states, with the
 * checks in one place). A move the table does not list is a bug in the lifecycle, so it throws rather than leaving a
 * run in a state nobody planned for, e.g. a status written as running after the final one.
 */
export type Phase = 'claimed' | 'starting' | 'running' | 'finishing' | 'finished';

export const PHASE_TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  claimed: ['starting'],
  // Straight to finishing when the program never starts: a kill sent while queued, a missing manifest, a sandbox
  // that cannot be prepared.
  starting: ['running', 'finishing'],
  running: ['finishing'],
  finishing: ['finished'],
  finished: [],
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: Phase,
    readonly to: Phase,
  ) {
    super(`run phase: ${from} → ${to} is not a transition`);
    this.name = 'IllegalTransitionError';
  }
}

export class RunPhase {
  private phase: Phase = 'claimed';

  get current(): Phase {
    return this.phase;
  }

  is(...phases: Phase[]): boolean {
    return phases.includes(this.phase);
  }

  to(next: Phase): void {
    if (!PHASE_TRANSITIONS[this.phase].includes(next)) throw new IllegalTransitionError(this.phase, next);
    this.phase = next;
  }
}
