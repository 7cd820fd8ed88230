/**
 * The README's table of run limits is the one scripts/limitsTable.js generates from core/runLimits.ts: a limit
 * added, changed or renamed without `node scripts/limitsTable.js --write` fails here.
 */
import * as fs from 'fs';
import * as runLimits from '../../core/runLimits';
import { currentSection, README, renderLimitsTable, withSection } from '../../scripts/limitsTable';

test('README.md holds the generated table of run limits', () => {
  const readme = fs.readFileSync(README, 'utf8');
  expect(currentSection(readme)).toBe(renderLimitsTable(runLimits));
});

test('the table has one row per limit, and writing it twice changes nothing', () => {
  const table = renderLimitsTable(runLimits);
  for (const name of runLimits.RUN_LIMIT_NAMES) expect(table).toContain(`| \`${name}\` |`);
  expect(table.split('\n')).toHaveLength(2 + runLimits.RUN_LIMIT_NAMES.length);
  const readme = fs.readFileSync(README, 'utf8');
  expect(withSection(withSection(readme, table), table)).toBe(readme);
});

test('a README without the markers is refused rather than written blindly', () => {
  expect(currentSection('# no table here')).toBeNull();
  expect(() => withSection('# no table here', 'x')).toThrow(/markers/);
});
