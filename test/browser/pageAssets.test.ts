/**
 * The built page as the API function serves it: a copy of the API bundle, away from the repository (as FC gets it),
 * serves `/`, its hashed assets (cached for a year), the manifest and its icons and the favicon, gzipped to browsers;
 * the first load stays within its budget; and the page stays out of index.js, which every cold start loads.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { gunzipSync } from 'zlib';
import { ROOT } from '../support/platform';
import type { PageAssets } from '../../web/serve';

/** Gzipped bytes of everything a first visit needs before it can run a program (scripts/page.js `firstLoad`). */
const FIRST_LOAD_BUDGET_BYTES = 350_000;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let base: string;
let stop: () => void;
let dir: string;
let data: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-api-page-'));
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-data-'));
  fs.cpSync(path.join(ROOT, 'dist', 'api'), dir, { recursive: true });
  const child = spawn(process.execPath, ['index.js'], { cwd: dir, env: { PATH: '/usr/bin:/bin', PORT: '0', STORE: 'fs', DATA_DIR: data }, stdio: ['ignore', 'pipe', 'pipe'] });
  stop = () => child.kill('SIGKILL');
  const port = await new Promise<number>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`api exited ${code}: ${err}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const rec = JSON.parse(line);
      if (rec.event === 'listening') resolve(rec.port);
    });
  });
  base = `http://127.0.0.1:${port}`;
}, 30_000);
afterAll(() => {
  stop?.();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(data, { recursive: true, force: true });
});

function get(pathname: string, headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br' }, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + pathname, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const plain = (a: Answer) => (a.headers['content-encoding'] === 'gzip' ? gunzipSync(a.body) : a.body);

test('the first load stays within its budget, gzipped', () => {
  const assets = require(path.join(ROOT, 'dist/api/build/pageAssets.js')) as PageAssets;
  const { firstLoad, firstLoadGzipBytes } = assets.meta;
  expect(firstLoad[0]).toBe('/');
  for (const url of firstLoad) expect(assets.files[url]).toBeDefined();
  expect(firstLoadGzipBytes).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
});

test('the page stays out of index.js (loaded at every cold start); the bundle carries it beside', () => {
  const index = fs.readFileSync(path.join(ROOT, 'dist/api/index.js'), 'utf8');
  expect(index).toContain('require("./build/pageAssets.js")');
  // Nothing of the page's code (CodeMirror's classes, xterm.js's) is in it.
  expect(index).not.toMatch(/cm-content|xterm-viewport/);
  expect(fs.existsSync(path.join(ROOT, 'dist/api/build/pageAssets.js'))).toBe(true);
  expect(fs.existsSync(path.join(ROOT, 'dist/local/build/pageAssets.js'))).toBe(true);
});

test('/ is revalidated every time (ETag), locked down, and names hashed assets cached for a year', async () => {
  const page = await get('/');
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(page.headers['cache-control']).toBe('no-cache');
  expect(page.headers['content-encoding']).toBe('gzip');
  expect(page.headers.vary).toBe('accept-encoding');
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  const html = plain(page).toString('utf8');
  expect(html).toContain('interactive-widget=resizes-content');
  expect(html).not.toMatch(/%[A-Z_]+%/);
  // Everything is served from here: no CDN, so the page needs nothing but this function.
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);

  const again = await get('/', { 'if-none-match': String(page.headers.etag) });
  expect(again.status).toBe(304);
  expect(again.body.length).toBe(0);
  expect((await get('/index.html')).headers.etag).toBe(page.headers.etag);

  const urls = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  expect(urls.some((u) => /^\/assets\/app-[A-Z0-9]+\.js$/.test(u))).toBe(true);
  expect(urls.some((u) => /^\/assets\/app-[A-Z0-9]+\.css$/.test(u))).toBe(true);
  for (const url of urls) {
    const asset = await get(url);
    expect({ url, status: asset.status, cache: asset.headers['cache-control'] }).toEqual({ url, status: 200, cache: 'public, max-age=31536000, immutable' });
    expect(plain(asset).length).toBeGreaterThan(0);
  }
});

test('a client without gzip gets the plain bytes; HEAD gets the headers alone', async () => {
  const zipped = await get('/');
  const unzipped = await get('/', {});
  expect(unzipped.headers['content-encoding']).toBeUndefined();
  expect(unzipped.body.equals(gunzipSync(zipped.body))).toBe(true);
  expect(Number(unzipped.headers['content-length'])).toBe(unzipped.body.length);
  const head = await get('/', {}, 'HEAD');
  expect(head.status).toBe(200);
  expect(head.body.length).toBe(0);
  expect(head.headers['content-length']).toBe(unzipped.headers['content-length']);
});

test('the web app manifest and its icons, the favicon, and a 404 for anything else', async () => {
  const res = await get('/manifest.webmanifest');
  expect(res.headers['content-type']).toBe('application/manifest+json');
  const manifest = JSON.parse(plain(res).toString('utf8'));
  expect(manifest).toMatchObject({ name: 'pocketrun', start_url: '/', display: 'standalone' });
  const purposes = new Set<string>();
  for (const icon of manifest.icons as { src: string; sizes: string; type: string; purpose: string }[]) {
    const body = await get(icon.src);
    expect(body.status).toBe(200);
    expect(body.headers['content-type']).toBe(icon.type);
    purposes.add(`${icon.purpose} ${icon.sizes}`);
    if (icon.type === 'image/png') {
      const png = plain(body);
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`).toBe(icon.sizes);
    }
  }
  // What Android needs to offer "Add to Home screen" with a proper icon.
  expect(purposes).toEqual(new Set(['any any', 'any 192x192', 'any 512x512', 'maskable 512x512']));

  const ico = await get('/favicon.ico');
  expect(ico.status).toBe(200);
  expect(ico.headers['content-type']).toBe('image/x-icon');
  expect(ico.body.readUInt16LE(2)).toBe(1);

  const missing = await get('/assets/app-NOTBUILT.js');
  expect(missing.status).toBe(404);
  expect(JSON.parse(missing.body.toString()).error.code).toBe('not_found');
  // The API is still the API.
  expect((await get('/api/health')).status).toBe(200);
});
