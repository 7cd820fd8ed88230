/** The small HTTP toolkit both function servers share. */
import type { IncomingMessage, Server, ServerResponse } from 'http';
import type { Duplex } from 'stream';
import { ApiError, badRequest, notFound } from '../core/apiError';

/** Reads the whole body, refusing (413) past `maxBytes` without buffering the rest. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(new ApiError(413, 'payload_too_large', `body: larger than ${maxBytes} bytes`));
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new ApiError(413, 'payload_too_large', `body: larger than ${maxBytes} bytes`));
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(payload.length), ...headers });
  res.end(payload);
}

/** A plain-text answer, for the few routes of the compatibility APIs that answer text (Judge0's `/version`). */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const payload = Buffer.from(text);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(payload.length), ...headers });
  res.end(payload);
}

/** One JSON line per record on stdout: what FC ships to Simple Log Service. Never code, stdin or output. */
export function logLine(record: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...record }) + '\n');
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Paths echoed in error messages are cut here: the message names the path, it does not mirror 16 KiB of it. */
const ECHO_MAX = 120;

export function clipped(text: string): string {
  return text.length > ECHO_MAX ? `${text.slice(0, ECHO_MAX)}…` : text;
}

/**
 * The request target as a URL, or a 400. An origin-form target (`/path?query`) is always read as a path, so
 * `//host/api/health` is the path `//host/api/health`, never a host (WHATWG's scheme-relative reading). An
 * absolute-form target (RFC 9112 3.2.2, which servers must accept) must be a valid URL; anything else (`*`, `foo`)
 * names nothing here.
 */
export function parseTarget(raw: string | undefined): URL {
  const target = raw ?? '';
  if (target.startsWith('/')) return new URL(`http://origin.invalid${target}`);
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(target)) {
    try {
      return new URL(target);
    } catch {
      // answered below
    }
    throw badRequest('target', `${JSON.stringify(clipped(target))} is not a valid absolute URL`);
  }
  throw badRequest('target', `expected a path starting with "/", got ${JSON.stringify(clipped(target))}`);
}

/**
 * Node answers an HTTP/1.1 request without Host by itself, with an empty 400 (`requireHostHeader`); both servers
 * turn that off and call this instead, so the answer has the JSON shape of every other one.
 */
export function requireHost(req: IncomingMessage): void {
  if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1 && !req.headers.host) throw badRequest('host', 'an HTTP/1.1 request must carry a Host header');
}

/**
 * A request whose Transfer-Encoding does not end in `chunked` has no length anyone can agree on (RFC 9112 6.1: the
 * server must answer 400 and close). Node reads its body until the connection closes: a request held for the whole
 * request timeout, and behind a proxy that reads it otherwise, the next request smuggled inside this one's body.
 */
export function requireBodyLength(req: IncomingMessage): void {
  const codings = header(req, 'transfer-encoding');
  if (codings === undefined || /(^|,)\s*chunked\s*$/i.test(codings)) return;
  const err = badRequest('transfer-encoding', `${JSON.stringify(clipped(codings))} does not end in chunked, so the body has no length`);
  throw new ApiError(err.status, err.code, err.message, { connection: 'close' });
}

/**
 * Options both function servers are created with (see `requireHost`). Requests past their time limit to arrive
 * are looked for every second, not every 30 s: a limit of 60 s would otherwise hold a slow client up to 90 s.
 */
export const SERVER_OPTIONS = { requireHostHeader: false, connectionsCheckingInterval: 1_000 } as const;

/** One path segment, percent-decoded; an escape that does not decode (`%ZZ`, cut UTF-8) means no such path: 404. */
export function decodeSegment(segment: string, pathname: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw notFound(`route ${clipped(pathname)}`);
  }
}

const CLIENT_ERROR_STATUS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Payload Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * Answers what Node's HTTP parser refuses (bytes that are no HTTP request, a NUL in the target, no Host) with the
 * same JSON error shape as every other answer, then closes the connection: the parser cannot resynchronise.
 */
export function answerClientErrors(server: Server, extraHeaders: Record<string, string> = {}): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A response already under way on this connection would be corrupted by a second one (Node's own rule).
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && inFlight && !inFlight.writableFinished) {
      // The request being answered is the one that has not all arrived (its handler waits for its body, and would
      // wait for ever): the 408 is its answer. A complete one being answered while the next one is late must not
      // get the 408 in its stead: the connection is cut.
      if (!inFlight.req.complete) answerClientError(err, socket, extraHeaders);
      else socket.destroy();
      return;
    }
    // A pipelined bad request behind a good one still being answered (an async handler): answer it afterwards, so
    // the good answer is not lost.
    if (inFlight && !inFlight.writableFinished) {
      inFlight.once('finish', () => answerClientError(err, socket, extraHeaders));
      inFlight.once('close', () => {
        if (!inFlight.writableFinished) socket.destroy();
      });
      return;
    }
    answerClientError(err, socket, extraHeaders);
  });
}

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, extraHeaders: Record<string, string>): void {
  const [status, reason] = CLIENT_ERROR_STATUS[err.code ?? ''] ?? [400, 'Bad Request'];
  const code = status === 400 ? 'invalid_request' : status === 408 ? 'timeout' : 'payload_too_large';
  const message =
    status === 431
      ? 'request: the request line and headers are larger than the server accepts'
      : status === 408
        ? "request: did not arrive in full within the server's time limit"
        : `request: not a well-formed HTTP/1.1 request (${err.code ?? 'parse error'})`;
  endWithJson(socket, status, reason, { error: { code, message } }, extraHeaders);
}

/**
 * Answers on a bare socket (one the HTTP server no longer answers for: a parse error, a refused WebSocket upgrade)
 * with a JSON body, then closes it.
 */
export function endWithJson(socket: Duplex, status: number, reason: string, value: unknown, extraHeaders: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(value);
  const headers = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extraHeaders, connection: 'close', 'content-length': String(Buffer.byteLength(body)) };
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
}
