/**
 * What one run uses of the cloud, in billable units: OSS requests by operation (sent, and billed: OSS bills only
 * answers 2xx/3xx, so a read of a missing object (404) or past an object's end (416) is sent but free), what it
 * leaves stored until the buckets' lifecycle deletes it, OSS events, and each function's invocations and active
 * instance time. `costOf` turns it into ¥; the usage functions (interactiveUsage, judgeUsage, seedUsage) make it.
 */

/** Where OSS says it bills only answers 2xx and 3xx (4xx and 5xx are free). */
export const OSS_BILLED_ANSWERS_SOURCE = 'https://help.aliyun.com/en/oss/api-operation-calling-fees';

/** Where FC says requests served at once by one instance are billed as that instance's time, once. */
export const FC_INSTANCE_CONCURRENCY_SOURCE = 'https://www.alibabacloud.com/help/en/functioncompute/fc/configure-the-concurrency-of-a-single-instance';

/** The OSS API operations pocketrun and the seed call, with the request class OSS bills each under. */
export const OSS_REQUEST_CLASS = {
  PutObject: 'put',
  AppendObject: 'put',
  DeleteObject: 'put',
  // Listing is PUT-class at OSS (GetBucket/ListObjects); pocketrun lists only in the local platform's lifecycle sweep.
  ListObjects: 'put',
  GetObject: 'get',
  HeadObject: 'get',
} as const;

export type OssOperation = keyof typeof OSS_REQUEST_CLASS;
export type OssRequestClass = (typeof OSS_REQUEST_CLASS)[OssOperation];

export interface RequestLine {
  /** 'both': a measured count that does not say which function sent it. */
  who: 'api' | 'executor' | 'both';
  what: string;
  op: OssOperation;
  /** Requests sent. */
  sent: number;
  /** Of those, the ones OSS bills (answered 2xx/3xx). */
  billed: number;
}

/** An object a run leaves behind, kept until its bucket's lifecycle rule deletes it. */
export interface StoredObject {
  what: string;
  bytes: number;
  days: number;
}

export interface FunctionUsage {
  fn: 'api' | 'executor';
  invocations: number;
  /**
   * Instance time FC bills as active for this run, in seconds: from a request's start to its end, and with instance
   * concurrency the time the instance has at least one request in flight, so a held long poll is billed for as long
   * as it is held, shared with the requests held beside it on the same instance.
   */
  activeSeconds: number;
}

export interface RunUsage {
  label: string;
  requests: RequestLine[];
  stored: StoredObject[];
  /** OSS events delivered to FC (the trigger): one per manifest. */
  ossEvents: number;
  functions: FunctionUsage[];
  /** Where a figure is an assumption rather than a consequence of the code. */
  notes: string[];
}

/** Sent and billed requests of one class. */
export function requestTotals(usage: Pick<RunUsage, 'requests'>, cls: OssRequestClass): { sent: number; billed: number } {
  return usage.requests
    .filter((line) => OSS_REQUEST_CLASS[line.op] === cls)
    .reduce((sum, line) => ({ sent: sum.sent + line.sent, billed: sum.billed + line.billed }), { sent: 0, billed: 0 });
}
