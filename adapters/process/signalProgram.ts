/**
 * Delivers a signal to the program of a sandboxed run and to its descendants, never to the wrappers above it. A
 * group signal (`kill(-pgid)`) would reach the run head, which answers SIGTERM and SIGHUP by killing the whole run,
 * and bubblewrap's monitor, which dies of SIGINT and takes a program that handles it along (bubblewrap issue #369);
 * on a terminal the program's group holds bwrap's monitor too, on pipes it holds every wrapper. So the tree under the spawned
 * first process (the run head, sandbox/runHead.ts) is walked in /proc and every process but bwrap's own gets it.
 */
import { listNumeric, readProc } from './procfs';

/** Bound of one walk, so a fork bomb cannot make it expensive. */
const MAX_PROCESSES = 256;

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  const tids = listNumeric(`/proc/${pid}/task`);
  for (const tid of tids.length ? tids : [pid]) {
    const text = readProc(`/proc/${pid}/task/${tid}/children`);
    if (!text) continue;
    for (const word of text.split(' ')) if (word) out.push(Number(word));
  }
  return out;
}

/** Signals the processes below `rootPid` (bwrap's excepted); returns how many got it. */
export function signalProgram(rootPid: number, name: NodeJS.Signals): number {
  let sent = 0;
  const queue = childrenOf(rootPid);
  for (let seen = 0; queue.length > 0 && seen < MAX_PROCESSES; seen++) {
    const pid = queue.shift()!;
    queue.push(...childrenOf(pid));
    if (readProc(`/proc/${pid}/comm`, 64)?.trim() === 'bwrap') continue;
    try {
      process.kill(pid, name);
      sent++;
    } catch {
      // gone meanwhile
    }
  }
  return sent;
}
