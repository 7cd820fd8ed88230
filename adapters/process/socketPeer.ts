/**
 * Who is at the other end of a TCP connection, when that end is on this host: the kernel lists every TCP socket
 * of this network namespace in /proc/net/tcp and /proc/net/tcp6 with the uid that created it. A program in the
 * sandbox shares the executor's network namespace under uid isolation (and under bwrap with the network allowed),
 * so its connection to the executor's port shows up there with its sandbox uid, which is never root.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';

export interface TcpEndpoint {
  /** Canonical text form (see `canonicalAddress`). */
  address: string;
  port: number;
}

export interface TcpSocketEntry {
  local: TcpEndpoint;
  remote: TcpEndpoint;
  /** The kernel's TCP state number (`TCP_ESTABLISHED` = 1, TIME_WAIT = 6, LISTEN = 10, …). */
  state: number;
  /** Uid of the socket's creator; 0 for sockets in TIME_WAIT, which no longer have an owner. */
  uid: number;
}

export const TCP_ESTABLISHED = 1;

const PROC_NET_TCP = ['/proc/net/tcp', '/proc/net/tcp6'];

/**
 * A canonical text form of an IP address, so that Node's and the kernel's spellings compare equal: dotted quad for
 * IPv4 and for IPv4-mapped IPv6 (a dual-stack listener sees `::ffff:127.0.0.1`), eight 4-digit lowercase groups
 * for any other IPv6. Null for anything that is not an IP address.
 */
export function canonicalAddress(address: string): string | null {
  const bytes = addressBytes(address.replace(/%.*$/, ''));
  return bytes ? bytesToCanonical(bytes) : null;
}

function addressBytes(address: string): Buffer | null {
  if (net.isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!net.isIPv6(address)) return null;
  let text = address;
  const tail: number[] = [];
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...dotted[1].split('.').map(Number));
    text = text.slice(0, dotted.index + 1) + '0:0';
  }
  const [head, rest] = text.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':').filter((g) => g !== '') : []);
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const missing = 8 - left.length - right.length;
  const all = [...left, ...Array<string>(rest === undefined ? 0 : Math.max(0, missing)).fill('0'), ...right];
  if (all.length !== 8) return null;
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  if (tail.length === 4) Buffer.from(tail).copy(out, 12);
  return out;
}

function bytesToCanonical(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return [...bytes.subarray(12)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16).padStart(4, '0'));
  return groups.join(':');
}

/**
 * The kernel prints each address as the 32-bit words of the in-memory (network order) bytes, formatted as host
 * integers: on a little-endian machine every 4-byte word appears byte-reversed.
 */
function kernelHexAddress(hex: string, littleEndian: boolean): string | null {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return null;
  const bytes = Buffer.from(hex, 'hex');
  if (littleEndian) for (let i = 0; i < bytes.length; i += 4) bytes.subarray(i, i + 4).reverse();
  return bytesToCanonical(bytes);
}

function kernelEndpoint(text: string, littleEndian: boolean): TcpEndpoint | null {
  const [hex, portHex] = text.split(':');
  const address = hex === undefined ? null : kernelHexAddress(hex, littleEndian);
  const port = parseInt(portHex ?? '', 16);
  return address && Number.isInteger(port) ? { address, port } : null;
}

/** The rows of a /proc/net/tcp or /proc/net/tcp6 text (its header line and any malformed row are skipped). */
export function parseProcNetTcp(text: string, littleEndian = os.endianness() === 'LE'): TcpSocketEntry[] {
  const entries: TcpSocketEntry[] = [];
  for (const line of text.split('\n')) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+:$/.test(f[0])) continue;
    const local = kernelEndpoint(f[1], littleEndian);
    const remote = kernelEndpoint(f[2], littleEndian);
    const state = parseInt(f[3], 16);
    const uid = Number(f[7]);
    if (!local || !remote || !Number.isInteger(state) || !Number.isInteger(uid)) continue;
    entries.push({ local, remote, state, uid });
  }
  return entries;
}

/** The two ends of a connection as this side sees them. */
export interface SocketEnds {
  /** The far end, as this side sees it. */
  remote: TcpEndpoint;
  /** This side. */
  local: TcpEndpoint;
}

function endsOf(socket: net.Socket): SocketEnds | null {
  const remote = canonicalAddress(socket.remoteAddress ?? '');
  const local = canonicalAddress(socket.localAddress ?? '');
  if (!remote || !local || !socket.remotePort || !socket.localPort) return null;
  return { remote: { address: remote, port: socket.remotePort }, local: { address: local, port: socket.localPort } };
}

const same = (a: TcpEndpoint, b: TcpEndpoint) => a.port === b.port && a.address === b.address;

/** The peer's own row is the mirror image of ours: its local end is our remote one and the other way round. */
const isPeerRow = (row: TcpSocketEntry, ends: SocketEnds) => same(row.local, ends.remote) && same(row.remote, ends.local);

/** Finds the kernel's row of the peer's socket: null when it is not listed, `unreadable` when the table cannot be read. */
export type PeerLookup = (ends: SocketEnds) => TcpSocketEntry | null | 'unreadable';

/** A lookup in given rows (null: tables that could not be read). */
export const peerRowIn =
  (rows: TcpSocketEntry[] | null): PeerLookup =>
  (ends) =>
    rows === null ? 'unreadable' : (rows.find((row) => isPeerRow(row, ends)) ?? null);

/**
 * The peer's row from the kernel, read a page at a time and no further than its row. The kernel makes each page of
 * /proc/net/tcp* by walking its TCP hash table, all of it for a whole file whatever few sockets there are: 4–5 ms of
 * system time per file on this 24 GiB VM, on the executor's event loop at every connection it accepts (a peer that
 * is not listed, one on another host among them, still costs both files). A peer with an IPv4 address (v4-mapped
 * included) is usually an IPv4 socket (/proc/net/tcp), but may be an IPv6 one connected to a v4-mapped address
 * (/proc/net/tcp6), which is looked at only when the first has no row; any other peer is IPv6.
 */
export const peerRowFromKernel: PeerLookup = (ends) => {
  const files = /^\d+\.\d+\.\d+\.\d+$/.test(ends.remote.address) ? PROC_NET_TCP : PROC_NET_TCP.slice(1);
  let readable = false;
  for (const file of files) {
    const found = peerRowInTable(file, ends);
    if (found === 'unreadable') continue; // no IPv6 on this host: tcp6 is missing
    readable = true;
    if (found) return found;
  }
  return readable ? null : 'unreadable';
};

/** The peer's row in one table file in /proc/net/tcp's format, read `chunkBytes` at a time up to the row. */
export function peerRowInTable(file: string, ends: SocketEnds, chunkBytes = 64 * 1024): ReturnType<PeerLookup> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return 'unreadable';
  }
  try {
    const chunk = Buffer.alloc(chunkBytes);
    // A row the last read cut off, completed by the next.
    let partial = '';
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return null;
      const text = partial + chunk.toString('latin1', 0, n);
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      const found = parseProcNetTcp(text.slice(0, cut)).find((row) => isPeerRow(row, ends));
      if (found) return found;
    }
  } catch {
    return 'unreadable';
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The uid owning the other end of `socket` when it is a live (established) socket on this host; null when the
 * other end is not one (another host, or a socket already closed).
 */
export function peerUid(socket: net.Socket): number | null {
  const ends = endsOf(socket);
  const entry = ends ? peerRowFromKernel(ends) : null;
  return entry && entry !== 'unreadable' && entry.state === TCP_ESTABLISHED ? entry.uid : null;
}

/** Addresses that belong to this host: a connection from one of them was made by a local process. */
function isLocalAddress(address: string): boolean {
  if (/^127\./.test(address) || address === '0000:0000:0000:0000:0000:0000:0000:0001' || address === '0.0.0.0') return true;
  return Object.values(os.networkInterfaces())
    .flat()
    .some((i) => i !== undefined && canonicalAddress(i.address) === address);
}

export type PeerVerdict = { ok: true; uid: number | null } | { ok: false; reason: string };

/**
 * Whether a connection may be served by a root-only service: refused when its other end is a local socket owned
 * by anyone but root, or a local socket that can no longer be vouched for (closed right after connecting, so its
 * row lost its owner), or when the tables cannot be read. A peer on another host (FC's proxy) is served.
 */
export function rootPeerVerdict(socket: net.Socket, lookUp: PeerLookup = peerRowFromKernel): PeerVerdict {
  const ends = endsOf(socket);
  if (!ends) return { ok: false, reason: 'the connection is already gone' };
  // Looked up whatever the address says: a row in this host's tables proves the peer local, whether or not its
  // address is one isLocalAddress knows (an address a local route gives without an interface holding it).
  const entry = lookUp(ends);
  if (entry === 'unreadable') return { ok: false, reason: 'the TCP tables in /proc/net are not readable' };
  if (entry) {
    if (entry.state !== TCP_ESTABLISHED) return { ok: false, reason: `the local peer socket is no longer established (state ${entry.state})` };
    if (entry.uid !== 0) return { ok: false, reason: `the peer socket belongs to uid ${entry.uid}` };
    return { ok: true, uid: 0 };
  }
  if (isLocalAddress(ends.remote.address)) return { ok: false, reason: 'the peer is local but its socket is not listed' };
  return { ok: true, uid: null };
}
