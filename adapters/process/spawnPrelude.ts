/**
 * The prelude every spawned process starts through, as root, before anything else of it runs: it closes the
 * descriptors the executor would otherwise hand down, optionally gives the process a /proc of its own and a memory
 * cgroup, switches identity itself (IDENTITY_SWITCH, no setpriv), and then hands over to the command.
 *
 * The prelude and the sandbox's wrappers are perl one-liners because perl-base is Essential on Debian (present on
 * FC's debian10 image and on any Debian/Ubuntu host), starts in a few milliseconds, changes nothing in the
 * environment (bash would add `SHLVL`/`PWD`) and can make raw system calls (close, prctl, ioctl, mount, setresuid).
 * Each exec costs 7-9 ms on FC-sized machines, so the wrappers are *links* (chainLink): a link ends in HAND_OVER,
 * which runs the next command in the same process when that command is itself a link of this perl (`perl -e <link>
 * -- args…`: the link's code is evaluated with @ARGV = args, what the exec would have run, minus the exec), and
 * execs it otherwise. The prelude, the identity switch, the run head and the foreground helper are thus one process
 * and one exec; after it only bwrap and the program are exec'd.
 */
import * as path from 'path';
import type { SpawnRequest } from '../../core/ports';
import { syscallNumber } from './syscallNumbers';

/** How the last wrapper ends: it becomes `@ARGV`, or says why not and exits as a shell would (127). */
export const EXEC_ARGV = 'exec { $ARGV[0] } @ARGV; print STDERR "pocketrun: cannot run $ARGV[0]: $!\\n"; exit 127;';

/** The first line of every link's code, which HAND_OVER looks for (a comment to perl). */
const LINK_MARK = '#pocketrun-link';

/** A wrapper's perl code as a link of a chain (see the file comment). */
export function chainLink(code: string): string {
  return `${LINK_MARK}\n${code}`;
}

/**
 * How a link ends when what follows may be another link: `perl -e <link> -- args…` of this very perl (`$^X`) is
 * evaluated here, in this process; anything else is exec'd (EXEC_ARGV). A link never returns: it execs or exits; one
 * that dies says why and exits 126.
 */
export const HAND_OVER = [
  `if (@ARGV >= 3 && $ARGV[0] eq $^X && $ARGV[1] eq "-e" && index($ARGV[2], "${LINK_MARK}\\n") == 0) {`,
  '  my $link = $ARGV[2]; splice(@ARGV, 0, 3); shift @ARGV if @ARGV && $ARGV[0] eq "--";',
  '  eval $link; print STDERR "pocketrun: $@"; exit 126; }',
  EXEC_ARGV,
].join(' ');

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

/** The prelude's argument asking for PRIVATE_PROC (see there). */
const PRIVATE_PROC_FLAG = '--private-proc';

/**
 * With PRIVATE_PROC_FLAG: a mount namespace of its own (as root, before the identity switch) whose /proc is a
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

/** The prelude's argument asking for PRIVATE_NET (see there). */
const PRIVATE_NET_FLAG = '--private-net';

/**
 * With PRIVATE_NET_FLAG: a network namespace of its own (as root, before the identity switch) with nothing but a
 * loopback, brought up (a program may still talk to itself on 127.0.0.1), so that without bwrap too a program that
 * is not allowed the network reaches no host service and nothing beyond the host. `struct ifreq` is the interface
 * name (16 bytes) and a 24-byte union whose first member is the flags: SIOCSIFFLAGS (0x8914) with IFF_UP, IFF_LOOPBACK
 * and IFF_RUNNING. Needs CAP_SYS_ADMIN (probed once by the sandbox): where the host does not allow it, the flag is
 * never passed.
 */
const PRIVATE_NET = [
  `if (@ARGV && $ARGV[0] eq "${PRIVATE_NET_FLAG}") { shift @ARGV;`,
  `  syscall(${syscallNumber('unshare')}, 0x40000000) == 0 or die "pocketrun: unshare net: $!\n";`,
  '  socket(my $s, 2, 2, 0) or die "pocketrun: loopback: $!\n"; my $ifr = pack("a16 s x22", "lo", 0x49);',
  '  ioctl($s, 0x8914, $ifr) or die "pocketrun: loopback up: $!\n"; close($s); }',
].join(' ');

/**
 * `--as=<uid>:<gid>:<group,…>` (the last of the prelude's flags): the identity switch, in the prelude itself rather
 * than an exec of setpriv, one set of steps for every process that leaves root (programs, probes, sweeps):
 * - exactly the groups given as supplementary groups (none, or the sandbox's deny group, see
 *   sandbox/sharedFolderGuard.ts): root's own would otherwise come along (node-pty's `uid`/`gid` options keep them);
 * - real, effective and saved gid, then uid (setresgid, setresuid): there is no way back to root, and the kernel
 *   clears the permitted, effective and ambient capabilities with it;
 * - the inheritable capabilities cleared too (capset), so none survives into the command;
 * - no_new_privs: setuid binaries and file capabilities grant nothing, and it is what lets the run head install
 *   its seccomp filter without privilege;
 * - every id read back (getresuid, getresgid, the groups): failing closed, the command never runs otherwise.
 */
const AS_FLAG = '--as';
const IDENTITY_SWITCH = [
  `if (@ARGV && $ARGV[0] =~ /^${AS_FLAG}=(\\d+):(\\d+):([\\d,]*)$/) { my ($u, $g, $list) = ($1 + 0, $2 + 0, $3); shift @ARGV;`,
  '  my @groups = map { $_ + 0 } grep { length } split(/,/, $list); my $packed = pack("L*", @groups);',
  `  syscall(${syscallNumber('setgroups')}, scalar(@groups), @groups ? $packed : 0) == 0 or die "pocketrun: setgroups: $!\\n";`,
  `  syscall(${syscallNumber('setresgid')}, $g, $g, $g) == 0 or die "pocketrun: setresgid: $!\\n";`,
  `  syscall(${syscallNumber('setresuid')}, $u, $u, $u) == 0 or die "pocketrun: setresuid: $!\\n";`,
  // struct __user_cap_header_struct {u32 version (_LINUX_CAPABILITY_VERSION_3); int pid}, then two all-zero data structs.
  `  my ($header, $caps) = (pack("Li", 0x20080522, 0), "\\0" x 24); syscall(${syscallNumber('capset')}, $header, $caps) == 0 or die "pocketrun: capset: $!\\n";`,
  `  syscall(${syscallNumber('prctl')}, 38, 1, 0, 0, 0) == 0 or die "pocketrun: no_new_privs: $!\\n";`,
  '  my @ids = map { "\\0" x 4 } 1 .. 6;',
  `  (syscall(${syscallNumber('getresuid')}, $ids[0], $ids[1], $ids[2]) == 0 && syscall(${syscallNumber('getresgid')}, $ids[3], $ids[4], $ids[5]) == 0) or die "pocketrun: getresuid: $!\\n";`,
  // `$)` is the effective gid, then getgroups(2).
  '  my (undef, @have) = split(/ /, $)); my %seen; my $have = join(" ", sort { $a <=> $b } grep { !$seen{$_}++ } @have); my $want = join(" ", sort { $a <=> $b } @groups);',
  '  die "pocketrun: the identity switch did not hold\\n" if (grep { unpack("L", $ids[$_]) != ($_ < 3 ? $u : $g) } 0 .. 5) || $have ne $want; }',
].join(' ');

/**
 * Closes every file descriptor above 2 (but those named by KEEP_FD_FLAG), switches identity, then hands over to
 * `@ARGV`. node-pty's master descriptors are not close-on-exec, so without this every program would inherit the PTY
 * masters of every other live run (and whatever the host runtime leaked into the executor), and could read or type
 * into other users' terminals.
 */
const PRELUDE = [
  `my %keep; while (@ARGV && $ARGV[0] =~ /^${KEEP_FD_FLAG}=(\\d+)$/) { $keep{$1} = 1; shift @ARGV; }`,
  JOIN_CGROUP,
  PRIVATE_PROC,
  PRIVATE_NET,
  'opendir(my $d, "/proc/self/fd") or die "pocketrun: /proc/self/fd: $!\\n";',
  'my @fds = grep { /^\\d+$/ && $_ > 2 && !$keep{$_} } readdir($d);',
  'closedir($d);',
  `syscall(${syscallNumber('close')}, $_ + 0) for @fds;`,
  IDENTITY_SWITCH,
  HAND_OVER,
].join(' ');

/** Who a spawned process becomes: gid with exactly `groups` as supplementary groups (none by default). */
export interface Identity {
  uid: number;
  gid: number;
  groups?: number[];
}

/** The prelude's flag for `identity` (IDENTITY_SWITCH). */
function identityFlag({ uid, gid, groups = [] }: Identity): string {
  for (const id of [uid, gid, ...groups]) if (!Number.isInteger(id) || id < 0) throw new Error(`spawn prelude: bad id ${id}`);
  return `${AS_FLAG}=${uid}:${gid}:${groups.join(',')}`;
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
  /** Switch to this identity (IDENTITY_SWITCH) once the prelude is done. */
  identity?: Identity;
  /** A /proc of its own (see PRIVATE_PROC); only where the sandbox's probe found that it works. */
  privateProc?: boolean;
  /** A network namespace of its own, loopback only (see PRIVATE_NET); only where the sandbox's probe found that it works. */
  privateNet?: boolean;
  /** One output stream: stderr goes where stdout goes (the pipe spawner's). */
  mergeStderr?: boolean;
  /** Descriptors above 2 to leave open (see KEEP_FD_FLAG). */
  keepFds?: number[];
  /** A `cgroup.procs` file to join (see CGROUP_FLAG). */
  cgroupProcs?: string;
}

/**
 * `argv` as a root process starts it: `perl -e PRELUDE -- [--keep-fd=N…] [--cgroup=…] [--private-proc] [--private-net] [--as=…]
 * argv…`. The one place the prelude and the identity switch are put in front of a command; when `argv` is a link
 * (the sandbox's command chain) it runs on in the prelude's own process.
 */
export function withSpawnPrelude(tools: { perl: string }, argv: string[], options: PreludeOptions = {}): string[] {
  const script = options.mergeStderr ? `${MERGE_STDERR} ${PRELUDE}` : PRELUDE;
  return [tools.perl, '-e', script, '--', ...preludeArgs(argv, options)];
}

/** The prelude's arguments (after `--`): its flags in the order it reads them, then `argv`. */
function preludeArgs(argv: string[], options: Omit<PreludeOptions, 'mergeStderr'>): string[] {
  const keep = (options.keepFds ?? []).map((fd) => `${KEEP_FD_FLAG}=${fd}`);
  const cgroup = options.cgroupProcs ? [`${CGROUP_FLAG}=${options.cgroupProcs}`] : [];
  const identity = options.identity ? [identityFlag(options.identity)] : [];
  return [...keep, ...cgroup, ...(options.privateProc ? [PRIVATE_PROC_FLAG] : []), ...(options.privateNet ? [PRIVATE_NET_FLAG] : []), ...identity, ...argv];
}

/**
 * A prelude started ahead of its command (held): `perl -e HOLD+PRELUDE -- --hold-fd=N | --hold-fifo=PATH
 * [--cgroup=<cgroup.procs>]`. As root it joins the cgroup at once (if one is given), then waits for its command on
 * descriptor N (the pipe spawner's extra pipe) or on a FIFO it makes at PATH (a terminal's process has no descriptor
 * but the terminal: PtySpawner), which the spawner writes when a spawn comes (heldCommand): the working folder, the
 * environment and the prelude's own arguments. Then it goes on as the prelude would have from the start. Why:
 * joining a cgroup as the first step of a spawn cost that spawn 10–13 ms on a 2-core VM (moving a process between
 * cgroups takes the cgroup threadgroup lock for writing, which waits out an RCU grace period), and the executor's
 * fork and perl's start 3–4 ms more; held, all of it is done while the cell's previous command runs or the
 * executor waits for work. End of file without a complete command (released, or the executor went away) makes it
 * exit without running anything; a terminal's held prelude also dies of the hangup when its executor goes.
 */
const HOLD_FD_FLAG = '--hold-fd';
const HOLD_FIFO_FLAG = '--hold-fifo';
/** Ends a complete command (heldCommand): a command cut short by the executor's death is never run. */
const HELD_COMMAND_END = '\0\0';
const HOLD = [
  'my ($from, $fifo);',
  `if (@ARGV && $ARGV[0] =~ /^${HOLD_FD_FLAG}=(\\d+)$/) { $from = $1; shift @ARGV; } elsif (@ARGV && $ARGV[0] =~ /^${HOLD_FIFO_FLAG}=(\\/.+)$/s) { $fifo = $1; shift @ARGV; }`,
  'else { die "pocketrun: held prelude without its descriptor\\n"; }',
  JOIN_CGROUP,
  // S_IFIFO | 0600, root's: only the executor (root) can open it for writing.
  `my $held; if (defined $fifo) { syscall(${syscallNumber('mknodat')}, -100, $fifo, 0010600, 0) == 0 or die "pocketrun: held prelude: $fifo: $!\\n";`,
  '  open($held, "<", $fifo) or die "pocketrun: held prelude: $!\\n"; unlink($fifo); }',
  'else { open($held, "<&=", $from) or die "pocketrun: held prelude: $!\\n"; }',
  'my $m = do { local $/; <$held> }; close($held);',
  'exit 0 unless defined $m && length($m) >= 2 && substr($m, -2) eq "\\0\\0";',
  'my @f = split(/\\0/, substr($m, 0, -2), -1); my $cwd = shift @f; my $n = shift @f;',
  '%ENV = (); for (1 .. $n) { my ($k, $v) = split(/=/, shift(@f), 2); $ENV{$k} = $v; }',
  'chdir($cwd) or die "pocketrun: chdir $cwd: $!\\n"; @ARGV = @f;',
].join(' ');

/** Where a held prelude (HOLD) waits for its command. */
export type HeldCommandSource = { fd: number } | { fifo: string };

/** The held prelude's command line (see HOLD): it waits for its command at `from` once spawned. */
export function heldSpawnPrelude(tools: { perl: string }, from: HeldCommandSource, options: Pick<PreludeOptions, 'mergeStderr' | 'cgroupProcs'> = {}): string[] {
  if ('fifo' in from && !path.isAbsolute(from.fifo)) throw new Error('spawn prelude: a held prelude\'s FIFO needs an absolute path');
  const script = `${HOLD} ${options.mergeStderr ? `${MERGE_STDERR} ` : ''}${PRELUDE}`;
  const source = 'fd' in from ? `${HOLD_FD_FLAG}=${from.fd}` : `${HOLD_FIFO_FLAG}=${from.fifo}`;
  return [tools.perl, '-e', script, '--', source, ...(options.cgroupProcs ? [`${CGROUP_FLAG}=${options.cgroupProcs}`] : [])];
}

/**
 * What a held prelude (heldSpawnPrelude) is sent to become `argv` as withSpawnPrelude would have started it, in
 * `cwd` with exactly `env`: NUL-separated fields (none may hold a NUL, as no argument or variable can) and
 * HELD_COMMAND_END. Its cgroup is the one it joined; `mergeStderr` was fixed when it was held.
 */
export function heldCommand(argv: string[], options: Omit<PreludeOptions, 'cgroupProcs' | 'mergeStderr'>, cwd: string, env: Record<string, string>): string {
  const prelude = preludeArgs(argv, options);
  const fields = [cwd, String(Object.keys(env).length), ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...prelude];
  if (fields.some((f) => f.includes('\0'))) throw new Error('spawn prelude: a held command cannot carry a NUL');
  if (Object.keys(env).some((k) => k.length === 0 || k.includes('='))) throw new Error('spawn prelude: bad environment name');
  return `${fields.join('\0')}${HELD_COMMAND_END}`;
}
