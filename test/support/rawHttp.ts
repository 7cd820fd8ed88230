/**
 * HTTP over a bare TCP socket: for requests no HTTP client would send (broken request lines, bytes that are not
 * HTTP at all), and for reading exactly what the server answered.
 */
import * as net from 'net';

export interface RawAnswer {
  /** 0 when nothing parsable came back before the socket closed or the wait ran out. */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection (or the wait ran out) rather than keeping it alive. */
  closed: boolean;
}

function parseHead(buf: Buffer): { status: number; headers: Record<string, string>; bodyStart: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(m[1]), headers, bodyStart: end + 4 };
}

/**
 * Sends `bytes` on a fresh connection and resolves with the first answer: complete once its Content-Length is in
 * or its last chunk arrived (a keep-alive answer), or whatever arrived when the server closes or `waitMs` passes.
 */
export function rawExchange(port: number, bytes: string | Buffer, waitMs = 3_000, host = '127.0.0.1'): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const head = parseHead(buf);
      if (!head) return resolve({ status: 0, headers: {}, body: buf.toString('latin1'), closed });
      let body = buf.subarray(head.bodyStart);
      if (head.headers['transfer-encoding'] === 'chunked') body = Buffer.from(dechunk(body.toString('latin1')), 'latin1');
      resolve({ status: head.status, headers: head.headers, body: body.toString('utf8'), closed });
    };
    const timer = setTimeout(() => finish(true), waitMs);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const head = parseHead(buf);
      if (!head) return;
      const length = Number(head.headers['content-length']);
      const chunkedDone = head.headers['transfer-encoding'] === 'chunked' && /(^|\r\n)0\r\n\r\n$/.test(buf.subarray(head.bodyStart).toString('latin1'));
      if ((Number.isFinite(length) && buf.length - head.bodyStart >= length) || chunkedDone) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(bytes);
  });
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol === -1) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!Number.isFinite(size) || size === 0) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 4 + size);
  }
}

/** `line` as a complete request (CRLF line ends, a Host header, no body). */
export function requestFrom(line: string | Buffer, headers: string[] = ['Host: pocketrun.test']): Buffer {
  return Buffer.concat([Buffer.isBuffer(line) ? line : Buffer.from(line, 'latin1'), Buffer.from(`\r\n${headers.map((h) => h + '\r\n').join('')}\r\n`, 'latin1')]);
}
