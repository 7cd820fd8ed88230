/**
 * The tiny programs that run between a fork and the user's program, and where the system tools live.
 *
 * They are perl one-liners because perl-base is Essential on Debian (present on FC's debian10 image and on
 * any Debian/Ubuntu host), starts in a few milliseconds, changes nothing in the environment (bash would add
 * `SHLVL`/`PWD`) and can make raw system calls (close, prctl, ioctl). CLOSE_FDS_AND_EXEC and
 * FOREGROUND_AND_EXEC end in `exec` and cost no process; RUN_HEAD and SUBREAPER_AND_EXEC stay as parents.
 */
import * as fs from 'fs';
import * as os from 'os';
import { AUDIT_ARCH, syscallNumber } from './syscallNumbers';

/** The prelude's first argument asking for PRIVATE_PROC (see there). */
export const PRIVATE_PROC_FLAG = '--private-proc';

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
 * Closes every file descriptor above 2, then execs `@ARGV`. node-pty's master descriptors are not
 * close-on-exec, so without this every program would inherit the PTY masters of every other live run (and
 * whatever the host runtime leaked into the executor), and could read or type into other users' terminals.
 * Takes PRIVATE_PROC_FLAG first (see PRIVATE_PROC).
 */
export const CLOSE_FDS_AND_EXEC = [
  PRIVATE_PROC,
  'opendir(my $d, "/proc/self/fd") or die "pocketrun: /proc/self/fd: $!\\n";',
  'my @fds = grep { /^\\d+$/ && $_ > 2 } readdir($d);',
  'closedir($d);',
  `syscall(${syscallNumber('close')}, $_ + 0) for @fds;`,
  'exec { $ARGV[0] } @ARGV;',
  'print STDERR "pocketrun: cannot run $ARGV[0]: $!\\n";',
  'exit 127;',
].join(' ');

/**
 * Makes the program the terminal's foreground process group, then execs `@ARGV`. The wrappers above it (the
 * run head; bwrap's monitor) stay in the first group, so Ctrl-C and Ctrl-\ reach the program alone, as in a
 * local terminal; otherwise bwrap's monitor would die of SIGINT and take a program that handles it along
 * (bubblewrap issue #369). Inside bwrap's pid namespace the current foreground group is invisible
 * (`tcgetpgrp` returns 0), which is why `bash -m` cannot do this job. `TIOCSPGRP` = 0x5410.
 * Ctrl-Z is ignored (SIGTSTP set to ignore; a program may still handle it): there is no shell to resume a
 * stopped program, which would otherwise hang until the run's timeout. The umask is 077.
 */
export const FOREGROUND_AND_EXEC = [
  '$SIG{TTOU} = "IGNORE";',
  'if (-t STDIN) { setpgrp(0, 0); ioctl(STDIN, 0x5410, pack("i", getpgrp())); }',
  '$SIG{TTOU} = "DEFAULT";',
  '$SIG{TSTP} = "IGNORE";',
  // Files the program creates are private to its uid: without bwrap /tmp is shared with concurrent runs.
  'umask 077;',
  'exec { $ARGV[0] } @ARGV;',
  'print STDERR "pocketrun: cannot run $ARGV[0]: $!\\n";',
  'exit 127;',
].join(' ');

/** Signals whose default action ends the process (not the ignored or stopping ones). */
const FATAL_SIGNALS = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSYS',
]
  .map((name) => (os.constants.signals as Record<string, number>)[name])
  .filter((n): n is number => typeof n === 'number');

/**
 * The head of a sandboxed run (runs as the run's uid, after setpriv and prlimit): `perl -e RUN_HEAD -- <0|1> argv…`.
 * - A child subreaper: it runs `argv` as its child, and every process of the run orphaned on the way (double
 *   forks; bwrap's pid-1 reaper, which bwrap's monitor leaves behind) is re-parented to it instead of the host's
 *   init, which may reap late (this test VM: ~2 s) or never. Until reaped, zombies count against the uid's
 *   RLIMIT_NPROC.
 * - When the child ends, the run is over: it kills every other process of the uid (`kill -9 -1` as the uid
 *   itself: one atomic pass that a fork bomb cannot outrun), reaps them all, and ends the way the child ended.
 *   SIGUSR1, SIGTERM or SIGHUP (the terminal went away) make it do so at once: the sandbox's dispose uses this.
 * - It ignores the terminal's SIGINT/SIGQUIT/SIGTSTP (the program gets them in its own foreground group), and
 *   is not dumpable (`PR_SET_DUMPABLE` 0), so the program, which runs as the same uid, cannot ptrace it.
 * - With `1` the child is bwrap, which reports a program killed by signal N as exit code 128 + N: such a code
 *   is turned back into death by N (for signals whose default action kills), so the spawner sees `SIGXCPU`,
 *   `SIGSEGV`, `SIGKILL` as without bwrap. A program that itself exits with 128 + N is then reported as killed
 *   by N, as a shell would.
 */
/**
 * A seccomp filter (classic BPF, as `struct sock_filter` {u16 code, u8 jt, u8 jf, u32 k}) that refuses the kernel
 * keyring calls with EPERM, as Docker's default profile does: keyrings are not namespaced, and a program that
 * adds a key to its uid's user keyring and then takes away its own write permission (KEYCTL_SETPERM) leaves it
 * for every later program of that uid, beyond what any clean-up can clear. Calls of another architecture (an
 * i386 or x32 program calling the same numbers otherwise) kill the process.
 */
const SECCOMP_FILTER = ((): string => {
  const LD_ABS = 0x20;
  const JEQ = 0x15;
  const JGE = 0x35;
  const RET = 0x06;
  const ALLOW = 0x7fff0000;
  const ERRNO_EPERM = 0x00050001;
  const KILL_PROCESS = 0x80000000;
  const X32_SYSCALL_BIT = 0x40000000;
  const [addKey, requestKey, keyctl] = (['add_key', 'request_key', 'keyctl'] as const).map(syscallNumber);
  const program: Array<[code: number, jt: number, jf: number, k: number]> = [
    [LD_ABS, 0, 0, 4], // seccomp_data.arch
    [JEQ, 1, 0, AUDIT_ARCH],
    [RET, 0, 0, KILL_PROCESS],
    [LD_ABS, 0, 0, 0], // seccomp_data.nr
    [JGE, 4, 0, X32_SYSCALL_BIT],
    [JEQ, 3, 0, addKey],
    [JEQ, 2, 0, requestKey],
    [JEQ, 1, 0, keyctl],
    [RET, 0, 0, ALLOW],
    [RET, 0, 0, ERRNO_EPERM],
  ];
  return program.map((i) => `[${i.join(',')}]`).join(',');
})();

export const RUN_HEAD = [
  'if ($< == 0 || $> == 0) { print STDERR "pocketrun: the run head never runs as root\\n"; exit 126; }',
  // PR_SET_SECCOMP (22), SECCOMP_MODE_FILTER (2), with `struct sock_fprog` {u16 len; pointer}; no_new_privs is set
  // (setpriv), so no privilege is needed. Failing closed: a run without it would leave the keyrings open.
  `{ my @f = (${SECCOMP_FILTER}); my $filter = join("", map { pack("SCCL", @$_) } @f); my $prog = pack("S x6 P", scalar(@f), $filter);`,
  `  if (syscall(${syscallNumber('prctl')}, 22, 2, $prog, 0, 0) != 0) { print STDERR "pocketrun: seccomp: $!\\n"; exit 126; } }`,
  `syscall(${syscallNumber('prctl')}, 36, 1, 0, 0, 0);`,
  `syscall(${syscallNumber('prctl')}, 4, 0, 0, 0, 0);`,
  'my $convert = shift(@ARGV) eq "1";',
  `my %fatal = map { $_ => 1 } (${FATAL_SIGNALS.join(', ')});`,
  'my $pid = fork();',
  'if (!defined $pid) { print STDERR "pocketrun: fork: $!\\n"; exit 126; }',
  'if ($pid == 0) { exec { $ARGV[0] } @ARGV; print STDERR "pocketrun: cannot run $ARGV[0]: $!\\n"; exit 127; }',
  '$SIG{$_} = "IGNORE" for qw(INT QUIT TSTP TTIN TTOU);',
  '$SIG{$_} = sub { kill 9, -1; } for qw(USR1 TERM HUP);',
  'my $status = 9;',
  'while (1) { my $w = waitpid(-1, 0); if ($w == $pid) { $status = $?; last; } if ($w == -1 && !$!{EINTR}) { last; } }',
  'kill 9, -1;',
  'my $until = time + 3;',
  'while (time < $until) { my $w = waitpid(-1, 1); if ($w == -1) { last unless $!{EINTR}; } elsif ($w == 0) { select(undef, undef, undef, 0.005); } }',
  'my $sig = $status & 127; my $code = $status >> 8;',
  'if ($convert && !$sig && $code > 128 && $fatal{$code - 128}) { $sig = $code - 128; }',
  'if ($sig && $fatal{$sig}) { $SIG{$_} = "DEFAULT" for qw(INT QUIT TSTP TTIN TTOU USR1 TERM HUP); kill $sig, $$; select(undef, undef, undef, 0.1); exit(128 + $sig); }',
  'exit $code;',
].join(' ');

/**
 * For the executor's own start command: becomes a child subreaper (`PR_SET_CHILD_SUBREAPER`), runs `@ARGV`
 * (node and the executor) as its child, forwards TERM/INT/HUP/QUIT/USR1/USR2 to it, reaps every orphan that
 * lands on it, and ends as the child ended. Sandboxed programs whose parents die (double forks, a killed
 * wrapper chain) are then reaped here instead of waiting for the host's pid 1, which may reap late (this test
 * VM: ~2 s) or never (an init that is not an init); until reaped, zombies count against the uid's RLIMIT_NPROC.
 */
export const SUBREAPER_AND_EXEC = [
  `syscall(${syscallNumber('prctl')}, 36, 1, 0, 0, 0);`,
  'my $pid = fork();',
  'if (!defined $pid) { print STDERR "pocketrun: fork: $!\\n"; exit 126; }',
  'if ($pid == 0) { exec { $ARGV[0] } @ARGV; print STDERR "pocketrun: cannot run $ARGV[0]: $!\\n"; exit 127; }',
  'my @forward = qw(TERM INT HUP QUIT USR1 USR2);',
  'for my $name (@forward) { $SIG{$name} = sub { kill $name, $pid; }; }',
  'my $status = 0;',
  'while (1) { my $w = waitpid(-1, 0); if ($w == $pid) { $status = $?; last; } if ($w == -1 && !$!{EINTR}) { last; } }',
  '1 while waitpid(-1, 1) > 0;',
  'my $sig = $status & 127;',
  'if ($sig) { $SIG{$_} = "DEFAULT" for @forward; kill $sig, $$; select(undef, undef, undef, 0.1); exit(128 + $sig); }',
  'exit($status >> 8);',
].join(' ');

/** `argv` started under SUBREAPER_AND_EXEC (for the executor's start command; see there). */
export function withSubreaper(argv: string[], perl = findTool(['/usr/bin/perl', '/bin/perl']) ?? '/usr/bin/perl'): string[] {
  return [perl, '-e', SUBREAPER_AND_EXEC, '--', ...argv];
}

/** The first of `candidates` that is an executable regular file, or null. */
export function findTool(candidates: string[]): string | null {
  for (const candidate of candidates) {
    try {
      const st = fs.statSync(candidate);
      if (st.isFile() && (st.mode & 0o111) !== 0) return candidate;
    } catch {
      // next
    }
  }
  return null;
}

export interface Tools {
  perl: string;
  setpriv: string;
  prlimit: string;
  bash: string;
  ipcrm: string | null;
}

let cachedTools: Tools | null | undefined;

/** The system tools the sandbox needs (util-linux's setpriv and prlimit, perl-base, bash); null if any is missing. */
export function systemTools(): Tools | null {
  if (cachedTools !== undefined) return cachedTools;
  const perl = findTool(['/usr/bin/perl', '/bin/perl']);
  const setpriv = findTool(['/usr/bin/setpriv', '/bin/setpriv']);
  const prlimit = findTool(['/usr/bin/prlimit', '/bin/prlimit']);
  const bash = findTool(['/bin/bash', '/usr/bin/bash']);
  const ipcrm = findTool(['/usr/bin/ipcrm', '/bin/ipcrm']);
  cachedTools = perl && setpriv && prlimit && bash ? { perl, setpriv, prlimit, bash, ipcrm } : null;
  return cachedTools;
}

/**
 * Arguments of `setpriv` that switch a root process to `uid:gid` with no way back: no capability, no_new_privs,
 * and no supplementary group but `groups` (the sandbox's deny group, see sharedFolderGuard.ts).
 */
export function dropPrivilegeArgs(uid: number, gid: number, groups: number[] = []): string[] {
  const groupArgs = groups.length > 0 ? [`--groups=${groups.join(',')}`] : ['--clear-groups'];
  return [`--reuid=${uid}`, `--regid=${gid}`, ...groupArgs, '--inh-caps=-all', '--no-new-privs'];
}
