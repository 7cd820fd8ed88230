/** Collects a spawned process's raw output and lets a test wait for text in it (sandbox and spawner tests). */
import type { ExitInfo, SpawnedProcess } from '../../core/ports';

export interface WatchedOutput {
  chunks: Buffer[];
  output(): Buffer;
  text(): string;
  /** Resolves at exit, with how many bytes had arrived by then. */
  exit: Promise<ExitInfo & { bytesBeforeExit: number }>;
  waitFor(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
}

export function watchOutput(proc: SpawnedProcess, defaultTimeoutMs = 10_000): WatchedOutput {
  const chunks: Buffer[] = [];
  const waiters: Array<() => void> = [];
  proc.onData((d) => {
    expect(Buffer.isBuffer(d)).toBe(true);
    chunks.push(d);
    for (const w of waiters.splice(0)) w();
  });
  const output = () => Buffer.concat(chunks);
  const text = () => output().toString('utf8');
  const exit = new Promise<ExitInfo & { bytesBeforeExit: number }>((resolve) => {
    proc.onExit((e) => resolve({ ...e, bytesBeforeExit: output().length }));
  });
  const waitFor = (pattern: string | RegExp, timeoutMs = defaultTimeoutMs) =>
    new Promise<void>((resolve, reject) => {
      const matches = () => (typeof pattern === 'string' ? text().includes(pattern) : pattern.test(text()));
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(text())}`)), timeoutMs);
      const check = () => {
        if (matches()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { chunks, output, text, exit, waitFor };
}
