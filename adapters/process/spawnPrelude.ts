/**
 * The prelude every spawned process starts through, as root, before anything else of it runs: it closes the
 * descriptors the executor would otherwise hand down, optionally gives the process a /proc of its own, and then
 * execs the identity switch (`setpriv` with dropPrivilegeArgs) or the command itself.
 *
 * The prelude and the sandbox's wrappers are perl one-liners because perl-base is Essential on Debian (present on
 * FC's debian10 image and on any Debian/Ubuntu host), starts in a few milliseconds, changes nothing in the
 * environment (bash would add `SHLVL`/`PWD`) and can make raw system calls (close, prctl, ioctl, mount). The
 * prelude ends in `exec` and costs no process.
 */
import type { SpawnRequest } from '../../core/ports';
import { syscallNumber } from './syscallNumbers';

/** How every perl wrapper ends: it becomes `@ARGV`, or says why not and exits as a shell would (127). */
export const EXEC_ARGV = 'exec { $ARGV[0] } @ARGV; print STDERR "pocketrun: cannot run $ARGV[0]: $!\\n"; exit 127;';

/**
 * The prelude's first arguments naming descriptors it must leave open (`--keep-fd=3`): the pipe spawner's usage
 * report pipe, which the run head keeps and closes in its child before the program starts (sandbox/runHead.ts).
 */
const KEEP_FD_FLAG = '--keep-fd';

/**
 * `--cgroup=<cgroup.procs>` (after any KEEP_FD_FLAG): the process joins that cgroup as root, before anything else of
 * the run exists, so everything the run allocates is charged to it (sandbox/memoryCgroups.ts). Failing closed: a
 * metered spawn has no RLIMIT_AS and relies on the cgroup's limit.
 */
const CGROUP_FLAG = '--cgroup';
const JOIN_CGROUP = [
  `if (@ARGV && $ARGV[0] =~ /^${CGROUP_FLAG}=(.+)$/s) { my $procs = $1; shift @ARGV;`,
  '  open(my $g, ">", $procs) or die "pocketrun: cgroup: $!\\n"; print $g "$$\\n"; close($g) or die "pocketrun: cgroup: $!\\n"; }',
].join(' ');

/** The prelude's first argument asking for PRIVATE_PROC (see there). */
const PRIVATE_PROC_FLAG = '--private-proc';

/**
 * With PRIVATE_PROC_FLAG first: a mount namespace of its own (as root, before the identity switch) whose /proc is a
 * fresh instance with `hidepid=2`, so the program sees no process, command line or status of any other uid: the
 * other runs of the host. `/` becomes a slave first, so the new /proc never propagates back to the host. Needs
 * CAP_SYS_ADMIN and a kernel with per-mount proc options (5.8+; probed once by the sandbox): where the host does
 * not allow it, the flag is never passed.
 */
const PRIVATE_PROC = [
  `if (@ARGV && $ARGV[0] eq "${PRIVATE_PROC_FLAG}") { shift @ARGV;`,
  `  syscall(${syscallNumber('unshare')}, 0x20000) == 0 or die "pocketrun: unshare: $!\\n";`,
  '  my ($none, $root, $proc, $dir, $opts) = ("none", "/", "proc", "/proc", "hidepid=2");',
  // MS_REC | MS_SLAVE on /, then proc with MS_NOSUID | MS_NODEV | MS_NOEXEC.
  `  syscall(${syscallNumber('mount')}, $none, $root, 0, 0x84000, 0) == 0 or die "pocketrun: mount /: $!\\n";`,
  `  syscall(${syscallNumber('mount')}, $proc, $dir, $proc, 14, $opts) == 0 or die "pocketrun: mount /proc: $!\\n"; }`,
].join(' ');

/**
 * Closes every file descriptor above 2 (but those named by KEEP_FD_FLAG), then execs `@ARGV`. node-pty's master descriptors are not
 * close-on-exec, so without this every program would inherit the PTY masters of every other live run (and
 * whatever the host runtime leaked into the executor), and could read or type into other users' terminals.
 * Takes PRIVATE_PROC_FLAG first (see PRIVATE_PROC).
 */
const CLOSE_FDS_AND_EXEC = [
  `my %keep; while (@ARGV && $ARGV[0] =~ /^${KEEP_FD_FLAG}=(\\d+)$/) { $keep{$1} = 1; shift @ARGV; }`,
  JOIN_CGROUP,
  PRIVATE_PROC,
  'opendir(my $d, "/proc/self/fd") or die "pocketrun: /proc/self/fd: $!\\n";',
  'my @fds = grep { /^\\d+$/ && $_ > 2 && !$keep{$_} } readdir($d);',
  'closedir($d);',
  `syscall(${syscallNumber('close')}, $_ + 0) for @fds;`,
  EXEC_ARGV,
].join(' ');

/** Who a spawned process becomes: gid with exactly `groups` as supplementary groups (none by default). */
export interface Identity {
  uid: number;
  gid: number;
  groups?: number[];
}

/**
 * The identity switch, one set of flags for every process that leaves root (programs, probes, sweeps):
 * - `--reuid`/`--regid`: real, effective and saved ids alike, so there is no way back to root;
 * - `--clear-groups` or exactly `groups` (the sandbox's deny group, see sandbox/sharedFolderGuard.ts): root's own
 *   supplementary groups would otherwise come along (node-pty's `uid`/`gid` options keep them);
 * - `--inh-caps=-all`: no capability survives into the command, not even as an inheritable one;
 * - `--no-new-privs`: setuid binaries and file capabilities grant nothing, and it is what lets the run head install
 *   its seccomp filter without privilege.
 */
export function dropPrivilegeArgs({ uid, gid, groups = [] }: Identity): string[] {
  const groupArgs = groups.length > 0 ? [`--groups=${groups.join(',')}`] : ['--clear-groups'];
  return [`--reuid=${uid}`, `--regid=${gid}`, ...groupArgs, '--inh-caps=-all', '--no-new-privs'];
}

/** The identity `request` asks for, or undefined for the spawner's own; `spawner` names the caller in errors. */
export function requestedIdentity(request: SpawnRequest, spawner: string): Identity | undefined {
  if (request.uid === undefined && request.gid === undefined) return undefined;
  if (request.uid === undefined || request.gid === undefined) throw new Error(`${spawner}: uid and gid go together`);
  return { uid: request.uid, gid: request.gid, groups: request.groups };
}

/** stderr becomes a duplicate of stdout before the prelude proper runs. */
const MERGE_STDERR = 'open(STDERR, ">&", \\*STDOUT) or die "pocketrun: stderr: $!\\n";';

export interface PreludeOptions {
  /** Switch to this identity (setpriv with dropPrivilegeArgs) once the prelude is done. */
  identity?: Identity;
  /** A /proc of its own (see PRIVATE_PROC); only where the sandbox's probe found that it works. */
  privateProc?: boolean;
  /** One output stream: stderr goes where stdout goes (the pipe spawner's). */
  mergeStderr?: boolean;
  /** Descriptors above 2 to leave open (see KEEP_FD_FLAG). */
  keepFds?: number[];
  /** A `cgroup.procs` file to join (see CGROUP_FLAG). */
  cgroupProcs?: string;
}

/**
 * `argv` as a root process starts it: `perl -e CLOSE_FDS_AND_EXEC -- [--private-proc] [setpriv … --] argv…`.
 * The one place the prelude and the identity switch are put in front of a command.
 */
export function withSpawnPrelude(tools: { perl: string; setpriv: string | null }, argv: string[], options: PreludeOptions = {}): string[] {
  let command = argv;
  if (options.identity) {
    if (!tools.setpriv) throw new Error('util-linux setpriv is required to run as another user');
    command = [tools.setpriv, ...dropPrivilegeArgs(options.identity), '--', ...command];
  }
  const script = options.mergeStderr ? `${MERGE_STDERR} ${CLOSE_FDS_AND_EXEC}` : CLOSE_FDS_AND_EXEC;
  const keep = (options.keepFds ?? []).map((fd) => `${KEEP_FD_FLAG}=${fd}`);
  const cgroup = options.cgroupProcs ? [`${CGROUP_FLAG}=${options.cgroupProcs}`] : [];
  return [tools.perl, '-e', script, '--', ...keep, ...cgroup, ...(options.privateProc ? [PRIVATE_PROC_FLAG] : []), ...command];
}
