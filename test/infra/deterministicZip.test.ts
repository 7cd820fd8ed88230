/**
 * The code package format: reproducible ZIPs (sorted, fixed times and modes, stored) and the checksums FC and
 * ZIP need. Read back with a minimal independent parser and, where available, the system's unzip.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crc32, crc64ecma, deterministicZip } from '../../infra/deterministicZip';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-zip-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(root: string, rel: string, content: string | Buffer): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

interface ParsedEntry {
  name: string;
  method: number;
  time: number;
  date: number;
  crc: number;
  size: number;
  mode: number;
  data: Buffer;
}

/** Reads the central directory and each entry's data. */
function parseZip(zip: Buffer): ParsedEntry[] {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ParsedEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const size = zip.readUInt32LE(at + 24);
    const localName = zip.readUInt16LE(local + 26);
    const localExtra = zip.readUInt16LE(local + 28);
    entries.push({
      name: zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
      method: zip.readUInt16LE(at + 10),
      time: zip.readUInt16LE(at + 12),
      date: zip.readUInt16LE(at + 14),
      crc: zip.readUInt32LE(at + 16),
      size,
      mode: zip.readUInt32LE(at + 38) >>> 16,
      data: zip.subarray(local + 30 + localName + localExtra, local + 30 + localName + localExtra + size),
    });
    at += 46 + nameLength + extra + comment;
  }
  return entries;
}

describe('checksums', () => {
  test('CRC-32 (IEEE) check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  test('CRC-64/ECMA-182 as OSS and FC compute it (check value 0x995DC9BBDF1939FA), in decimal', () => {
    expect(crc64ecma(Buffer.from('123456789'))).toBe(BigInt('0x995DC9BBDF1939FA').toString(10));
    expect(crc64ecma(Buffer.alloc(0))).toBe('0');
  });
});

describe('deterministicZip', () => {
  test('entries sorted, folders included, 1980-01-01 times, fixed modes, stored with the right CRCs', () => {
    const root = path.join(tmp, 'bundle');
    write(root, 'index.js', 'console.log(1)\n');
    write(root, 'node_modules/@lydell/node-pty-linux-x64/pty.node', Buffer.from([0, 1, 2, 255]));
    write(root, 'a.txt', 'first');
    fs.chmodSync(path.join(root, 'a.txt'), 0o600);
    const entries = parseZip(deterministicZip(root));
    expect(entries.map((e) => e.name)).toEqual([
      'a.txt',
      'index.js',
      'node_modules/',
      'node_modules/@lydell/',
      'node_modules/@lydell/node-pty-linux-x64/',
      'node_modules/@lydell/node-pty-linux-x64/pty.node',
    ]);
    for (const entry of entries) {
      expect(entry.method).toBe(0);
      expect(entry.time).toBe(0);
      expect(entry.date).toBe(0x21);
      expect(entry.mode).toBe(entry.name.endsWith('/') ? 0o040755 : 0o100644);
      expect(entry.crc).toBe(crc32(entry.data));
    }
    expect(entries.find((e) => e.name === 'index.js')?.data.toString()).toBe('console.log(1)\n');
  });

  test('the same files give the same bytes, whatever their timestamps or creation order', () => {
    const one = path.join(tmp, 'one');
    const two = path.join(tmp, 'two');
    write(one, 'b/x.js', 'x');
    write(one, 'a.js', 'a');
    write(two, 'a.js', 'a');
    write(two, 'b/x.js', 'x');
    fs.utimesSync(path.join(two, 'a.js'), new Date('2001-01-01'), new Date('2001-01-01'));
    expect(deterministicZip(two).equals(deterministicZip(one))).toBe(true);
    write(two, 'a.js', 'A');
    expect(deterministicZip(two).equals(deterministicZip(one))).toBe(false);
  });

  test('unzip accepts the archive', () => {
    let unzip = true;
    try {
      execFileSync('unzip', ['-v'], { stdio: 'ignore' });
    } catch {
      unzip = false;
    }
    if (!unzip) return;
    const root = path.join(tmp, 'bundle');
    write(root, 'index.js', 'hello');
    write(root, 'node_modules/m/index.js', 'world');
    const file = path.join(tmp, 'bundle.zip');
    fs.writeFileSync(file, deterministicZip(root));
    expect(execFileSync('unzip', ['-t', file]).toString()).toMatch(/No errors detected/);
    expect(execFileSync('unzip', ['-p', file, 'node_modules/m/index.js']).toString()).toBe('world');
  });

  test('a missing folder is refused, naming it', () => {
    expect(() => deterministicZip(path.join(tmp, 'nope'))).toThrow(/nope/);
  });
});
