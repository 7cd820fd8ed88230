/**
 * Stops a function bundle started by a test the way FC and the local platform do: SIGTERM, then SIGKILL after a
 * grace. An executor undoes its sandbox mounts on SIGTERM; SIGKILL would leave its slots' tmpfs mounted.
 */
import type { ChildProcess } from 'child_process';

export async function stopChild(child: ChildProcess, graceMs = 8_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
