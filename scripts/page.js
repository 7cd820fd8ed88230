// @ts-check
/**
 * Builds the page served at `/` (web/src, from npm packages only: no CDN, so nothing but the API function is needed)
 * into one generated CommonJS module, web/build/pageAssets.js, of `{files: {path → asset}, meta}`:
 * - `/` (index.html) and `/manifest.webmanifest` and `/favicon.ico` at fixed paths, revalidated (`no-cache`, ETag);
 * - everything else under `/assets/` with its content hash in the name, cached for a year (`immutable`).
 * Bodies are stored gzipped (level 9) and base64-encoded; images as they are. The API function requires the module
 * on the first page request only (web/assets.ts), so API calls never pay for parsing it at a cold start, and each
 * bundle that serves the page carries it at the same relative path (scripts/bundles.js).
 * Deterministic: the same sources give the same bytes (esbuild's hashes, gzip without a timestamp).
 */
'use strict';
const crypto = require('crypto');
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { iconSvg, iconPng, faviconIco, BACKGROUND } = require('./icons.js');

const ROOT = path.resolve(__dirname, '..');
const WEB = path.join(ROOT, 'web');
/** Where the module is written; web/assets.ts requires it as `./build/pageAssets.js`, relative to itself. */
const PAGE_BUILD_DIR = path.join(WEB, 'build');
const PAGE_MODULE = 'build/pageAssets.js';
/** The first load must stay below this, gzipped (test/browser/pageAssets.test.ts). */
const FIRST_LOAD_BUDGET_BYTES = 350_000;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
/** Already compressed: stored and sent as they are. */
const INCOMPRESSIBLE = new Set(['.png', '.ico', '.woff2']);

const hashOf = (body) => crypto.createHash('sha256').update(body).digest('base64url').replace(/[-_]/g, '').slice(0, 10).toUpperCase();

/**
 * Every npm package the browser code pulls in, with its license text: the MIT and BSD licenses ask for their notice
 * to travel with the copies, and the bundles are copies.
 * @param {string[]} inputs metafile input paths
 */
function licenses(inputs) {
  const packages = new Map();
  for (const input of inputs) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (!match || packages.has(match[1])) continue;
    const dir = path.join(ROOT, 'node_modules', match[1]);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    packages.set(match[1], { version: pkg.version, license: pkg.license, text: file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : '' });
  }
  const names = [...packages.keys()].sort();
  return (
    'pocketrun\'s page bundles these packages:\n\n' +
    names.map((n) => `${n}@${packages.get(n).version} (${packages.get(n).license})`).join('\n') +
    '\n\n' +
    names.map((n) => `--- ${n}\n\n${packages.get(n).text}\n`).join('\n')
  );
}

/**
 * @param {{ quiet?: boolean }} [options]
 * @returns {{ module: string, files: Record<string, { bytes: number, gzipBytes: number }>, firstLoadGzipBytes: number, firstLoad: string[] }}
 */
function buildPage(options = {}) {
  const result = esbuild.buildSync({
    entryPoints: { app: path.join(WEB, 'src', 'main.ts') },
    bundle: true,
    // Language modes are loaded when picked (dynamic import): splitting makes each its own chunk.
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'none',
    outdir: path.join(PAGE_BUILD_DIR, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    write: false,
    absWorkingDir: ROOT,
    logLevel: options.quiet ? 'error' : 'warning',
  });
  const meta = /** @type {import('esbuild').Metafile} */ (result.metafile);
  /** @type {Map<string, Buffer>} url path → body */
  const bodies = new Map();
  const urlOf = (file) => '/assets/' + path.basename(file);
  for (const out of result.outputFiles) bodies.set(urlOf(out.path), Buffer.from(out.contents));

  const outputs = Object.entries(meta.outputs);
  // Each import() of a language mode is an entry point of its own too: the page's is web/src/main.ts.
  const [entryFile, entry] = /** @type {[string, import('esbuild').Metafile['outputs'][string]]} */ (
    outputs.find(([, o]) => o.entryPoint === 'web/src/main.ts')
  );
  const entryCss = entry.cssBundle;
  if (!entryCss) throw new Error('page build: the entry has no CSS bundle (web/src/main.ts imports web/src/style.css)');
  /** A chunk and every chunk it imports statically, transitively. */
  const closure = (file, seen = new Set()) => {
    if (seen.has(file)) return seen;
    seen.add(file);
    for (const i of meta.outputs[file].imports) if (i.kind === 'import-statement') closure(i.path, seen);
    return seen;
  };
  // The language a first visit shows (python): its chunk is imported right after the entry starts (web/src/languages.ts).
  const python = outputs.find(([, o]) => o.entryPoint?.includes('@codemirror/lang-python/'));
  if (!python) throw new Error('page build: no chunk holds @codemirror/lang-python');
  // Fetched at once, without waiting for the entry to be parsed: modulepreload.
  const preloads = [...new Set([...closure(entryFile), ...closure(python[0])])].filter((f) => f !== entryFile);

  const asset = (name, body) => {
    const url = `/assets/${name.replace(/(\.[a-z0-9]+)$/, `-${hashOf(body)}$1`)}`;
    bodies.set(url, body);
    return url;
  };
  const svg = asset('icon.svg', Buffer.from(iconSvg()));
  const icon192 = asset('icon-192.png', iconPng(192));
  const icon512 = asset('icon-512.png', iconPng(512));
  const maskable = asset('icon-maskable-512.png', iconPng(512, { maskable: true }));
  const apple = asset('apple-touch-icon.png', iconPng(180, { maskable: true }));
  const licensesUrl = asset('licenses.txt', Buffer.from(licenses(Object.keys(meta.inputs))));

  const themeColor = '#' + BACKGROUND.map((v) => v.toString(16).padStart(2, '0')).join('');
  const manifest = {
    name: 'pocketrun',
    short_name: 'pocketrun',
    description: 'Write and run a small program from your phone.',
    id: '/',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: '#ffffff',
    theme_color: themeColor,
    icons: [
      { src: svg, sizes: 'any', type: 'image/svg+xml', purpose: 'any' },
      { src: icon192, sizes: '192x192', type: 'image/png', purpose: 'any' },
      { src: icon512, sizes: '512x512', type: 'image/png', purpose: 'any' },
      { src: maskable, sizes: '512x512', type: 'image/png', purpose: 'maskable' },
    ],
  };
  bodies.set('/manifest.webmanifest', Buffer.from(JSON.stringify(manifest, null, 1) + '\n'));
  bodies.set('/favicon.ico', faviconIco());

  const template = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
  const replacements = {
    APP_JS: urlOf(entryFile),
    APP_CSS: urlOf(entryCss),
    PRELOADS: preloads.map((c) => `<link rel="modulepreload" href="${urlOf(c)}">`).join('\n'),
    ICON_SVG: svg,
    APPLE_ICON: apple,
    THEME_COLOR: themeColor,
    LICENSES: licensesUrl,
  };
  const html = template.replace(/%([A-Z_]+)%/g, (whole, key) => {
    if (!(key in replacements)) throw new Error(`web/index.html: unknown placeholder ${whole}`);
    return /** @type {Record<string, string>} */ (replacements)[key];
  });
  bodies.set('/', Buffer.from(html));

  /** @type {Record<string, { type: string, cache: string, etag: string, encoding: string, body: string, bytes: number }>} */
  const files = {};
  /** @type {Record<string, { bytes: number, gzipBytes: number }>} */
  const sizes = {};
  for (const url of [...bodies.keys()].sort()) {
    const body = /** @type {Buffer} */ (bodies.get(url));
    const ext = url === '/' ? '.html' : path.extname(url);
    const type = /** @type {Record<string, string>} */ (TYPES)[ext];
    if (!type) throw new Error(`page build: no content type for ${url}`);
    const compress = !INCOMPRESSIBLE.has(ext);
    const stored = compress ? zlib.gzipSync(body, { level: 9 }) : body;
    files[url] = {
      type,
      // Hashed names never change content; the fixed paths must be checked each time (cheaply, by ETag).
      cache: url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: `"${hashOf(body)}"`,
      encoding: compress ? 'gzip' : 'identity',
      body: stored.toString('base64'),
      bytes: body.length,
    };
    sizes[url] = { bytes: body.length, gzipBytes: stored.length };
  }
  // What a first visit downloads before it can run a program; the manifest and the icons come after.
  const firstLoad = ['/', replacements.APP_JS, replacements.APP_CSS, ...preloads.map(urlOf)];
  const firstLoadGzipBytes = firstLoad.reduce((sum, url) => sum + sizes[url].gzipBytes, 0);

  const module =
    '// Generated by scripts/page.js from web/: the built page. Do not edit; `npm run build` writes it.\n' +
    `module.exports = ${JSON.stringify({ files, meta: { firstLoad, firstLoadGzipBytes } })};\n`;
  const modulePath = path.join(WEB, PAGE_MODULE);
  // Replaced in one rename, and only when it changed: a server started from the repository (the tests) may be
  // loading it while another build runs (test/infra builds the bundles again, beside the browser tests).
  if (!fs.existsSync(modulePath) || fs.readFileSync(modulePath, 'utf8') !== module) {
    fs.mkdirSync(PAGE_BUILD_DIR, { recursive: true });
    const temporary = `${modulePath}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, module);
    fs.renameSync(temporary, modulePath);
  }
  return { module: modulePath, files: sizes, firstLoadGzipBytes, firstLoad };
}

module.exports = { buildPage, PAGE_MODULE, FIRST_LOAD_BUDGET_BYTES };
