/**
 * The run head: the first wrapper of a sandboxed run that runs as the run's uid, and the last of them to end (a perl
 * link, for the reasons given in process/spawnPrelude.ts: it runs in the spawn prelude's own process).
 */
import * as os from 'os';
import { chainLink, HAND_OVER } from '../process/spawnPrelude';
import { AUDIT_ARCH, syscallNumber } from '../process/syscallNumbers';

/** Signals whose default action ends the process (not the ignored or stopping ones). */
const FATAL_SIGNALS = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSYS',
]
  .map((name) => (os.constants.signals as Record<string, number>)[name])
  .filter((n): n is number => typeof n === 'number');

/**
 * EINTR as a number: `$!{EINTR}` would make perl load Errno.pm (with Exporter.pm and strict.pm) at every start of the
 * chain, about a millisecond before the program's first byte.
 */
const EINTR = os.constants.errno.EINTR;

/**
 * How long the run head waits, after `kill -9 -1`, for the run's processes to be reaped (a process in uninterruptible
 * sleep may take longer): past it the run head ends all the same, and the sandbox's sweep deals with what is left
 * (treeReaped.ts reasons from this bound).
 */
export const REAP_DEADLINE_S = 2;

/**
 * A seccomp filter (classic BPF, as `struct sock_filter` {u16 code, u8 jt, u8 jf, u32 k}) that refuses the kernel
 * keyring calls with EPERM, as Docker's default profile does: keyrings are not namespaced, and a program that
 * adds a key to its uid's user keyring and then takes away its own write permission (KEYCTL_SETPERM) leaves it
 * for every later program of that uid, beyond what any clean-up can clear. It refuses `socket(AF_VSOCK, …)` too:
 * vsock reaches the VM's host (on microVMs such as FC's, its agents), and no network namespace covers it. And it
 * refuses io_uring (as Docker's default profile has since 2023): a ring's operations are system calls the kernel
 * makes for the program without passing this filter, so `IORING_OP_SOCKET` made the very vsock socket refused
 * above (an audit did, in both isolation modes). Calls of another architecture (an i386 or x32 program calling the
 * same numbers otherwise) kill the process.
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
  const AF_VSOCK = 40;
  const refused = (['add_key', 'request_key', 'keyctl', 'io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const).map(syscallNumber);
  const socket = syscallNumber('socket');
  const n = refused.length;
  // Jumps count the instructions skipped after the jump itself; EPERM is the last instruction (9 + n).
  const program: Array<[code: number, jt: number, jf: number, k: number]> = [
    [LD_ABS, 0, 0, 4], // seccomp_data.arch
    [JEQ, 1, 0, AUDIT_ARCH],
    [RET, 0, 0, KILL_PROCESS],
    [LD_ABS, 0, 0, 0], // seccomp_data.nr
    [JGE, 4 + n, 0, X32_SYSCALL_BIT],
    ...refused.map((nr, i): [number, number, number, number] => [JEQ, 3 + n - i, 0, nr]),
    [JEQ, 0, 2, socket],
    [LD_ABS, 0, 0, 16], // seccomp_data.args[0], its low 32 bits (little-endian): the address family
    [JEQ, 1, 0, AF_VSOCK],
    [RET, 0, 0, ALLOW],
    [RET, 0, 0, ERRNO_EPERM],
  ];
  return program.map((i) => `[${i.join(',')}]`).join(',');
})();

/**
 * Landlock's access rights (linux/landlock.h) the run head's domain handles: every way to change the filesystem, none
 * to read it. What a domain handles is denied outside the trees its rules name.
 */
const LANDLOCK_FS = {
  writeFile: 1n << 1n,
  removeDir: 1n << 4n,
  removeFile: 1n << 5n,
  makeChar: 1n << 6n,
  makeDir: 1n << 7n,
  makeReg: 1n << 8n,
  makeSock: 1n << 9n,
  makeFifo: 1n << 10n,
  makeBlock: 1n << 11n,
  makeSym: 1n << 12n,
  /** ABI 2: linking or renaming across folders. */
  refer: 1n << 13n,
  /** ABI 3. */
  truncate: 1n << 14n,
} as const;
const ABI1_WRITES = Object.entries(LANDLOCK_FS).filter(([k]) => k !== 'refer' && k !== 'truncate').reduce((a, [, v]) => a | v, 0n);
/** LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL (ABI 6). */
const LANDLOCK_SCOPES = 1 | 2;
/** O_PATH | O_CLOEXEC: a handle on a folder for a rule, which needs no right to read it. */
const O_PATH_CLOEXEC = 0o10000000 | 0o2000000;

/**
 * In uid isolation the program shares the host's filesystem, where any world-writable folder or file outside the
 * guarded shared folders (sharedFolderGuard.ts: `/var/lib/php/sessions` when php is installed, whatever a package
 * made) would carry data from one user's run to the next. So the run head's child puts itself, and so the program,
 * in a Landlock domain (when the kernel has Landlock; it fails closed once it has): it may change the filesystem only
 * beneath the `--write=` trees (the run's slot), and write to the existing files of `/dev` (null, its terminal) and
 * `/proc` (its own). From ABI 6 the domain is also scoped: the program can neither signal a process outside it (its
 * run head, which `kill -9 -1` would reach in uid isolation) nor connect to an abstract unix socket made outside it
 * (other runs', host daemons'). Under bwrap nothing of this is needed (the host is mounted read-only and the pid and
 * network namespaces are the program's) and it could not be: a Landlock domain may not mount, which bwrap must.
 */
const LANDLOCK = [
  'sub landlock { my @trees = @_;',
  `  my $abi = syscall(${syscallNumber('landlock_create_ruleset')}, 0, 0, 1);`,
  `  if ($abi < 0) { return if $! == ${os.constants.errno.ENOSYS} || $! == ${os.constants.errno.EOPNOTSUPP}; die "landlock: $!\n"; }`,
  `  my $fs = ${ABI1_WRITES}; $fs |= ${LANDLOCK_FS.refer} if $abi >= 2; $fs |= ${LANDLOCK_FS.truncate} if $abi >= 3;`,
  // struct landlock_ruleset_attr {u64 handled_access_fs; u64 handled_access_net (ABI 4); u64 scoped (ABI 6)}: its size says which fields are there.
  `  my $attr = $abi >= 6 ? pack("Q3", $fs, 0, ${LANDLOCK_SCOPES}) : pack("Q", $fs);`,
  `  my $set = syscall(${syscallNumber('landlock_create_ruleset')}, $attr, length($attr), 0); die "landlock: ruleset: $!\n" if $set < 0;`,
  `  my $file = ${LANDLOCK_FS.writeFile} | ($abi >= 3 ? ${LANDLOCK_FS.truncate} : 0);`,
  // struct landlock_path_beneath_attr {u64 allowed_access; s32 parent_fd} is packed: 12 bytes. LANDLOCK_RULE_PATH_BENEATH is 1.
  '  for my $rule ((map { [$_, $fs] } @trees), ["/dev", $file], ["/proc", $file]) {',
  `    sysopen(my $h, $rule->[0], ${O_PATH_CLOEXEC}) or die "landlock: $rule->[0]: $!\n";`,
  `    syscall(${syscallNumber('landlock_add_rule')}, $set, 1, pack("Ql", $rule->[1], fileno($h)), 0) == 0 or die "landlock: rule $rule->[0]: $!\n"; close($h); }`,
  `  syscall(${syscallNumber('landlock_restrict_self')}, $set, 0) == 0 or die "landlock: restrict: $!\n";`,
  `  syscall(${syscallNumber('close')}, $set + 0); }`,
].join(' ');

/**
 * The head of a sandboxed run (runs as the run's uid, in the spawn prelude's process once it switched identity):
 * `perl -e RUN_HEAD -- [--usage-fd=N] --rlimits=<resource>:<soft>:<hard>,… <0|1> argv…`.
 * - It sets the rlimits first (prlimit64 on itself, each a resource number of process/syscallNumbers.ts RLIMIT,
 *   `inf` for none), failing closed: they hold for it and everything it starts (what util-linux prlimit did, minus
 *   an exec).
 * - A child subreaper: it runs `argv` as its child, and every process of the run orphaned on the way (double
 *   forks; bwrap's pid-1 reaper, which bwrap's monitor leaves behind) is re-parented to it instead of the host's
 *   init, which may reap late (this test VM: ~2 s) or never. Until reaped, zombies count against the uid's
 *   RLIMIT_NPROC.
 * - When the child ends, the run is over: it kills every other process of the uid (`kill -9 -1` as the uid
 *   itself: one atomic pass that a fork bomb cannot outrun), reaps them all, and ends the way the child ended.
 *   SIGUSR1, SIGTERM or SIGHUP (the terminal went away) make it do so at once: the sandbox's dispose uses this.
 * - It ignores the terminal's SIGINT/SIGQUIT/SIGTSTP (the program gets them in its own foreground group), and
 *   is not dumpable (`PR_SET_DUMPABLE` 0), so the program, which runs as the same uid, cannot ptrace it.
 * - With `--usage-fd=N` first and descriptor N open (the pipe spawner's report pipe; see process/pipeSpawner.ts), it
 *   writes one line there once everything is reaped: `usage <user µs> <system µs> <max RSS KiB> <wall µs>`, the
 *   rusage of its children (getrusage(RUSAGE_CHILDREN): the program's whole tree, every process of it having been
 *   reaped by now, and never the run head itself) and the time from the fork to the program's end (CLOCK_MONOTONIC).
 *   The child closes N before it execs, so the program can never write a figure of its own there, nor reach the run
 *   head's copy (it is not dumpable: its /proc/<pid>/fd is root's). Without N open (a terminal run: the prelude
 *   closed everything above 2) nothing is written.
 * - With `1` or `2` the child is bwrap, which reports a program killed by signal N as exit code 128 + N: such a code
 *   is turned back into death by N (for signals whose default action kills), so the spawner sees `SIGXCPU`,
 *   `SIGSEGV`, `SIGKILL` as without bwrap. A program that itself exits with 128 + N is then reported as killed
 *   by N, as a shell would.
 * - With `2` (a terminal run under bwrap, commandChain.ts) bwrap's monitor shares the program's foreground group:
 *   when a signal kills it (Ctrl-C, Ctrl-\), the run goes on until its pid-1 ends, which the run head then waits for.
 */
export const RUN_HEAD = chainLink([
  'if ($< == 0 || $> == 0) { print STDERR "pocketrun: the run head never runs as root\\n"; exit 126; }',
  'my $usage = -1; if (@ARGV && $ARGV[0] =~ /^--usage-fd=(\\d+)$/) { $usage = $1; shift @ARGV; }',
  'my @write; while (@ARGV && $ARGV[0] =~ /^--write=(\\/.*)$/s) { push @write, $1; shift @ARGV; }',
  'my $limits = (@ARGV && $ARGV[0] =~ /^--rlimits=([\\d:,inf]*)$/) ? $1 : undef; shift @ARGV if defined $limits;',
  'if (!defined $limits) { print STDERR "pocketrun: the run head needs its rlimits\\n"; exit 126; }',
  // struct rlimit64 {u64 rlim_cur; u64 rlim_max}; RLIM64_INFINITY is all ones.
  `for (grep { length } split(/,/, $limits)) { my ($r, $soft, $hard) = split(/:/); my $new = pack("Q2", map { $_ eq "inf" ? ~0 : $_ } ($soft, $hard));`,
  `  if (syscall(${syscallNumber('prlimit64')}, 0, $r + 0, $new, 0) != 0) { print STDERR "pocketrun: rlimit $r: $!\\n"; exit 126; } }`,
  // PR_SET_SECCOMP (22), SECCOMP_MODE_FILTER (2), with `struct sock_fprog` {u16 len; pointer}; no_new_privs is set
  // (the prelude's identity switch), so no privilege is needed. Failing closed: a run without it would leave the keyrings open.
  `{ my @f = (${SECCOMP_FILTER}); my $filter = join("", map { pack("SCCL", @$_) } @f); my $prog = pack("S x6 P", scalar(@f), $filter);`,
  `  if (syscall(${syscallNumber('prctl')}, 22, 2, $prog, 0, 0) != 0) { print STDERR "pocketrun: seccomp: $!\\n"; exit 126; } }`,
  `syscall(${syscallNumber('prctl')}, 36, 1, 0, 0, 0);`,
  `syscall(${syscallNumber('prctl')}, 4, 0, 0, 0, 0);`,
  'my $report; if ($usage >= 0 && !open($report, ">&=", $usage)) { $report = undef; }',
  'my $mode = shift(@ARGV); my $convert = $mode ne "0"; my $follow = $mode eq "2";',
  `sub mono_us { my $t = "\\0" x 32; syscall(${syscallNumber('clock_gettime')}, 1, $t); my ($s, $n) = unpack("l!2", $t); return $s * 1000000 + int($n / 1000); }`,
  'my $started = mono_us();',
  `my %fatal = map { $_ => 1 } (${FATAL_SIGNALS.join(', ')});`,
  'my $pid = fork();',
  'if (!defined $pid) { print STDERR "pocketrun: fork: $!\\n"; exit 126; }',
  // The child hands over: to bwrap, or (uid isolation) to the foreground helper in this same process. Ctrl-Z is
  // ignored and the umask 077 already here (the helper sets both again): bwrap keeps both for the program, so a pipe
  // run under bwrap goes without the helper (commandChain.ts).
  LANDLOCK,
  `if ($pid == 0) { syscall(${syscallNumber('close')}, $usage + 0) if $usage >= 0; $SIG{TSTP} = "IGNORE"; umask 077;`,
  '  if ($mode eq "0") { eval { landlock(@write); 1 } or do { print STDERR "pocketrun: $@"; syscall(' + String(syscallNumber('exit_group')) + ', 126); }; }',
  `  ${HAND_OVER} }`,
  '$SIG{$_} = "IGNORE" for qw(INT QUIT TSTP TTIN TTOU);',
  '$SIG{$_} = sub { kill 9, -1; } for qw(USR1 TERM HUP);',
  'my $status = 9;',
  `while (1) { my $w = waitpid(-1, 0); if ($w == $pid) { $status = $?; last; } if ($w == -1 && $! != ${EINTR}) { last; } }`,
  // A terminal run under bwrap has bwrap's monitor in the program's foreground group (commandChain.ts), so Ctrl-C
  // kills the monitor too; its pid-1 (re-parented here, the only child left) carries on with the program, whose end
  // is then the run's end, and its status the run's.
  `if ($follow && ($status & 127)) { while (1) { my $w = waitpid(-1, 0); if ($w > 0) { $status = $?; last; } last if $! != ${EINTR}; } }`,
  'my $wall = mono_us() - $started;',
  'kill 9, -1;',
  // A blocking wait, bounded by an alarm: a poll with a sleep between looks (as before) cost up to that sleep (5 ms)
  // whenever bwrap's pid-1 was still tearing its namespaces down, on the path to every judge answer. perl restarts
  // waitpid after a signal, so the alarm's handler dies out of the loop instead.
  `eval { local $SIG{ALRM} = sub { die "reap\\n"; }; alarm ${REAP_DEADLINE_S}; while (1) { last if waitpid(-1, 0) == -1; } alarm 0; };`,
  // struct rusage starts with ru_utime and ru_stime (struct timeval: two longs each), then ru_maxrss (a long, KiB).
  `if ($report) { my $ru = "\\0" x 512; syscall(${syscallNumber('getrusage')}, -1, $ru); my @r = unpack("l!5", $ru);`,
  '  syswrite($report, sprintf("usage %d %d %d %d\\n", $r[0] * 1000000 + $r[1], $r[2] * 1000000 + $r[3], $r[4], $wall)); close($report); }',
  'my $sig = $status & 127; my $code = $status >> 8;',
  'if ($convert && !$sig && $code > 128 && $fatal{$code - 128}) { $sig = $code - 128; }',
  'if ($sig && $fatal{$sig}) { $SIG{$_} = "DEFAULT" for qw(INT QUIT TSTP TTIN TTOU USR1 TERM HUP FPE); kill $sig, $$; select(undef, undef, undef, 0.1); exit(128 + $sig); }',
  'exit $code;',
].join(' '));
