// @ts-check
/**
 * The one definition of pocketrun's bundles. `npm run build` (scripts/build.mjs), the tests' global setup and the
 * Pulumi program (infra/) all call `buildBundles`, so what runs locally is byte for byte what the stack deploys.
 *
 * Each function bundle is a self-contained folder: `index.js` plus, for the executor, node-pty's package and its
 * prebuilt linux-x64 binary under `node_modules/` (esbuild cannot inline a `.node` file).
 */
'use strict';
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const { buildPage, PAGE_MODULE } = require('./page.js');

const ROOT = path.resolve(__dirname, '..');
/** The static bubblewrap scripts/build-bwrap.sh makes (gitignored), and where a bundle carries it. */
const BWRAP_BINARY = path.join(ROOT, 'vendor', 'bwrap', 'bwrap');
const BUNDLED_BWRAP = 'bin/bwrap';

/** name → entry point; `functions` are deployed to FC, the rest run on a developer's machine. */
const ENTRIES = {
  // `page`: serves the page (handlers/api.ts → web/serve.ts), so carries the built page module beside index.js.
  // `ws` (Piston's WebSocket, handlers/piston/pistonSocket.ts) beside it: loaded at the first upgrade, not at every cold start.
  api: { entry: 'handlers/apiMain.ts', function: true, page: true, sideDeps: ['ws'] },
  // `bwrap`: carries BWRAP_BINARY at BUNDLED_BWRAP when it was built (adapters/sandbox/bwrapBinary.ts looks there first);
  // every bundle that runs sandboxes, so the local platform's probe decides with the binary its executors use.
  // `sideDeps`: packages bundled on their own beside index.js (node_modules/<name>/index.js), loaded when first
  // needed: the TypeScript transpiler (core/transpileTypeScript.ts, ~300 KB) stays out of what every cold start parses.
  executor: { entry: 'handlers/executorMain.ts', function: true, bwrap: true, nativeDeps: ['@lydell/node-pty', '@lydell/node-pty-linux-x64'], sideDeps: ['sucrase'] },
  local: { entry: 'local/index.ts', function: false, page: true, bwrap: true, nativeDeps: ['@lydell/node-pty', '@lydell/node-pty-linux-x64'] },
  smoke: { entry: 'cli/smoke.ts', function: false, optional: true },
  // `pocketrun` (bin/pocketrun.js runs it, building it first in a fresh clone).
  cli: { entry: 'cli/pocketrun.ts', function: false, optional: true },
  bench: { entry: 'bench/index.ts', function: false, optional: true, page: true, bwrap: true, nativeDeps: ['@lydell/node-pty', '@lydell/node-pty-linux-x64'] },
  // `npm run cost`: the cost model (bench/cost/), pure arithmetic over core/ and infra/config.ts.
  cost: { entry: 'bench/cost/index.ts', function: false, optional: true, external: ['@pulumi/pulumi'] },
  // The scale scenarios alone (bench/scale.ts; `npm run bench` runs them too).
  benchScale: { entry: 'bench/scaleMain.ts', function: false, optional: true, page: true, bwrap: true, nativeDeps: ['@lydell/node-pty', '@lydell/node-pty-linux-x64'] },
};

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const item of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, item.name);
    const dst = path.join(to, item.name);
    if (item.isDirectory()) copyDir(src, dst);
    else fs.copyFileSync(src, dst);
  }
}

/**
 * Modules the function bundles leave out: each is required lazily, only on a path our code never takes, so it
 * resolves to scripts/notBundled.js (which throws) instead of shipping. The require sites are named below; both
 * bundles pass test/integration/ossPath.test.ts (STORE=oss) without them, and bundleSize.test.ts keeps them out.
 */
const NOT_BUNDLED = [
  // About 490 KB of code tables, half the API bundle. urllib (ali-oss's HTTP client) requires it only in
  // decodeBodyByCharset, for a body read as text or JSON in a charset Buffer lacks; ali-oss never asks urllib for text
  // or JSON (it takes Buffers and parses XML itself), and urllib catches a failed decode anyway.
  'iconv-lite',
  // utility (under ali-oss) requires these only inside its readJSON/writeJSON file helpers, which nothing bundled calls.
  'mz/fs',
  'mkdirp',
];

/**
 * On top for the FC functions, whose cold start loads the whole bundle: minified, with a map beside it
 * (`index.js.map`) that stack traces use (scripts/mappedStackTraces.js), and without NOT_BUNDLED.
 */
const FUNCTION_BUILD = {
  minify: true,
  sourcemap: 'linked',
  // Stack traces need positions only (the sources are in the repository): the map is a third of the size.
  sourcesContent: false,
  // Node prints the bundle's own line above an uncaught error's stack: a line, not kilobytes of minified code.
  lineLimit: 160,
  banner: { js: fs.readFileSync(path.join(__dirname, 'mappedStackTraces.js'), 'utf8') },
  alias: Object.fromEntries(NOT_BUNDLED.map((name) => [name, './scripts/notBundled.js'])),
};

/**
 * A package as one minified file with its own package.json under `<bundle>/node_modules/<name>/`, so that
 * `require(name)` in index.js resolves to it wherever the folder is copied (FC's code package included).
 */
function buildSideDep(name, bundleDir, quiet) {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  const to = path.join(bundleDir, 'node_modules', name);
  esbuild.buildSync({
    entryPoints: [require.resolve(name, { paths: [ROOT] })],
    outfile: path.join(to, 'index.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    legalComments: 'none',
    logLevel: quiet ? 'error' : 'warning',
    absWorkingDir: ROOT,
  });
  fs.writeFileSync(path.join(to, 'package.json'), `${JSON.stringify({ name, version: pkg.version, license: pkg.license, main: 'index.js' }, null, 2)}\n`);
}

/**
 * Builds the named bundles (all by default) into `outDir/<name>/`. Deterministic: no timestamps, sorted
 * inputs, no absolute paths in the output.
 * @param {{ outDir?: string, names?: string[], quiet?: boolean }} [options]
 * @returns {Record<string, string>} name → absolute bundle folder
 */
function buildBundles(options = {}) {
  const outDir = path.resolve(ROOT, options.outDir ?? 'dist');
  const names = options.names ?? Object.keys(ENTRIES);
  /** @type {Record<string, string>} */
  const built = {};
  // The page first: every bundle that serves it (web/serve.ts) carries the module it makes.
  if (names.some((name) => /** @type {any} */ (ENTRIES)[name]?.page)) buildPage({ quiet: options.quiet });
  for (const name of names) {
    const spec = /** @type {any} */ (ENTRIES)[name];
    if (!spec) throw new Error(`unknown bundle ${name}`);
    const entry = path.join(ROOT, spec.entry);
    if (spec.optional && !fs.existsSync(entry)) continue;
    const dir = path.join(outDir, name);
    fs.rmSync(dir, { recursive: true, force: true });
    esbuild.buildSync({
      entryPoints: [entry],
      outfile: path.join(dir, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: false,
      legalComments: 'none',
      logLevel: options.quiet ? 'error' : 'warning',
      // urllib (under ali-oss) lazily requires proxy-agent, which is never used here.
      // The page (scripts/page.js): web/serve.ts requires it on the first page request, by the same relative path
      // in the repository and in the bundle, where it is copied below; kept out of index.js, loaded at every cold start.
      // `external`: packages a bundle names but never loads (the cost model reads infra/config.ts, whose Pulumi require is
      // only in readStackConfig).
      external: [...(spec.nativeDeps ?? []), ...(spec.sideDeps ?? []), ...(spec.external ?? []), 'proxy-agent', `./${PAGE_MODULE}`],
      // ali-oss pulls optional modules it never uses on Node.
      define: { 'process.env.NODE_ENV': '"production"' },
      absWorkingDir: ROOT,
      ...(spec.function ? FUNCTION_BUILD : {}),
    });
    if (spec.page) {
      fs.mkdirSync(path.join(dir, path.dirname(PAGE_MODULE)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'web', PAGE_MODULE), path.join(dir, PAGE_MODULE));
    }
    for (const dep of spec.nativeDeps ?? []) {
      copyDir(path.join(ROOT, 'node_modules', dep), path.join(dir, 'node_modules', dep));
    }
    for (const dep of spec.sideDeps ?? []) buildSideDep(dep, dir, options.quiet);
    if (spec.bwrap && fs.existsSync(BWRAP_BINARY)) {
      // Without it the bundle still works: the sandbox then uses the host's bwrap or falls back to uid isolation.
      const to = path.join(dir, BUNDLED_BWRAP);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.chmodSync(path.dirname(to), 0o755);
      fs.copyFileSync(BWRAP_BINARY, to);
      fs.chmodSync(to, 0o755);
    }
    built[name] = dir;
  }
  return built;
}

module.exports = { buildBundles, ENTRIES, ROOT, BWRAP_BINARY, BUNDLED_BWRAP };
