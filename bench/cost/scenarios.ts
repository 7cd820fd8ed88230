/**
 * The runs the cost model prices. These are descriptions of usage (how long a person thinks, how much a program
 * prints), not protocol constants: those come from core/limits.ts (protocolTimings.ts). Figures that are guesses
 * about the cloud rather than properties of the code are named as such in `notes` by the usage functions.
 */

export interface InteractiveSession {
  label: string;
  language: string;
  code: string;
  /** From the program's start to its exit. */
  durationMs: number;
  /** Lines typed, each after `thinkMs` at a prompt (the program waits for input meanwhile). */
  inputs: string[];
  thinkMs: number;
  /** The rest of the time the program computes, printing a line of `lineBytes` this often. */
  printIntervalMs: number;
  lineBytes: number;
  promptBytes: number;
  /** Manifest put → the executor's claim: the OSS trigger's delay and FC's start (the bench's simulated default). */
  queuedMs: number;
  /** An invocation's time around the program: claim, sandbox set-up and clean-up, final writes. */
  executorOverheadMs: number;
  /** Long polls held on one API instance at once: FC bills the instance's time once for all of them. */
  apiSharing: number;
  /** One OSS request's round trip from FC (the seed's loop period depends on it). */
  storageRoundTripMs: number;
}

/** A minute with three inputs: three times, 15 s at a prompt, then 5 s of printing a line every 50 ms. */
export const TYPICAL_SESSION: InteractiveSession = {
  label: 'interactive minute, 3 inputs',
  language: 'python',
  code: [
    'import time',
    'for round in range(3):',
    "    guess = input('your guess? ')",
    '    for step in range(100):',
    "        print(f'checking {guess}: step {step} of 100')",
    '        time.sleep(0.05)',
    '',
  ].join('\n'),
  durationMs: 60_000,
  inputs: ['41\n', '42\n', '43\n'],
  thinkMs: 15_000,
  printIntervalMs: 50,
  lineBytes: 30,
  promptBytes: 12,
  queuedMs: 50,
  executorOverheadMs: 100,
  apiSharing: 1,
  storageRoundTripMs: 5,
};

export interface JudgeRun {
  label: string;
  language: string;
  code: string;
  stdout: string;
  /** Manifest put → the executor's claim. */
  queuedMs: number;
  /** Claim → final status: the executor's whole work on the run (sandbox, program, answer). */
  executorMs: number;
  /** Blocking requests waiting on one API instance at once. */
  apiSharing: number;
}

/** `POST /api/execute` of a Python hello world. */
export const JUDGE_HELLO: JudgeRun = {
  label: "judge: POST /api/execute print('hi')",
  language: 'python',
  code: "print('hi')",
  stdout: 'hi\n',
  queuedMs: 50,
  executorMs: 150,
  apiSharing: 1,
};
