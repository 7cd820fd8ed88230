// npm run build: every bundle into dist/ (see scripts/bundles.js), with the size of each function bundle, which FC
// loads at every cold start (test/integration/bundleSize.test.ts holds the budget).
import * as fs from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
const require = createRequire(import.meta.url);
const { buildBundles, ENTRIES } = require('./bundles.js');
const started = Date.now();
const built = buildBundles();
console.log(`built ${Object.keys(built).join(', ')} in ${Date.now() - started} ms`);
const kib = (file) => `${(fs.statSync(file).size / 1024).toFixed(0)} KiB`;
for (const [name, dir] of Object.entries(built)) {
  if (!ENTRIES[name].function) continue;
  console.log(`  ${name}: index.js ${kib(path.join(dir, 'index.js'))}, index.js.map ${kib(path.join(dir, 'index.js.map'))}`);
}
// The page (scripts/page.js): what a first visit downloads, gzipped (test/browser/pageAssets.test.ts holds the budget).
const page = require('../web/build/pageAssets.js');
console.log(`  page: first load ${(page.meta.firstLoadGzipBytes / 1024).toFixed(0)} KiB gzipped (${page.meta.firstLoad.length} files), ${Object.keys(page.files).length} files in all`);
