/**
 * What a bench section runs against: the local platform, or both function bundles over the simulated cloud
 * (bench/cloudTarget.ts). Each counts the storage requests the handlers make, attributed to the API or an executor.
 */
import type { RequestKind } from '../adapters/storage/countRequests';
import { now } from './stats';

/** The simulated cloud's setting the cloud latency targets are set at: 5 ms a request, a 50 ms trigger. */
export const CLOUD_TARGET_SETTING = { latencyMs: 5, triggerDelayMs: 50 } as const;

/** Round trips per request the bench simulates by default: the targets' 5 ms, and 15 ms to show how the paths scale with it. */
export const DEFAULT_LATENCIES_MS = [CLOUD_TARGET_SETTING.latencyMs, 15] as const;

export interface StorageRecord {
  /** Date.now() when the request was made (locally: when it ended, a fraction of a millisecond later). */
  at: number;
  who: 'api' | 'executor';
  kind: RequestKind;
  key: string;
  /** Bytes written (PUT, APPEND). */
  bytes: number;
  /** For the simulated cloud: the HTTP status answered (a GET answered 404 or 416 carried nothing). */
  status?: number;
}

export interface BenchTarget {
  /** `local`, or `cloud 5 ms`. */
  readonly label: string;
  readonly mode: 'local' | 'cloud';
  readonly url: string;
  readonly isolation: string;
  readonly executors: number;
  /** The simulated cloud's round trip per request and trigger delay (0 locally). */
  readonly latencyMs: number;
  readonly triggerDelayMs: number;
  /** Every storage request counted so far. */
  requests(): StorageRecord[];
  readonly apiPid: number;
  executorPids(): number[];
  /** Starts one more executor instance with this target's environment: ms from its process start to ready for /invoke. */
  coldStart(): Promise<number>;
  stop(): Promise<void>;
}

/** ms from an executor instance's process start to ready for /invoke (FC's cold start), then the instance is stopped. */
export async function timedStart(instance: { start(): Promise<unknown>; stop(): Promise<unknown> }): Promise<number> {
  try {
    const started = now();
    await instance.start();
    return now() - started;
  } finally {
    await instance.stop();
  }
}

/** The requests of one run (every key of a run names its id). */
export function requestsOf(target: BenchTarget, id: string, since = 0): StorageRecord[] {
  return target.requests().filter((r) => r.at >= since && r.key.includes(id));
}
