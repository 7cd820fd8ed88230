/**
 * When a metered command's end proves its tree reaped (adapters/sandbox/treeReaped.ts): only with the run head's
 * report, and only when the run head cannot have reached its reaping deadline.
 */
import { REAP_PROOF_MS, treeReaped } from '../../adapters/sandbox/treeReaped';
import type { TreeUsage } from '../../core/ports';

const usage = (wallMs: number) => ({ cpuMs: 10, wallMs, maxRssKb: 4000 });

test.each<[string, TreeUsage | undefined, number, boolean]>([
  ['no report (the run head was killed, or the spawn failed)', undefined, 40, false],
  ['a report, the run head ended just after the program', usage(30), 45, true],
  ['a report after a long program, reaped at once', usage(9_000), 9_050, true],
  ['a report just under the bound', usage(30), 30 + REAP_PROOF_MS - 1, true],
  ['a report at the bound', usage(30), 30 + REAP_PROOF_MS, false],
  ['a report after the reaping loop gave up (2 to 3 s)', usage(30), 2_600, false],
])('%s → proved reaped: %s', (_name, report, sinceSpawnMs, proved) => {
  expect(treeReaped(report, sinceSpawnMs)).toBe(proved);
});
