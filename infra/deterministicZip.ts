/**
 * A byte-for-byte reproducible ZIP of a folder: entries sorted by path, every timestamp 1980-01-01 00:00, fixed
 * modes (0644 files, 0755 executables and folders), no extra fields, and entries STORED rather than deflated.
 * Storing keeps the bytes a pure function of the files: deflate output depends on the zlib build, so the same
 * bundle zipped on a laptop and in CI could differ and every `pulumi preview` would show a code change that is
 * not one. (FC fetches the package over the internal network; a few MB uncompressed cost nothing there.)
 *
 * Also the two checksums the deployment needs: CRC-32 (ZIP entries) and CRC-64/ECMA-182 (FC's `code.checksum`,
 * the same CRC-64 OSS reports as `x-oss-hash-crc64ecma`).
 */
import * as fs from 'fs';
import * as path from 'path';

// ---------------------------------------------------------------- CRC-32 (IEEE, reflected)

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- CRC-64/ECMA-182 (reflected, as OSS and Go's crc64.ECMA)

/** The reflected ECMA-182 polynomial 0xC96C5795D7870F42, as two 32-bit halves. */
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;
const CRC64_HI = new Uint32Array(256);
const CRC64_LO = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  CRC64_HI[n] = hi;
  CRC64_LO[n] = lo;
}

/** CRC-64/ECMA-182 as an unsigned decimal string, the form FC's `checksum` and OSS's CRC-64 header use. */
export function crc64ecma(data: Uint8Array): string {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    const index = (lo ^ data[i]) & 0xff;
    const shiftedLo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
    const shiftedHi = hi >>> 8;
    lo = (shiftedLo ^ CRC64_LO[index]) >>> 0;
    hi = (shiftedHi ^ CRC64_HI[index]) >>> 0;
  }
  hi = (hi ^ 0xffffffff) >>> 0;
  lo = (lo ^ 0xffffffff) >>> 0;
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString(10);
}

// ---------------------------------------------------------------- ZIP

/** 1980-01-01 00:00:00 in MS-DOS format: the earliest date a ZIP can hold, the same everywhere. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
/** Bit 11: names are UTF-8. */
const FLAG_UTF8 = 0x0800;
/** "Made by" Unix (3), spec version 2.0, so unzip applies the modes in the external attributes. */
const VERSION_MADE_BY = (3 << 8) | 20;
const VERSION_NEEDED = 10;
const FILE_MODE = 0o100644;
/** Files whose owner may execute them (the executor's bin/bwrap): FC unzips with the archive's modes. */
const EXEC_MODE = 0o100755;
const DIR_MODE = 0o040755;

interface Entry {
  name: string;
  data: Buffer;
  directory: boolean;
  executable?: boolean;
}

/** Every file and folder under `root`, as POSIX relative paths (folders end in `/`), sorted by code unit. */
export function listTree(root: string): Array<{ name: string; absolute: string; directory: boolean }> {
  const out: Array<{ name: string; absolute: string; directory: boolean }> = [];
  const walk = (dir: string, rel: string) => {
    for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
      const absolute = path.join(dir, item.name);
      const name = rel ? `${rel}/${item.name}` : item.name;
      if (item.isDirectory()) {
        out.push({ name: `${name}/`, absolute, directory: true });
        walk(absolute, name);
      } else if (item.isFile()) {
        out.push({ name, absolute, directory: false });
      } else if (item.isSymbolicLink()) {
        // Follow links to files: FC unzips into a read-only folder, a dangling link would break at run time.
        const target = fs.statSync(absolute);
        if (!target.isFile()) throw new Error(`deterministicZip: ${absolute}: links to folders are not supported`);
        out.push({ name, absolute, directory: false });
      }
    }
  };
  walk(root, '');
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Zips the folder `root` (its contents at the top level of the archive). */
export function deterministicZip(root: string): Buffer {
  if (!fs.statSync(root).isDirectory()) throw new Error(`deterministicZip: ${root}: not a folder`);
  const entries: Entry[] = listTree(root).map((item) => ({
    name: item.name,
    directory: item.directory,
    data: item.directory ? Buffer.alloc(0) : fs.readFileSync(item.absolute),
    executable: !item.directory && (fs.statSync(item.absolute).mode & 0o100) !== 0,
  }));
  return zipEntries(entries);
}

function zipEntries(entries: Entry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const crc = crc32(entry.data);
    const size = entry.data.length;
    if (size > 0xfffffffe || offset > 0xfffffffe) throw new Error('deterministicZip: archives above 4 GiB are not supported');

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(FLAG_UTF8, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, entry.data);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(VERSION_MADE_BY, 4);
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(FLAG_UTF8, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(size, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    const mode = entry.directory ? DIR_MODE : entry.executable ? EXEC_MODE : FILE_MODE;
    central.writeUInt32LE((((mode << 16) >>> 0) | (entry.directory ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + size;
  }
  if (entries.length > 0xffff) throw new Error('deterministicZip: more than 65535 entries are not supported');
  const centralSize = centrals.reduce((sum, b) => sum + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, ...centrals, end]);
}
