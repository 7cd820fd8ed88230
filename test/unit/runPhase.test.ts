import { IllegalTransitionError, RunPhase, type Phase } from '../../core/runPhase';

function walk(path: Phase[]): RunPhase {
  const phase = new RunPhase();
  for (const next of path) phase.to(next);
  return phase;
}

test.each<[string, Phase[]]>([
  ['a program that ran', ['starting', 'running', 'finishing', 'finished']],
  ['a run that never started a program (killed while queued, no manifest, no sandbox)', ['starting', 'finishing', 'finished']],
])('allowed: %s', (_name, path) => {
  expect(walk(path).current).toBe('finished');
});

test.each<[string, Phase[], Phase]>([
  ['running without starting', [], 'running'],
  ['skipping the cleanup', ['starting', 'running'], 'finished'],
  ['back to running once finishing (a late heartbeat)', ['starting', 'running', 'finishing'], 'running'],
  ['anything after finished', ['starting', 'running', 'finishing', 'finished'], 'finishing'],
  ['starting twice (a second copy of the program)', ['starting', 'running'], 'starting'],
  ['finishing twice', ['starting', 'finishing'], 'finishing'],
])('refused: %s', (_name, path, next) => {
  const phase = walk(path);
  const from = phase.current;
  expect(() => phase.to(next)).toThrow(IllegalTransitionError);
  expect(() => phase.to(next)).toThrow(`run phase: ${from} → ${next} is not a transition`);
  // A refused move leaves the phase where it was.
  expect(phase.current).toBe(from);
});
