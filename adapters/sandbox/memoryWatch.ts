/**
 * Where no memory cgroup can be had (FC, a container without a delegated cgroup), RLIMIT_AS stays as the hard cap,
 * raised by the language's address-space overhead so that runtimes reserving ranges (V8, the JVM, Go) can start at
 * all; this watch holds the tree to the memory it really uses: every MEMORY_WATCH_INTERVAL_MS it sums the anonymous
 * and shared-memory resident pages (RssAnon + RssShmem of /proc/<pid>/status: what the program allocated, not the
 * interpreter's file pages shared with every other process) of every live process of the uid, and calls
 * `onExceeded` once when the sum passes `maxBytes`. The sum's peak is kept as a figure (sampled, so a short spike
 * between two samples can be missed; the run head's ru_maxrss covers the largest single process exactly).
 */
import { listNumeric, readProc } from '../process/procfs';

export interface MemoryWatchOptions {
  uid: number;
  /** Not counted: the run head (our wrapper, not the program). */
  excludePid: number;
  maxBytes: number;
  intervalMs: number;
  onExceeded(message: string): void;
}

export interface MemoryWatch {
  /** Highest sum seen, bytes. */
  peakBytes(): number;
  dispose(): void;
}

/** RssAnon + RssShmem of one process of `uid`, bytes; null for another uid's, a zombie or a vanished one. */
export function residentBytesOf(pid: number, uid: number): number | null {
  const text = readProc(`/proc/${pid}/status`, 4096);
  if (!text) return null;
  const uids = /\nUid:\s*(\d+)/.exec(text);
  if (!uids || Number(uids[1]) !== uid) return null;
  const kib = (name: string) => Number(new RegExp(`\\n${name}:\\s*(\\d+) kB`).exec(text)?.[1] ?? 0);
  return (kib('RssAnon') + kib('RssShmem')) * 1024;
}

/** The sum for every live process of `uid` but `excludePid`. */
export function treeResidentBytes(uid: number, excludePid: number): number {
  let total = 0;
  for (const pid of listNumeric('/proc')) {
    if (pid === excludePid || pid === process.pid) continue;
    total += residentBytesOf(pid, uid) ?? 0;
  }
  return total;
}

export function watchTreeMemory(options: MemoryWatchOptions): MemoryWatch {
  let peak = 0;
  let fired = false;
  const sample = () => {
    const bytes = treeResidentBytes(options.uid, options.excludePid);
    peak = Math.max(peak, bytes);
    if (!fired && bytes > options.maxBytes) {
      fired = true;
      options.onExceeded(`the program used ${Math.round(bytes / 1024 / 1024)} MiB, above its limit of ${Math.round(options.maxBytes / 1024 / 1024)} MiB`);
    }
  };
  sample();
  const timer = setInterval(sample, options.intervalMs);
  timer.unref();
  return {
    peakBytes: () => peak,
    dispose: () => clearInterval(timer),
  };
}
