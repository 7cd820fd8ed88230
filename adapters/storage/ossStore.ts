/**
 * ObjectStore over one Alibaba Cloud OSS bucket, through `ali-oss`. Only `ObjectStore` types cross this file's
 * boundary: ali-oss errors become `StoreError` for the protocol outcomes and a plain `Error` (with the original as
 * `cause`) for everything else.
 */
import type OSS from 'ali-oss';
import { assertValidObjectKey } from '../../core/objectKey';
import type { ByteRange, GetResult, ObjectMeta, ObjectStore, PutOptions } from '../../core/ports';
import { StoreError } from '../../core/ports';
import { assertValidPosition, assertValidRange, rangeBounds, toBuffer } from './storeArguments';

export interface OssCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  stsToken?: string;
}

export interface OssStoreOptions extends OssCredentials {
  bucket: string;
  /** `cn-hangzhou` or `oss-cn-hangzhou`. */
  region: string;
  /** Overrides the region's public endpoint, e.g. `https://oss-cn-hangzhou-internal.aliyuncs.com` inside FC. */
  endpoint?: string;
  /** HTTPS unless false; only consulted when `endpoint` has no scheme. */
  secure?: boolean;
  /** `endpoint` is a custom domain bound to the bucket. */
  cname?: boolean;
  timeoutMs?: number;
}

/** Objects per ListObjects page: the most OSS returns at once. */
const LIST_PAGE = 1000;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: Buffer | string | undefined;
}

/**
 * The two ali-oss internals `raw()` uses. They are what every public ali-oss method is built from (stable across
 * 6.x; the version is pinned in package.json).
 */
interface OssInternals {
  _objectRequestParams(
    method: string,
    name: string,
    options: { subres?: Record<string, string>; headers?: Record<string, string>; timeout?: number },
  ): Record<string, unknown>;
  request(params: Record<string, unknown>): Promise<RawResponse>;
}

interface OssError {
  name?: string;
  code?: string;
  status?: number;
  requestId?: string;
  message?: string;
}

export class OssObjectStore implements ObjectStore {
  readonly bucket: string;
  private credentials: OssCredentials;
  private client: OSS | undefined;

  constructor(private readonly options: OssStoreOptions) {
    this.bucket = options.bucket;
    this.credentials = {
      accessKeyId: options.accessKeyId,
      accessKeySecret: options.accessKeySecret,
      stsToken: options.stsToken,
    };
  }

  /** FC hands each invocation fresh STS credentials (`x-fc-access-key-id`, `-secret`, `x-fc-security-token`). */
  setCredentials(credentials: OssCredentials): void {
    const { accessKeyId, accessKeySecret, stsToken } = credentials;
    const current = this.credentials;
    if (
      current.accessKeyId === accessKeyId &&
      current.accessKeySecret === accessKeySecret &&
      current.stsToken === stsToken
    ) {
      return;
    }
    this.credentials = { accessKeyId, accessKeySecret, stsToken };
    this.client = undefined;
  }

  async put(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
    assertValidObjectKey(key);
    const headers: Record<string, string> = {};
    if (options.ifNotExists) headers['x-oss-forbid-overwrite'] = 'true';
    try {
      await this.oss().put(key, toBuffer(body), {
        headers,
        mime: options.contentType,
        timeout: this.options.timeoutMs,
      });
    } catch (err) {
      if (options.ifNotExists && errorCode(err) === 'FileAlreadyExists') throw new StoreError('AlreadyExists', key);
      throw this.failure('PutObject', key, err);
    }
  }

  async get(key: string, range?: ByteRange): Promise<GetResult> {
    assertValidObjectKey(key);
    assertValidRange(range);
    const headers: Record<string, string> = {};
    if (range) {
      headers.Range = `bytes=${range.start}-${range.end ?? ''}`;
      // Without it OSS ignores a range past the end and answers 200 with the whole object.
      headers['x-oss-range-behavior'] = 'standard';
    }
    // A 404 is read here too, not thrown by ali-oss: polls of objects not written yet (a control stream before the
    // first input, output before the first byte) meet it dozens of times a second, and ali-oss's error path (XML
    // parsed into an Error with its stack) costs about half a millisecond of CPU more than reading the code.
    const res = await this.raw('GetObject', 'GET', key, { headers, accept: [200, 206, 404, 416] });
    if (res.status === 404) {
      const code = xmlErrorCode(res.data);
      if (code === 'NoSuchKey') throw new StoreError('NotFound', key);
      throw new Error(`OSS GetObject ${this.bucket}/${key} failed (${code ?? 'no error code'}, 404, request ${header(res, 'x-oss-request-id') ?? 'unknown'})`);
    }
    if (res.status === 416) {
      const size = totalFromContentRange(header(res, 'content-range')) ?? (await this.sizeOrNotFound(key));
      return { data: Buffer.alloc(0), size };
    }
    const body = toBuffer(res.data ?? Buffer.alloc(0));
    if (res.status === 206) {
      const size = totalFromContentRange(header(res, 'content-range'));
      if (size === undefined) throw new Error(`OSS GetObject ${this.bucket}/${key}: 206 without a usable Content-Range`);
      return { data: body, size };
    }
    // A 200 to a range request means the whole object came back; cut the range out ourselves.
    if (range) {
      const [start, end] = rangeBounds(range, body.length);
      return { data: body.subarray(start, end), size: body.length };
    }
    return { data: body, size: body.length };
  }

  async append(key: string, body: Buffer | string, position: number): Promise<{ nextPosition: number }> {
    assertValidObjectKey(key);
    assertValidPosition(position);
    const res = await this.raw('AppendObject', 'POST', key, {
      subres: { append: '', position: String(position) },
      content: toBuffer(body),
      accept: [200, 409],
    });
    const next = header(res, 'x-oss-next-append-position');
    if (res.status === 200) {
      if (next === undefined) throw new Error(`OSS AppendObject ${this.bucket}/${key}: no x-oss-next-append-position`);
      return { nextPosition: Number(next) };
    }
    const code = xmlErrorCode(res.data);
    if (code === 'ObjectNotAppendable') throw new StoreError('NotAppendable', key);
    if (code === 'PositionNotEqualToLength') {
      const length = next !== undefined ? Number(next) : ((await this.head(key))?.size ?? 0);
      throw new StoreError('PositionMismatch', key, length);
    }
    throw new Error(`OSS AppendObject ${this.bucket}/${key}: 409 ${code ?? 'without an error code'}`);
  }

  async head(key: string): Promise<ObjectMeta | null> {
    assertValidObjectKey(key);
    let res: { headers: object };
    try {
      ({ res } = await this.oss().head(key, { timeout: this.options.timeoutMs }));
    } catch (err) {
      if (errorStatus(err) === 404) return null;
      throw this.failure('HeadObject', key, err);
    }
    const headers = res.headers as Record<string, string | undefined>;
    return {
      key,
      size: Number(headers['content-length'] ?? 0),
      lastModified: new Date(headers['last-modified'] ?? 0),
      etag: headers.etag ?? '',
    };
  }

  async list(prefix: string): Promise<ObjectMeta[]> {
    const out: ObjectMeta[] = [];
    let marker: string | undefined;
    for (;;) {
      const query: OSS.ListObjectsQuery = { 'max-keys': LIST_PAGE };
      if (prefix) query.prefix = prefix;
      if (marker) query.marker = marker;
      let page: OSS.ListObjectResult;
      try {
        page = await this.oss().list(query, { timeout: this.options.timeoutMs });
      } catch (err) {
        throw this.failure('ListObjects', prefix, err);
      }
      const objects = page.objects ?? [];
      for (const o of objects) {
        out.push({ key: o.name, size: Number(o.size), lastModified: new Date(o.lastModified), etag: o.etag });
      }
      if (!page.isTruncated || objects.length === 0) return out;
      marker = page.nextMarker || objects[objects.length - 1].name;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    try {
      await this.oss().delete(key, { timeout: this.options.timeoutMs });
    } catch (err) {
      if (errorStatus(err) === 404) return;
      throw this.failure('DeleteObject', key, err);
    }
  }

  // ------------------------------------------------------------------ internals

  /** Built on first use, so a store can exist before FC has handed over credentials. */
  private oss(): OSS {
    if (this.client) return this.client;
    const { accessKeyId, accessKeySecret, stsToken } = this.credentials;
    if (!accessKeyId || !accessKeySecret) throw new Error(`OSS bucket ${this.bucket}: no credentials`);
    const { region, endpoint, secure, cname, timeoutMs } = this.options;
    // Loaded with the first client, not with the bundle: ali-oss's module tree costs every process start tens of
    // ms of CPU, and a local platform's processes (STORE=fs) never need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Client = require('ali-oss') as typeof OSS;
    this.client = new Client({
      bucket: this.bucket,
      region: region.startsWith('oss-') ? region : `oss-${region}`,
      endpoint,
      secure: secure ?? true,
      cname: cname ?? false,
      // An explicit undefined would replace ali-oss's 60 s default and leave urllib's much shorter one.
      timeout: timeoutMs ?? 60_000,
      accessKeyId,
      accessKeySecret,
      stsToken,
      // FC refreshes the token for us; an explicit interval silences ali-oss's advice to configure refreshing.
      ...(stsToken ? { refreshSTSTokenInterval: 60 * 60_000 } : {}),
    });
    return this.client;
  }

  /**
   * ali-oss turns every unexpected status into an error that drops the response headers, but two answers we need
   * live in headers of non-2xx responses: `x-oss-next-append-position` of a 409 and `Content-Range` of a 416. So
   * these calls accept those statuses and read the response themselves.
   */
  private async raw(
    operation: string,
    method: 'GET' | 'POST',
    key: string,
    request: { subres?: Record<string, string>; headers?: Record<string, string>; content?: Buffer; accept: number[] },
  ): Promise<RawResponse> {
    const internals = this.oss() as unknown as OssInternals;
    const params = internals._objectRequestParams(method, key, {
      subres: request.subres,
      headers: request.headers,
      timeout: this.options.timeoutMs,
    });
    if (request.content) params.content = request.content;
    params.successStatuses = request.accept;
    try {
      return await internals.request(params);
    } catch (err) {
      if (method === 'GET' && errorCode(err) === 'NoSuchKey') throw new StoreError('NotFound', key);
      throw this.failure(operation, key, err);
    }
  }

  private async sizeOrNotFound(key: string): Promise<number> {
    const meta = await this.head(key);
    if (!meta) throw new StoreError('NotFound', key);
    return meta.size;
  }

  private failure(operation: string, key: string, err: unknown): Error {
    const e = (err ?? {}) as OssError;
    const detail = [e.code ?? e.name, e.status, e.requestId && `request ${e.requestId}`].filter(Boolean).join(', ');
    return new Error(`OSS ${operation} ${this.bucket}/${key} failed (${detail}): ${e.message ?? String(err)}`, {
      cause: err,
    });
  }
}

// ------------------------------------------------------------------ helpers

function header(res: RawResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The total after the slash of a Content-Range (`bytes 0-9/42`, or `bytes *` + `/42` on a 416). */
function totalFromContentRange(value: string | undefined): number | undefined {
  const m = value ? /\/(\d+)\s*$/.exec(value) : null;
  return m ? Number(m[1]) : undefined;
}

function xmlErrorCode(body: Buffer | string | undefined): string | undefined {
  const m = body ? /<Code>([^<]*)<\/Code>/.exec(String(body)) : null;
  return m?.[1];
}

function errorCode(err: unknown): string | undefined {
  return (err as OssError | undefined)?.code;
}

function errorStatus(err: unknown): number | undefined {
  return (err as OssError | undefined)?.status;
}
