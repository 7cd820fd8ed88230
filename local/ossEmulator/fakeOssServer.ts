/**
 * An in-memory stand-in for one OSS bucket, speaking the REST subset `adapters/storage/ossStore.ts` uses: PutObject,
 * AppendObject, GetObject (with `x-oss-range-behavior: standard`), HeadObject, DeleteObject and ListObjects (v1).
 *
 * It is strict on purpose: a request whose shape the real service would treat differently (a Range without
 * `x-oss-range-behavior`, an append without `position`, a bad V1 signature, a missing STS token, a path-style
 * address...) is answered 400/403 and recorded in `violations`, so a test can fail on it instead of passing against
 * a server kinder than OSS.
 *
 * Beside the tests, the bench's simulated cloud (bench/cloud.ts) runs both function bundles against it, with a
 * round-trip latency added to every request (`latencyMs`) and the OSS trigger driven by `onObjectCreated`.
 *
 * Addressing: ali-oss, given an IP endpoint, keeps the request on that IP but sends the virtual-hosted
 * `Host: <bucket>.<region>.aliyuncs.com`, so the bucket comes from the Host header and the path is `/<key>`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** When set, requests signed with this key must carry it in `x-oss-security-token`. */
  stsToken?: string;
}

export interface FakeOssOptions {
  bucket: string;
  credentials: FakeCredentials[];
  /** Caps `max-keys` so tests can force the client to paginate. Default 1000 (OSS's own cap). */
  maxKeysCap?: number;
  /** Whether a 416 carries `Content-Range: bytes *\/<size>`. Default true. */
  contentRangeOn416?: boolean;
  /** Whether a PositionNotEqualToLength 409 carries `x-oss-next-append-position`. Default true. */
  nextPositionOn409?: boolean;
  /** Allowed clock skew of the signed date, as OSS's RequestTimeTooSkewed (15 minutes). */
  maxSkewMs?: number;
  /**
   * The network's round trip added to every request: half before the request is served, half before its answer
   * leaves, as a request to a distant server sees storage. Default 0.
   */
  latencyMs?: number;
  /** Told of every PutObject that stored an object (OSS's `ObjectCreated:PutObject` event, e.g. for a trigger). */
  onObjectCreated?: (key: string, object: FakeObject) => void;
}

export interface RecordedRequest {
  method: string;
  /** Decoded object key, or '' for a bucket-level request. */
  key: string;
  /** Raw path and query as sent. */
  url: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
  /** Status the fake answered. */
  status: number;
  /** When the whole request had arrived (Date.now()); its answer leaves `latencyMs` later. */
  at: number;
}

export interface Violation {
  kind: 'shape' | 'auth';
  method: string;
  url: string;
  code: string;
  reason: string;
}

export interface FakeObject {
  data: Buffer;
  type: 'Normal' | 'Appendable';
  contentType: string;
  lastModified: Date;
  etag: string;
}

/** OSS V1 sub-resources that belong in the canonicalized resource (the ones this fake can meet, and their kin). */
const SIGNED_SUBRESOURCES = new Set([
  'acl', 'append', 'position', 'uploads', 'uploadId', 'partNumber', 'delete', 'security-token', 'symlink', 'tagging',
  'objectMeta', 'restore', 'versionId', 'versions', 'continuation-token', 'x-oss-process', 'response-content-type',
  'response-content-language', 'response-expires', 'response-cache-control', 'response-content-disposition',
  'response-content-encoding', 'location', 'lifecycle', 'cors', 'logging', 'website', 'referer', 'stat',
]);

class Reject extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly kind: Violation['kind'] | null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const shape = (code: string, message: string) => new Reject(400, code, message, 'shape');

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class FakeOssServer {
  readonly requests: RecordedRequest[] = [];
  readonly violations: Violation[] = [];
  /** The bucket's content; tests may inspect or seed it. */
  readonly objects = new Map<string, FakeObject>();
  readonly options: Required<Omit<FakeOssOptions, 'onObjectCreated'>> & Pick<FakeOssOptions, 'onObjectCreated'>;
  private readonly credentials = new Map<string, FakeCredentials>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    options: FakeOssOptions,
  ) {
    this.options = {
      maxKeysCap: 1000,
      contentRangeOn416: true,
      nextPositionOn409: true,
      maxSkewMs: 15 * 60_000,
      latencyMs: 0,
      ...options,
    };
    for (const c of options.credentials) this.addCredentials(c);
  }

  static async start(options: FakeOssOptions): Promise<FakeOssServer> {
    let fake: FakeOssServer | undefined;
    const server = http.createServer((req, res) => fake!.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    fake = new FakeOssServer(server, `http://127.0.0.1:${port}`, options);
    return fake;
  }

  addCredentials(c: FakeCredentials): void {
    this.credentials.set(c.accessKeyId, c);
  }

  /** Throws when any request was refused for its shape or signature (call it from a test's cleanup). */
  assertClean(): void {
    if (this.violations.length === 0) return;
    const lines = this.violations.map((v) => `${v.kind} ${v.method} ${v.url}: ${v.code} ${v.reason}`);
    throw new Error(`fake OSS refused ${this.violations.length} request(s):\n${lines.join('\n')}`);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Idle keep-alive sockets of the client's agent would otherwise hold close() open.
    this.server.closeAllConnections();
    await closed;
  }

  // ------------------------------------------------------------------ request handling

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const half = this.options.latencyMs / 2;
    const later = (fn: () => void) => (half > 0 ? setTimeout(fn, half) : fn());
    req.on('end', () => {
      const at = Date.now();
      later(() => this.serve(req, res, Buffer.concat(chunks), at, later));
    });
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, at: number, later: (fn: () => void) => void): void {
    const method = req.method ?? '';
    const url = req.url ?? '/';
    const qIndex = url.indexOf('?');
    const rawPath = qIndex < 0 ? url : url.slice(0, qIndex);
    const params = new URLSearchParams(qIndex < 0 ? '' : url.slice(qIndex + 1));
    const query: Record<string, string> = {};
    for (const [k, v] of params) query[k] = v;
    let key = '';
    try {
      key = decodeURIComponent(rawPath.slice(1));
    } catch {
      key = rawPath.slice(1);
    }
    const record: RecordedRequest = { method, key, url, query, headers: req.headers, bodyBytes: body.length, status: 0, at };
    this.requests.push(record);

    const requestId = randomBytes(12).toString('hex').toUpperCase();
    const common: Record<string, string> = {
      'x-oss-request-id': requestId,
      date: new Date().toUTCString(),
      server: 'AliyunOSS',
    };
    let answer: { status: number; headers: Record<string, string>; body?: Buffer };
    try {
      if (!rawPath.startsWith('/')) throw shape('InvalidURI', `path ${rawPath} does not start with /`);
      this.checkHost(req);
      this.checkSignature(req, method, key, rawPath === '/' ? '' : key, params);
      answer = this.route(req, method, key, rawPath === '/', query, body);
    } catch (caught) {
      const err =
        caught instanceof Reject ? caught : new Reject(500, 'InternalError', `fake OSS bug: ${String(caught)}`, 'shape');
      if (err.kind) this.violations.push({ kind: err.kind, method, url, code: err.code, reason: err.message });
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n' +
        `  <Code>${xmlEscape(err.code)}</Code>\n  <Message>${xmlEscape(err.message)}</Message>\n` +
        `  <RequestId>${requestId}</RequestId>\n  <HostId>${xmlEscape(req.headers.host ?? '')}</HostId>\n</Error>\n`;
      answer = {
        status: err.status,
        headers: { 'content-type': 'application/xml', ...err.headers },
        // HEAD answers carry no body; OSS moves the error into a base64 header instead.
        body: method === 'HEAD' ? undefined : Buffer.from(xml),
      };
      if (method === 'HEAD') answer.headers['x-oss-err'] = Buffer.from(xml).toString('base64');
    }
    record.status = answer.status;
    const headers: Record<string, string> = { ...common, ...answer.headers };
    if (method !== 'HEAD' || headers['content-length'] === undefined) {
      headers['content-length'] = String(answer.body?.length ?? 0);
    }
    later(() => {
      res.writeHead(answer.status, headers);
      res.end(method === 'HEAD' ? undefined : answer.body);
    });
  }

  private checkHost(req: http.IncomingMessage): void {
    const host = req.headers.host ?? '';
    if (!host.startsWith(`${this.options.bucket}.`)) {
      throw shape('InvalidArgument', `expected virtual-hosted Host "${this.options.bucket}.<endpoint>", got "${host}"`);
    }
  }

  /** OSS V1: `Authorization: OSS <AccessKeyId>:base64(hmac-sha1(secret, StringToSign))`. */
  private checkSignature(
    req: http.IncomingMessage,
    method: string,
    key: string,
    objectPart: string,
    params: URLSearchParams,
  ): void {
    const h = req.headers;
    const auth = String(h.authorization ?? '');
    const m = /^OSS ([^:\s]+):([A-Za-z0-9+/]+=*)$/.exec(auth);
    if (!m) throw new Reject(403, 'AccessDenied', `malformed Authorization header "${auth}"`, 'auth');
    const [, accessKeyId, signature] = m;
    const cred = this.credentials.get(accessKeyId);
    if (!cred) throw new Reject(403, 'InvalidAccessKeyId', `unknown AccessKeyId ${accessKeyId}`, 'auth');
    const token = h['x-oss-security-token'];
    if (cred.stsToken !== undefined && token !== cred.stsToken) {
      throw new Reject(403, 'InvalidSecurityToken', `x-oss-security-token missing or wrong for ${accessKeyId}`, 'auth');
    }
    if (cred.stsToken === undefined && token !== undefined) {
      throw new Reject(403, 'InvalidSecurityToken', `x-oss-security-token sent with a permanent key ${accessKeyId}`, 'auth');
    }
    const date = String(h['x-oss-date'] ?? h.date ?? '');
    const when = Date.parse(date);
    if (!date || Number.isNaN(when)) throw new Reject(403, 'AccessDenied', 'missing or unparsable date', 'auth');
    if (Math.abs(when - Date.now()) > this.options.maxSkewMs) {
      throw new Reject(403, 'RequestTimeTooSkewed', `date ${date} too far from now`, 'auth');
    }

    const ossHeaders = Object.keys(h)
      .filter((k) => k.startsWith('x-oss-'))
      .sort()
      .map((k) => `${k}:${String(h[k]).trim()}\n`)
      .join('');
    const subresources = [...params.keys()]
      .filter((k) => SIGNED_SUBRESOURCES.has(k))
      .sort()
      .map((k) => (params.get(k) ? `${k}=${params.get(k)}` : k));
    const resource =
      `/${this.options.bucket}/${objectPart}` + (subresources.length ? `?${subresources.join('&')}` : '');
    const stringToSign =
      `${method}\n${h['content-md5'] ?? ''}\n${h['content-type'] ?? ''}\n${date}\n` + ossHeaders + resource;
    const expected = createHmac('sha1', cred.accessKeySecret).update(stringToSign, 'utf8').digest();
    const given = Buffer.from(signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new Reject(403, 'SignatureDoesNotMatch', `signature mismatch for ${method} ${key}; we signed ${JSON.stringify(stringToSign)}`, 'auth');
    }
  }

  private route(
    req: http.IncomingMessage,
    method: string,
    key: string,
    bucketLevel: boolean,
    query: Record<string, string>,
    body: Buffer,
  ): { status: number; headers: Record<string, string>; body?: Buffer } {
    const queryKeys = Object.keys(query).sort();
    const onlyQuery = (...allowed: string[]) => {
      const extra = queryKeys.filter((k) => !allowed.includes(k));
      if (extra.length) throw shape('InvalidArgument', `unexpected query parameter(s) ${extra.join(', ')} on ${method}`);
    };

    if (bucketLevel) {
      if (method !== 'GET') throw shape('MethodNotAllowed', `${method} on the bucket is not part of the subset`);
      onlyQuery('prefix', 'marker', 'max-keys');
      return this.listObjects(query);
    }
    if (key === '') throw shape('InvalidObjectName', 'empty object key');

    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) !== body.length) {
      throw shape('IncompleteBody', `Content-Length ${declared} but ${body.length} bytes received`);
    }
    const md5 = req.headers['content-md5'];
    if (md5 !== undefined && md5 !== createHash('md5').update(body).digest('base64')) {
      throw shape('InvalidDigest', 'Content-MD5 does not match the body');
    }

    switch (method) {
      case 'PUT':
        onlyQuery();
        return this.putObject(req, key, body);
      case 'POST':
        onlyQuery('append', 'position');
        if (!('append' in query) || query.append !== '') throw shape('InvalidArgument', 'POST to an object must be ?append&position=N');
        if (!('position' in query)) throw shape('MissingArgument', 'append without position');
        if (!/^(0|[1-9]\d*)$/.test(query.position)) throw shape('InvalidArgument', `position "${query.position}" is not a decimal length`);
        return this.appendObject(req, key, Number(query.position), body);
      case 'GET':
        onlyQuery();
        return this.getObject(req, key);
      case 'HEAD':
        onlyQuery();
        return this.headObject(key);
      case 'DELETE':
        onlyQuery();
        this.objects.delete(key);
        return { status: 204, headers: {} };
      default:
        throw shape('MethodNotAllowed', `${method} is not part of the subset`);
    }
  }

  private objectHeaders(obj: FakeObject): Record<string, string> {
    const headers: Record<string, string> = {
      etag: obj.etag,
      'last-modified': obj.lastModified.toUTCString(),
      'content-type': obj.contentType,
      'x-oss-object-type': obj.type,
      'x-oss-storage-class': 'Standard',
      'accept-ranges': 'bytes',
    };
    if (obj.type === 'Appendable') headers['x-oss-next-append-position'] = String(obj.data.length);
    return headers;
  }

  private store(key: string, data: Buffer, type: FakeObject['type'], contentType: string | undefined): FakeObject {
    const obj: FakeObject = {
      data,
      type,
      contentType: contentType || 'application/octet-stream',
      lastModified: new Date(),
      etag: `"${createHash('md5').update(data).digest('hex').toUpperCase()}"`,
    };
    this.objects.set(key, obj);
    return obj;
  }

  private putObject(req: http.IncomingMessage, key: string, body: Buffer) {
    const forbid = req.headers['x-oss-forbid-overwrite'];
    if (forbid !== undefined && forbid !== 'true' && forbid !== 'false') {
      throw shape('InvalidArgument', `x-oss-forbid-overwrite must be "true" or "false", got "${forbid}"`);
    }
    if (forbid === 'true' && this.objects.has(key)) {
      throw new Reject(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.', null);
    }
    const obj = this.store(key, body, 'Normal', req.headers['content-type']);
    this.options.onObjectCreated?.(key, obj);
    return { status: 200, headers: { etag: obj.etag } };
  }

  private appendObject(req: http.IncomingMessage, key: string, position: number, body: Buffer) {
    const existing = this.objects.get(key);
    if (existing && existing.type !== 'Appendable') {
      throw new Reject(409, 'ObjectNotAppendable', 'The object is not appendable', null);
    }
    const length = existing?.data.length ?? 0;
    if (position !== length) {
      const headers: Record<string, string> = this.options.nextPositionOn409
        ? { 'x-oss-next-append-position': String(length) }
        : {};
      throw new Reject(409, 'PositionNotEqualToLength', 'Position is not equal to file length', null, headers);
    }
    const data = existing ? Buffer.concat([existing.data, body]) : body;
    const obj = this.store(key, data, 'Appendable', existing?.contentType ?? req.headers['content-type']);
    return { status: 200, headers: { etag: obj.etag, 'x-oss-next-append-position': String(data.length) } };
  }

  private getObject(req: http.IncomingMessage, key: string) {
    const obj = this.objects.get(key);
    if (!obj) throw new Reject(404, 'NoSuchKey', 'The specified key does not exist.', null);
    const range = req.headers.range;
    const behavior = req.headers['x-oss-range-behavior'];
    if (range === undefined) {
      return { status: 200, headers: this.objectHeaders(obj), body: obj.data };
    }
    // Without the standard behaviour OSS answers 200 with the whole object for a range past the end, which the
    // adapter would misread as new output: refuse the shape rather than emulate the trap.
    if (behavior !== 'standard') throw shape('InvalidArgument', `Range "${range}" sent without x-oss-range-behavior: standard`);
    const m = /^bytes=(\d+)-(\d*)$/.exec(range);
    if (!m) throw shape('InvalidArgument', `unsupported Range "${range}" (the adapter only sends bytes=start- or bytes=start-end)`);
    const size = obj.data.length;
    const start = Number(m[1]);
    const end = m[2] === '' ? size - 1 : Number(m[2]);
    if (m[2] !== '' && end < start) throw shape('InvalidArgument', `Range "${range}" ends before it starts`);
    if (start >= size) {
      const headers: Record<string, string> = this.options.contentRangeOn416 ? { 'content-range': `bytes */${size}` } : {};
      throw new Reject(416, 'InvalidRange', 'The requested range cannot be satisfied', null, headers);
    }
    const last = Math.min(end, size - 1);
    return {
      status: 206,
      headers: { ...this.objectHeaders(obj), 'content-range': `bytes ${start}-${last}/${size}` },
      body: obj.data.subarray(start, last + 1),
    };
  }

  private headObject(key: string) {
    const obj = this.objects.get(key);
    if (!obj) throw new Reject(404, 'NoSuchKey', 'The specified key does not exist.', null);
    return { status: 200, headers: { ...this.objectHeaders(obj), 'content-length': String(obj.data.length) } };
  }

  private listObjects(query: Record<string, string>) {
    const prefix = query.prefix ?? '';
    const marker = query.marker ?? '';
    const requested = query['max-keys'] === undefined ? 100 : Number(query['max-keys']);
    if (!Number.isInteger(requested) || requested < 1 || requested > 1000) {
      throw shape('InvalidArgument', `max-keys "${query['max-keys']}" out of 1..1000`);
    }
    const maxKeys = Math.min(requested, this.options.maxKeysCap);
    const matching = [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix) && compareKeys(k, marker) > 0)
      .sort(compareKeys);
    const page = matching.slice(0, maxKeys);
    const truncated = matching.length > page.length;
    const contents = page
      .map((k) => {
        const o = this.objects.get(k)!;
        return (
          `  <Contents>\n    <Key>${xmlEscape(k)}</Key>\n    <LastModified>${o.lastModified.toISOString()}</LastModified>\n` +
          `    <ETag>${xmlEscape(o.etag)}</ETag>\n    <Type>${o.type}</Type>\n    <Size>${o.data.length}</Size>\n` +
          `    <StorageClass>Standard</StorageClass>\n    <Owner>\n      <ID>1000</ID>\n      <DisplayName>1000</DisplayName>\n    </Owner>\n  </Contents>\n`
        );
      })
      .join('');
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>\n' +
      `  <Name>${xmlEscape(this.options.bucket)}</Name>\n  <Prefix>${xmlEscape(prefix)}</Prefix>\n` +
      `  <Marker>${xmlEscape(marker)}</Marker>\n  <MaxKeys>${maxKeys}</MaxKeys>\n  <Delimiter></Delimiter>\n` +
      `  <IsTruncated>${truncated}</IsTruncated>\n` +
      (truncated ? `  <NextMarker>${xmlEscape(page[page.length - 1])}</NextMarker>\n` : '') +
      contents +
      '</ListBucketResult>\n';
    return { status: 200, headers: { 'content-type': 'application/xml' }, body: Buffer.from(xml) };
  }
}
