/**
 * The processes that start programs (the executor, the local platform) switch each program to an unprivileged
 * sandbox uid and make folders only that uid may enter: only root can. Started as anyone else they would fail
 * later on the first folder they make (an EACCES that says nothing); this says it at start.
 */
export function requireRoot(what: string, uid = process.getuid?.()): void {
  if (uid === undefined || uid === 0) return;
  throw new Error(
    `${what} must run as root (started as uid ${uid}): it runs every program as an unprivileged sandbox uid and ` +
      'makes the folders only that uid may enter, which only root can (FC runs functions as root; locally use sudo)',
  );
}
