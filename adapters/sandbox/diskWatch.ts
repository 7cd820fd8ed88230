/**
 * Watches what a run has written, by `statfs` of the filesystem holding its slot: one system call per tick, whatever
 * the program made (a walk of its tree would cost what the attacker chooses). On a slot's own tmpfs the figure is
 * the run's alone; on a shared disk it is the growth since the run started, which on FC (one run per instance) is
 * again the run's, and elsewhere may include a neighbour's writes, which errs on the side of the disk.
 */
import * as fs from 'fs';
import type { Disposable } from '../../core/ports';

export interface DiskUsage {
  bytes: number;
  inodes: number;
}

export function diskUsage(dir: string): DiskUsage {
  const s = fs.statfsSync(dir);
  return { bytes: (s.blocks - s.bfree) * s.bsize, inodes: s.files - s.ffree };
}

export interface DiskWatchOptions {
  dir: string;
  maxBytes: number;
  maxInodes: number;
  intervalMs: number;
  onExceeded(message: string): void;
}

/** Starts watching at once (the baseline is now); fires `onExceeded` once. */
export function watchDisk(options: DiskWatchOptions): Disposable {
  let base: DiskUsage;
  try {
    base = diskUsage(options.dir);
  } catch {
    return { dispose: () => {} };
  }
  const timer = setInterval(() => {
    let now: DiskUsage;
    try {
      now = diskUsage(options.dir);
    } catch {
      return;
    }
    const bytes = now.bytes - base.bytes;
    const inodes = now.inodes - base.inodes;
    if (bytes > options.maxBytes || inodes > options.maxInodes) {
      clearInterval(timer);
      options.onExceeded(
        bytes > options.maxBytes
          ? `the run wrote more than ${options.maxBytes} bytes in files`
          : `the run created more than ${options.maxInodes} files and folders`,
      );
    }
  }, options.intervalMs);
  timer.unref();
  return { dispose: () => clearInterval(timer) };
}
