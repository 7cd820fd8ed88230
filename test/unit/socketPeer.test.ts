/**
 * adapters/process/socketPeer.ts: parsing the kernel's TCP tables, and finding the owner of a real connection's other end,
 * root or a sandbox uid, over IPv4, IPv6 and a dual-stack listener.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { canonicalAddress, parseProcNetTcp, peerRowIn, peerRowInTable, peerUid, rootPeerVerdict, TCP_ESTABLISHED, type TcpSocketEntry } from '../../adapters/process/socketPeer';
import { claimUidBlock, type UidBlock } from '../../local/uidBlock';

describe('canonicalAddress', () => {
  test.each<[string, string | null]>([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['::1', '0000:0000:0000:0000:0000:0000:0000:0001'],
    ['::', '0000:0000:0000:0000:0000:0000:0000:0000'],
    ['fe80::1%eth0', 'fe80:0000:0000:0000:0000:0000:0000:0001'],
    ['2001:db8:0:0:1:0:0:1', '2001:0db8:0000:0000:0001:0000:0000:0001'],
    ['2001:DB8::1:0:0:1', '2001:0db8:0000:0000:0001:0000:0000:0001'],
    ['64:ff9b::192.0.2.33', '0064:ff9b:0000:0000:0000:0000:c000:0221'],
    ['localhost', null],
    ['', null],
    ['1.2.3', null],
    ['1::2::3', null],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalAddress(input)).toBe(expected);
  });
});

describe('parseProcNetTcp', () => {
  const TCP = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 35 1 000000009a191cb1 100 0 0 10 0',
    '   1: 0100007F:A2DC 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 40001        0 913 1 00000000913549f0 20 4 30 10 -1',
    '   2: 0100007F:9683 0100007F:1F90 06 00000000:00000000 03:00000000 00000000     0        0 0 3 00000000716f8692',
    '   3: garbage',
    '',
  ].join('\n');
  const TCP6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0000000000000000FFFF00000100007F:9277 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 7 1 00000000eaec18dc',
    '   1: 00000000000000000000000001000000:D431 00000000000000000000000001000000:1F90 01 00000000:00000000 00:00000000 00000000     0        0 8 1 0000000000000000',
  ].join('\n');

  test('IPv4 rows on a little-endian host: addresses, ports, state and uid; the header and garbage are skipped', () => {
    expect(parseProcNetTcp(TCP, true)).toEqual<TcpSocketEntry[]>([
      { local: { address: '127.0.0.1', port: 8080 }, remote: { address: '0.0.0.0', port: 0 }, state: 10, uid: 0 },
      { local: { address: '127.0.0.1', port: 0xa2dc }, remote: { address: '127.0.0.1', port: 8080 }, state: TCP_ESTABLISHED, uid: 40001 },
      { local: { address: '127.0.0.1', port: 0x9683 }, remote: { address: '127.0.0.1', port: 8080 }, state: 6, uid: 0 },
    ]);
  });

  test('IPv6 rows: IPv4-mapped addresses read as IPv4, ::1 in full form', () => {
    expect(parseProcNetTcp(TCP6, true)).toEqual<TcpSocketEntry[]>([
      { local: { address: '127.0.0.1', port: 0x9277 }, remote: { address: '127.0.0.1', port: 8080 }, state: 1, uid: 1000 },
      { local: { address: canonicalAddress('::1')!, port: 0xd431 }, remote: { address: canonicalAddress('::1')!, port: 8080 }, state: 1, uid: 0 },
    ]);
  });

  test('a big-endian host prints the bytes in order', () => {
    const [row] = parseProcNetTcp('   0: 7F000001:0050 0A000002:C350 01 0:0 0:0 0 33 0 1', false);
    expect(row).toEqual({ local: { address: '127.0.0.1', port: 80 }, remote: { address: '10.0.0.2', port: 50000 }, state: 1, uid: 33 });
  });
});

/** A server that hands over each accepted socket, and clients (in this process or as another uid) to connect. */
async function listen(host: string): Promise<{ server: net.Server; port: number; next(): Promise<net.Socket> }> {
  const waiting: Array<(s: net.Socket) => void> = [];
  const ready: net.Socket[] = [];
  const server = net.createServer((s) => {
    // Read both ends now: Node caches them, so they stay known after the peer goes away.
    void s.remoteAddress;
    void s.localAddress;
    const w = waiting.shift();
    if (w) w(s);
    else ready.push(s);
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return {
    server,
    port: (server.address() as net.AddressInfo).port,
    next: () => new Promise((r) => (ready.length ? r(ready.shift()!) : waiting.push(r))),
  };
}

/** Connects as `uid` from a child process that holds the connection open until killed. */
function connectAs(uid: number, host: string, port: number): ChildProcess {
  const code = `const s = require('net').connect(${port}, ${JSON.stringify(host)}); s.on('error', () => process.exit(3)); setInterval(() => {}, 1000);`;
  return spawn(process.execPath, ['-e', code], { uid, gid: uid, cwd: '/', env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore' });
}

describe('the peer of a live connection', () => {
  let uids: UidBlock;
  const children: ChildProcess[] = [];
  const servers: net.Server[] = [];
  beforeAll(() => {
    uids = claimUidBlock(1);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const s of servers) s.close();
    uids?.release();
  });

  test.each<[string, string, string]>([
    ['IPv4', '127.0.0.1', '127.0.0.1'],
    ['IPv6', '::1', '::1'],
    ['IPv4 to a dual-stack listener', '::', '127.0.0.1'],
    ['IPv4-mapped IPv6 to a dual-stack listener', '::', '::ffff:127.0.0.1'],
  ])('%s: root is served, a sandbox uid is refused by name', async (_name, listenOn, connectTo) => {
    const l = await listen(listenOn);
    servers.push(l.server);

    const client = net.connect(l.port, connectTo);
    const rootSide = await l.next();
    expect(peerUid(rootSide)).toBe(0);
    expect(rootPeerVerdict(rootSide)).toEqual({ ok: true, uid: 0 });
    client.destroy();

    const child = connectAs(uids.base, connectTo, l.port);
    children.push(child);
    const sandboxSide = await l.next();
    expect(peerUid(sandboxSide)).toBe(uids.base);
    expect(rootPeerVerdict(sandboxSide)).toEqual({ ok: false, reason: `the peer socket belongs to uid ${uids.base}` });
    child.kill('SIGKILL');
  });

  test('a client that closed right after connecting cannot be vouched for: refused', async () => {
    const l = await listen('127.0.0.1');
    servers.push(l.server);
    const client = net.connect(l.port, '127.0.0.1');
    const side = await l.next();
    const closed = new Promise((r) => client.once('close', r));
    client.end();
    await closed;
    // Its row now is FIN_WAIT2 or TIME_WAIT, whose uid column reads 0: trusting it would let anyone in.
    expect(peerUid(side)).toBeNull();
    expect(rootPeerVerdict(side)).toMatchObject({ ok: false, reason: expect.stringMatching(/no longer established|already gone/) });
  });
});

describe('peerRowInTable: read a chunk at a time up to the row', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcp-table-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  // Rows of 127.0.0.1 clients (ports 40000 + i) to 127.0.0.1:8080, the wanted one (uid 40001) at `at`.
  const row = (i: number, uid: number) => `${String(i).padStart(4)}: 0100007F:${(40000 + i).toString(16).toUpperCase()} 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${i} 1 0000000000000000 20 4 30 10 -1`;
  const table = (rows: number, at: number) => {
    const file = path.join(dir, `tcp-${rows}-${at}`);
    const lines = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'];
    for (let i = 0; i < rows; i++) lines.push(row(i, i === at ? 40001 : 0));
    fs.writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  const endsFor = (i: number) => ({ remote: { address: '127.0.0.1', port: 40000 + i }, local: { address: '127.0.0.1', port: 8080 } });

  test.each([
    ['in the first chunk', 3],
    ['past many chunks', 180],
    ['the last row', 199],
  ])('a row %s is found, whole, wherever the chunks cut the rows', (_name, at) => {
    const file = table(200, at);
    // Chunks of sizes that cut rows at every offset in turn, down to a few bytes.
    for (const chunkBytes of [7, 64, 151, 1000, 64 * 1024]) {
      expect(peerRowInTable(file, endsFor(at), chunkBytes)).toMatchObject({ uid: 40001, state: TCP_ESTABLISHED, local: { port: 40000 + at } });
    }
  });

  test('a peer not listed: null after the whole table; a table that cannot be opened: unreadable', () => {
    expect(peerRowInTable(table(50, 7), endsFor(99), 100)).toBeNull();
    expect(peerRowInTable(path.join(dir, 'missing'), endsFor(1))).toBe('unreadable');
  });
});

describe('rootPeerVerdict against given tables', () => {
  const socket = (remoteAddress: string, remotePort = 50000) => ({ remoteAddress, remotePort, localAddress: '127.0.0.1', localPort: 9000 }) as net.Socket;
  const row = (uid: number, state = TCP_ESTABLISHED, address = '127.0.0.1'): TcpSocketEntry => ({
    local: { address, port: 50000 },
    remote: { address: '127.0.0.1', port: 9000 },
    state,
    uid,
  });

  test.each<[string, net.Socket, TcpSocketEntry[] | null, boolean]>([
    ['a root peer', socket('127.0.0.1'), [row(0)], true],
    ['a sandbox-uid peer', socket('127.0.0.1'), [row(40000)], false],
    ['the same peer seen through a dual-stack listener', socket('::ffff:127.0.0.1'), [row(40000)], false],
    ['a local peer in TIME_WAIT (uid column 0)', socket('127.0.0.1'), [row(0, 6)], false],
    ['a loopback peer missing from the tables', socket('127.0.0.2'), [row(0)], false],
    ['a peer on another host (FC proxy)', socket('203.0.113.9'), [row(0)], true],
    ['unreadable tables', socket('203.0.113.9'), null, false],
    ['a peer whose address is not one of this host’s but whose socket is listed here (a local route)', socket('203.0.113.9'), [row(40000, TCP_ESTABLISHED, '203.0.113.9')], false],
    ['a connection that is gone', { remoteAddress: undefined } as unknown as net.Socket, [], false],
  ])('%s', (_name, s, tables, ok) => {
    expect(rootPeerVerdict(s, peerRowIn(tables)).ok).toBe(ok);
  });
});
