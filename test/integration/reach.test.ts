/**
 * Reaching the local platform from a phone on the same network: `HOST=0.0.0.0 npm start` prints the machine's
 * own addresses (not 0.0.0.0) and warns loudly when no API_TOKEN is set. (The addresses are only printed, never
 * requested: tests talk to loopback alone.)
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { reachableUrls } from '../../local/reachableUrls';
import { ROOT } from '../support/platform';

test.each<[string, string, NodeJS.Dict<os.NetworkInterfaceInfo[]>, string[]]>([
  ['a plain address is kept', '127.0.0.1', {}, ['http://127.0.0.1:8080']],
  ['0.0.0.0 lists the machine’s own addresses, IPv4 first, no loopback, no link-local', '0.0.0.0', {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true } as os.NetworkInterfaceInfo],
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false } as os.NetworkInterfaceInfo,
      { address: '2001:db8::5', family: 'IPv6', internal: false } as os.NetworkInterfaceInfo,
      { address: '192.168.1.20', family: 'IPv4', internal: false } as os.NetworkInterfaceInfo,
    ],
  }, ['http://192.168.1.20:8080', 'http://[2001:db8::5]:8080']],
  ['no other interface: loopback', '::', { lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true } as os.NetworkInterfaceInfo] }, ['http://127.0.0.1:8080']],
])('reachableUrls: %s', (_name, host, interfaces, expected) => {
  expect(reachableUrls(host, 8080, interfaces)).toEqual(expected);
});

async function banner(env: Record<string, string>): Promise<string[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-reach-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/local/index.js')], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, EXECUTORS: '1', HOST: '0.0.0.0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const lines: string[] = [];
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        // The warning, when there is one, follows the stop hint.
        if (lines.some((l) => l.includes('Ctrl-C'))) setTimeout(() => resolve(lines), 200);
      });
      child.once('exit', () => reject(new Error(`exited early: ${lines.join('\n')}`)));
    });
  } finally {
    child.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

test('HOST=0.0.0.0 prints the addresses a phone can use, and warns without a token', async () => {
  const lines = await banner({ API_TOKEN: '' });
  const text = lines.join('\n');
  const urlLines = lines.slice(lines.findIndex((l) => l.includes('url:')), lines.findIndex((l) => l.includes('data:')));
  expect(urlLines.join('\n')).not.toContain('0.0.0.0');
  const urls = [...text.matchAll(/http:\/\/(\S+)/g)].map((m) => m[0]);
  expect(urls.length).toBeGreaterThan(0);
  for (const url of urls) expect(url).not.toMatch(/127\.0\.0\.1/);
  expect(text).toMatch(/WARNING: listening on 0\.0\.0\.0 with no API_TOKEN/);
}, 60_000);

test('with a token there is no warning', async () => {
  const text = (await banner({ API_TOKEN: 'a-long-enough-token-for-the-test-0123456789' })).join('\n');
  expect(text).toContain('api token:  required');
  expect(text).not.toContain('WARNING');
}, 60_000);
