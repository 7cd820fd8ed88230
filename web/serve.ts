/**
 * Serves the built page (scripts/page.js → web/build/pageAssets.js) from the API function itself: `/`, its hashed
 * assets under `/assets/`, `/manifest.webmanifest` and `/favicon.ico`. Bodies are kept gzipped and sent as they are
 * to every client that accepts gzip (all browsers), unzipped once otherwise.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { gunzipSync } from 'zlib';

export interface PageAsset {
  type: string;
  cache: string;
  etag: string;
  encoding: 'gzip' | 'identity';
  /** base64 of the stored body (gzipped when `encoding` is gzip). */
  body: string;
  /** Size of the body uncompressed. */
  bytes: number;
}

export interface PageAssets {
  files: Record<string, PageAsset>;
  /** The URLs a first visit loads and their gzipped size in all (the README's figure; a test holds the budget). */
  meta: { firstLoad: string[]; firstLoadGzipBytes: number };
}

/**
 * The page's headers on top of the asset's: nothing but this origin may run code in it or be loaded by it (the page
 * calls its own API only). CodeMirror and xterm.js add `<style>` elements and style attributes: 'unsafe-inline'
 * for styles alone.
 */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
    "manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

let assets: PageAssets | undefined;
const decoded = new Map<string, { stored: Buffer; plain?: Buffer }>();

/**
 * Loaded on the first page request, not at a cold start that serves API calls. The relative path is the same beside
 * this file in the repository (where the tests run the TypeScript) and beside index.js in a bundle (scripts/bundles.js
 * keeps the require as written and copies the module there).
 */
export function pageAssets(): PageAssets {
  if (!assets) {
    try {
      assets = require('./build/pageAssets.js') as PageAssets;
    } catch (err) {
      throw new Error(`the page is not built (npm run build writes web/build/pageAssets.js): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return assets;
}

function bodies(path: string, asset: PageAsset): { stored: Buffer; plain?: Buffer } {
  let entry = decoded.get(path);
  if (!entry) decoded.set(path, (entry = { stored: Buffer.from(asset.body, 'base64') }));
  return entry;
}

/** Answers a GET or HEAD for one of the page's files and returns true; anything else is left to the API routes. */
export function servePage(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = pathname === '/index.html' ? '/' : pathname;
  if (path !== '/' && !path.startsWith('/assets/') && path !== '/manifest.webmanifest' && path !== '/favicon.ico') return false;
  const asset = pageAssets().files[path];
  if (!asset) return false;
  const headers: Record<string, string> = {
    'content-type': asset.type,
    'cache-control': asset.cache,
    etag: asset.etag,
    'x-content-type-options': 'nosniff',
    ...(path === '/' ? PAGE_HEADERS : {}),
  };
  if (asset.encoding === 'gzip') headers.vary = 'accept-encoding';
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag)) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  const entry = bodies(path, asset);
  let body = entry.stored;
  if (asset.encoding === 'gzip') {
    if (/\bgzip\b(?!\s*;\s*q=0(\.0*)?\s*(,|$))/i.test(String(req.headers['accept-encoding'] ?? ''))) {
      headers['content-encoding'] = 'gzip';
    } else {
      body = entry.plain ??= gunzipSync(entry.stored);
    }
  }
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
