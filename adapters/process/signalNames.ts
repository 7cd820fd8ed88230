/**
 * Signal numbers → the one name reported for each (`result.signal`, the spawners' exits). `os.constants.signals`
 * lists aliases sharing a number (SIGIOT and SIGABRT are both 6, SIGPOLL and SIGIO both 29), and a map built from
 * it keeps whichever comes last: programs that called abort() were reported as `SIGIOT`. Here the aliases never
 * name a number, so each gets the name people know and `kill -l` prints.
 */
import * as os from 'os';

/**
 * Linux's synonyms (signal(7), "Standard signals"): SIGIOT is SIGABRT, SIGCLD SIGCHLD, SIGPOLL SIGIO, SIGUNUSED
 * SIGSYS. Any other shared number keeps the first name listed.
 */
const ALIASES: ReadonlySet<string> = new Set(['SIGIOT', 'SIGCLD', 'SIGPOLL', 'SIGUNUSED']);

const NAMES = new Map<number, string>();
for (const [name, num] of Object.entries(os.constants.signals as Record<string, number>)) {
  if (!ALIASES.has(name) && !NAMES.has(num)) NAMES.set(num, name);
}

/** The name of signal `num` (`SIGABRT` for 6), `SIG<n>` for a number the host has no name for, null for none. */
export function signalName(num: number | undefined | null): string | null {
  if (!num) return null;
  return NAMES.get(num) ?? `SIG${num}`;
}

/** The same name for a signal Node reported by name (child_process exits): an alias becomes the familiar name. */
export function canonicalSignalName(name: string | null | undefined): string | null {
  if (!name) return null;
  const num = (os.constants.signals as Record<string, number>)[name];
  return num === undefined ? name : signalName(num);
}
