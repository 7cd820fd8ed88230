/**
 * When a metered command's end proves its tree reaped (adapters/sandbox/treeReaped.ts): only with the run head's
 * report, and only when the run head cannot have reached its reaping deadline.
 */
import { REAP_PROOF_MS, treeReaped } from '../../adapters/sandbox/treeReaped';
import type { MeteredEnd } from '../../core/ports';

const usage = (wallMs: number) => ({ cpuMs: 10, wallMs, maxRssKb: 4000 });

test.each<[string, MeteredEnd | undefined, boolean]>([
  ['nothing told (a failed spawn)', undefined, false],
  ['no report (the run head was killed)', { sinceSpawnMs: 40 }, false],
  ['a report, the run head ended just after the program', { usage: usage(30), sinceSpawnMs: 45 }, true],
  ['a report after a long program, reaped at once', { usage: usage(9_000), sinceSpawnMs: 9_050 }, true],
  ['a report just under the bound', { usage: usage(30), sinceSpawnMs: 30 + REAP_PROOF_MS - 1 }, true],
  ['a report at the bound', { usage: usage(30), sinceSpawnMs: 30 + REAP_PROOF_MS }, false],
  ['a report after the reaping loop gave up (2 to 3 s)', { usage: usage(30), sinceSpawnMs: 2_600 }, false],
])('%s → proved reaped: %s', (_name, ended, proved) => {
  expect(treeReaped(ended)).toBe(proved);
});
