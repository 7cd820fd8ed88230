// @ts-check
/**
 * The README's table of run limits, generated from `RUN_LIMITS` (core/runLimits.ts), between the markers
 * `<!-- limits:start -->` and `<!-- limits:end -->`. `node scripts/limitsTable.js` prints it;
 * `node scripts/limitsTable.js --write` puts it into README.md. test/unit/readmeLimits.test.ts fails when the
 * README's table is not the generated one.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const README = path.join(ROOT, 'README.md');
const START = '<!-- limits:start -->';
const END = '<!-- limits:end -->';

const KiB = 1024;
const MiB = 1024 * KiB;

/** @param {number} value @param {string} unit */
function human(value, unit) {
  if (unit === 'ms') return value % 1000 === 0 ? `${value / 1000} s` : `${value} ms`;
  if (unit === 'bytes') {
    if (value !== 0 && value % MiB === 0) return `${value / MiB} MiB`;
    if (value !== 0 && value % KiB === 0) return `${value / KiB} KiB`;
    return `${value} B`;
  }
  return String(value);
}

/** @typedef {Pick<typeof import('../core/runLimits'), 'RUN_LIMITS' | 'STACK_UNITS'>} RunLimitsModule */

/**
 * @param {RunLimitsModule} limits core/runLimits.ts
 * @returns {string} the markdown table, one row per limit, in table order
 */
function renderLimitsTable({ RUN_LIMITS, STACK_UNITS }) {
  /** @type {Record<string, import('../core/runLimits').RunLimitSpec>} */
  const table = RUN_LIMITS;
  const rows = [
    '| limit | unit | min | default | max | judge default / max | variables (default / max) | stack keys (default / max) | meaning |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [name, spec] of Object.entries(table)) {
    const c = spec.configurable;
    const variables = c ? `\`${c.env.default}\` / \`${c.env.max}\`` : 'fixed';
    const stack = c
      ? `\`${c.stack.default}\` / \`${c.stack.max}\` (${STACK_UNITS[c.stack.unit].symbol}, at most ${c.stack.ceiling}${c.stack.written === 'whenSet' ? '; unset: built-in' : ''})`
      : 'fixed';
    const judge = spec.judge ? `${human(spec.judge.default, spec.unit)} / ${human(spec.judge.max, spec.unit)}` : '—';
    const cells = [`\`${name}\``, spec.unit, human(spec.min, spec.unit), human(spec.default, spec.unit), human(spec.max, spec.unit), judge, variables, stack, spec.meaning];
    rows.push(`| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return rows.join('\n');
}

/**
 * What stands between the markers of `text` (trimmed), or null when they are missing.
 * @param {string} text
 */
function currentSection(text) {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return null;
  return text.slice(start + START.length, end).trim();
}

/**
 * `text` with the generated table between its markers.
 * @param {string} text @param {string} table
 */
function withSection(text, table) {
  if (currentSection(text) === null) throw new Error(`README.md: no ${START} … ${END} markers`);
  const start = text.indexOf(START) + START.length;
  return `${text.slice(0, start)}\n${table}\n${text.slice(text.indexOf(END))}`;
}

/**
 * core/runLimits.ts itself, compiled from the TypeScript source in memory (the one table, not a copy of it).
 * @returns {RunLimitsModule}
 */
function loadRunLimits() {
  const esbuild = require('esbuild');
  const out = esbuild.buildSync({ entryPoints: [path.join(ROOT, 'core/runLimits.ts')], bundle: true, platform: 'node', format: 'cjs', write: false });
  const compiled = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(compiled, compiled.exports, require);
  return /** @type {RunLimitsModule} */ (compiled.exports);
}

if (require.main === module) {
  const table = renderLimitsTable(loadRunLimits());
  if (process.argv.includes('--write')) {
    fs.writeFileSync(README, withSection(fs.readFileSync(README, 'utf8'), table));
    console.log('README.md: table of run limits written');
  } else {
    console.log(table);
  }
}

module.exports = { renderLimitsTable, currentSection, withSection, README, START, END };
