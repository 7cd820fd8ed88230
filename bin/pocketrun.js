#!/usr/bin/env node
// `npx pocketrun` from a clone: runs the built command-line client (dist/cli), building it first if it is not
// there yet (esbuild is a dependency, so a fresh `npm ci` is all it needs).
'use strict';
const fs = require('fs');
const path = require('path');

const built = path.join(__dirname, '..', 'dist', 'cli', 'index.js');
if (!fs.existsSync(built)) require('../scripts/bundles.js').buildBundles({ quiet: true, names: ['cli'] });
require(built).cli();
