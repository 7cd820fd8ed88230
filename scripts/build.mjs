// npm run build: every bundle into dist/ (see scripts/bundles.js).
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const { buildBundles } = require('./bundles.js');
const started = Date.now();
const built = buildBundles();
console.log(`built ${Object.keys(built).join(', ')} in ${Date.now() - started} ms`);
