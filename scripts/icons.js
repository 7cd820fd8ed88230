// @ts-check
/**
 * The page's icon, drawn at build time: one geometry (a ">_" prompt on a rounded square) rendered as SVG and as PNG
 * at any size, so the favicon, the home-screen icons and the maskable icon never drift apart and no image file is
 * kept in the repository. The PNG encoder is the smallest correct one (RGBA, filter 0, zlib from Node).
 */
'use strict';
const zlib = require('zlib');

const BACKGROUND = [0x1d, 0x4e, 0xd8];
const FOREGROUND = [0xff, 0xff, 0xff];

/**
 * The glyph on a 64×64 canvas: capsules (segments with round ends) of a given radius.
 * @type {{ a: [number, number], b: [number, number], r: number }[]}
 */
const STROKES = [
  { a: [19, 21], b: [30, 32], r: 3.5 },
  { a: [30, 32], b: [19, 43], r: 3.5 },
  { a: [36, 43], b: [46, 43], r: 3.5 },
];

/** @param {{ maskable?: boolean }} [options] */
function iconSvg(options = {}) {
  // Maskable icons are cropped to a circle of 80% by the launcher: a full-bleed square, the glyph shrunk to fit.
  const bg = options.maskable ? '<rect width="64" height="64"/>' : '<rect width="64" height="64" rx="14"/>';
  const scale = options.maskable ? 0.72 : 1;
  const t = (v) => +(32 + (v - 32) * scale).toFixed(2);
  const path = STROKES.map((s) => `M${t(s.a[0])} ${t(s.a[1])}L${t(s.b[0])} ${t(s.b[1])}`).join('');
  const hex = (c) => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><g fill="${hex(BACKGROUND)}">${bg}</g>` +
    `<path d="${path}" fill="none" stroke="${hex(FOREGROUND)}" stroke-width="${+(7 * scale).toFixed(2)}" stroke-linecap="round" stroke-linejoin="round"/></svg>\n`
  );
}

/** Distance from p to the segment a–b. */
function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** Inside a rounded square of side 64 and corner radius r (r 0: the whole square). */
function insideRoundedSquare(x, y, r) {
  if (x < 0 || y < 0 || x > 64 || y > 64) return false;
  const cx = Math.min(Math.max(x, r), 64 - r);
  const cy = Math.min(Math.max(y, r), 64 - r);
  return Math.hypot(x - cx, y - cy) <= r;
}

/**
 * The icon as RGBA pixels, 4×4 supersampled for smooth edges.
 * @param {number} size
 * @param {{ maskable?: boolean }} options
 */
function rasterize(size, options) {
  const scale = options.maskable ? 0.72 : 1;
  const radius = options.maskable ? 0 : 14;
  const strokes = STROKES.map((s) => ({
    a: s.a.map((v) => 32 + (v - 32) * scale),
    b: s.b.map((v) => 32 + (v - 32) * scale),
    r: s.r * scale,
  }));
  const pixels = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let fg = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = ((px + (sx + 0.5) / n) / size) * 64;
          const y = ((py + (sy + 0.5) / n) / size) * 64;
          if (!insideRoundedSquare(x, y, radius)) continue;
          bg++;
          if (strokes.some((s) => segmentDistance(x, y, s.a[0], s.a[1], s.b[0], s.b[1]) <= s.r)) fg++;
        }
      }
      const i = (py * size + px) * 4;
      const alpha = bg / (n * n);
      const mix = bg ? fg / bg : 0;
      for (let c = 0; c < 3; c++) pixels[i + c] = Math.round(BACKGROUND[c] * (1 - mix) + FOREGROUND[c] * mix);
      pixels[i + 3] = Math.round(alpha * 255);
    }
  }
  return pixels;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * @param {number} size
 * @param {{ maskable?: boolean }} [options]
 */
function iconPng(size, options = {}) {
  const pixels = rasterize(size, options);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `/favicon.ico`, which browsers ask for on their own: an ICO holding one PNG (allowed since Windows Vista). */
function faviconIco(size = 32) {
  const png = iconPng(size);
  const header = Buffer.from([0, 0, 1, 0, 1, 0]);
  const entry = Buffer.alloc(16);
  entry[0] = size;
  entry[1] = size;
  entry.writeUInt16LE(1, 4); // colour planes
  entry.writeUInt16LE(32, 6); // bits per pixel
  entry.writeUInt32LE(png.length, 8);
  entry.writeUInt32LE(header.length + entry.length, 12);
  return Buffer.concat([header, entry, png]);
}

module.exports = { iconSvg, iconPng, faviconIco, BACKGROUND };
