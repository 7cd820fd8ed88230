/**
 * Makes a sandbox uid's slot clean for the next run, and proves it: one perl process (perl-base is Essential on
 * Debian and on FC's image; one exec for any number of slots, `cleanSlots`, or one per sandbox that takes its runs'
 * slots one at a time, slotCleanerProcess.ts) that, for each slot,
 * 1. forks a child that becomes the uid itself (gid, groups, uid; no way back) and, as the uid,
 *    - when asked to (`alone`), first proves that no other process of the uid exists, live or dead: with its own
 *      RLIMIT_NPROC at 2 it forks once, and the kernel refuses that fork (EAGAIN) while the uid has any process
 *      but this one. The kernel counts every process and thread by real uid until it is reaped, in every pid and
 *      user namespace the uid made (bwrap's included), so a zombie or a process hidden from /proc counts too; a
 *      fork racing with the count is counted. Refused, it touches nothing and reports `processes`: the caller
 *      sweeps the uid from root (processSweeper.ts) and asks again. One fork instead of a walk of /proc;
 *    - clears its kernel keyrings (user, user-session, persistent: they outlive every process of the uid),
 *    - removes its System V shared memory, semaphores and message queues (owned or created by it),
 *    - empties its `home`, `tmp` and `shm` folders (unless they are a tmpfs that is about to be unmounted),
 *    - removes what it owns in the shared writable folders given (the ones no ACL keeps it out of): a walk with
 *      no entry budget, descending by directory handle so no path grows past PATH_MAX;
 *    Deleting as the uid is what makes this safe: a program that swaps a folder for a symlink mid-walk can only
 *    redirect the walk to what its own uid may delete anyway, never to root's files.
 * 2. then, as root again: unmounts the slot's tmpfs (everything in it goes at once), moves aside whatever could not
 *    be removed (into a root-only trash folder, reported), and lays the slot out afresh, its folders made anew, never
 *    reused: their owner, the run's uid, may have given them extended attributes, a default ACL or timestamps, which
 *    would reach the uid's next run, another user's (a slot not empty once they are removed is moved aside):
 *      <slot>          root:<uid> 0710  (only the uid may traverse it, whatever the program does to its children)
 *      <slot>/home     <uid> 0700       (working folder and HOME)
 *      <slot>/tmp      <uid> 0700       (TMPDIR; /tmp under bwrap)
 *      <slot>/shm      <uid> 0700       (/dev/shm under bwrap)
 *    With `tmpfs`, <slot> is first mounted as a tmpfs of its own capped in bytes and inodes, so a run can fill
 *    neither the disk nor another run's space.
 *
 * Called once every process of the uid is dead (swept), or asked to prove it first (`alone`): nothing of the uid
 * races the walk.
 */
import { spawn } from 'child_process';
import { syscallNumber } from '../process/syscallNumbers';

export interface Slot {
  uid: number;
  /** Absolute path of the slot folder; its parent is root-owned and not writable by anyone else. */
  dir: string;
}

export interface SlotCleanOptions {
  perl: string;
  /** Root-owned 0700 folder on the same filesystem as the slots, where what cannot be removed is moved. */
  trash: string;
  /** Mount a fresh tmpfs of this size on every slot, or null for plain folders (a tmpfs already there is unmounted). */
  tmpfs: { bytes: number; inodes: number } | null;
  /** Shared writable folders to sweep for the uid's files (the ones not denied to it). */
  sweepRoots: string[];
  /** Longest a slot's clean-up may take before it counts as failed. */
  timeoutMs?: number;
}

export interface SlotReport {
  uid: number;
  /** Everything of the uid is gone and the slot is laid out afresh. */
  clean: boolean;
  /** Something of the uid may still exist outside the trash (a key, an IPC object, an unremovable file): retire it. */
  uidDirty: boolean;
  /** What could not be removed was moved to the trash (the slot itself is fresh). */
  movedAside: boolean;
  /** The tmpfs could not be mounted (the slot is a plain folder then). */
  mountFailed: boolean;
  /** Diagnostics for the log, e.g. `keys`, `ipc`, `home`, `sweep`, `setuid`. */
  problems: string[];
  /**
   * Asked to prove the uid had no process left (`alone`), the clean-up found one, live or not yet reaped, and did
   * nothing: the slot is as the run left it, and the caller sweeps the uid before asking again.
   */
  processesLeft: boolean;
}

/** A slot to clean; `alone`: prove first that the uid has no process left, and touch nothing otherwise (see above). */
export interface CleanRequest extends Slot {
  alone?: boolean;
}

/** The problem a clean-up that found the uid not alone reports (SlotReport.processesLeft). */
const PROCESSES_LEFT = 'processes';

const CLEAN_SCRIPT = String.raw`
use strict;
# No POSIX (its loading is most of this script's start-up): the identity switch and _exit are raw system calls, and
# File::Path is loaded only when there is something to remove.
$SIG{PIPE} = 'IGNORE';
# node-pty's PTY masters of other runs are inherited (not close-on-exec): never hand them to a child of a uid.
if (opendir(my $fdd, '/proc/self/fd')) { my @fds = grep { /^\d+$/ && $_ > 2 } readdir($fdd); closedir($fdd); syscall(NR_CLOSE, $_ + 0) for @fds; }
my ($mode, $tmpfs, $trash, $timeout, $nroots) = splice(@ARGV, 0, 5);
my @roots = splice(@ARGV, 0, $nroots);
my @subs = ('home', 'tmp', 'shm');

sub entries { my ($d) = @_; opendir(my $h, $d) or return undef; my @e = grep { $_ ne '.' && $_ ne '..' } readdir($h); closedir($h); return \@e; }

# Removes a tree the uid owns (as the uid): File::Path descends with chdir and relative names, so depth is no limit;
# folders the program made unreadable are its own, so the uid may chmod them back.
sub remove { my ($p) = @_; require File::Path; File::Path::remove_tree($p, { safe => 0, error => \my $err }); return !lstat($p); }

# Walks a shared folder for the uid's entries, descending by directory handle (fchdir) and relative names only.
my $left = 0;
sub sweep {
  my ($uid, $depth) = @_;
  my $names = entries('.') or return;
  opendir(my $here, '.') or return;
  for my $n (@$names) {
    my @st = lstat($n) or next;
    if ($st[4] == $uid || $st[5] == $uid) { $left++ unless remove($n); next; }
    next unless -d _ && ($st[2] & 1) && $depth < 2048;
    next unless chdir($n);
    my @now = lstat('.');
    sweep($uid, $depth + 1) if @now && $now[0] == $st[0] && $now[1] == $st[1];
    chdir($here) or die "fchdir back: $!";
  }
  closedir($here);
}

# Whether this process (as the uid, without capabilities) is the uid's only one: RLIMIT_NPROC (6) at 2 on itself,
# one fork. The kernel refuses it while the uid has another process or thread, live or unreaped (checked before the
# count includes the new child on old kernels, after on new ones: 2 holds both ways). Any failure counts as not alone.
sub alone {
  my $limit = pack("Q2", 2, 2);
  return 0 if syscall(NR_PRLIMIT64, 0, 6, $limit, 0) != 0;
  my $pid = fork();
  return 0 unless defined $pid;
  syscall(NR_EXIT_GROUP, 0) if $pid == 0;
  waitpid($pid, 0);
  return 1;
}

sub as_uid {
  my ($uid, $dir, $probe) = @_;
  alarm($timeout);
  my $groups = pack("L", $uid);
  syscall(NR_SETGROUPS, 1, $groups) == 0 && syscall(NR_SETRESGID, $uid + 0, $uid + 0, $uid + 0) == 0 && syscall(NR_SETRESUID, $uid + 0, $uid + 0, $uid + 0) == 0 or return 16;
  return 16 if $< != $uid || $> != $uid || $( != $uid || $) ne "$uid $uid";
  return 64 if $probe && !alone();
  my $bad = 0;
  # KEYCTL_GET_PERSISTENT (22) links the persistent keyring into @u (-4), KEYCTL_CLEAR (7) empties it, then @u and @us (-5).
  my $persistent = syscall(NR_KEYCTL, 22, -1, -4);
  syscall(NR_KEYCTL, 7, $persistent) if $persistent > 0;
  syscall(NR_KEYCTL, 7, $_) for (-4, -5);
  for my $ring (-4, -5) { my $buf = "\0" x 64; my $n = syscall(NR_KEYCTL, 11, $ring, $buf, 64); $bad |= 2 if $n > 0; }
  # System V IPC objects outlive their processes; IPC_RMID (0) is allowed to their owner and their creator.
  for my $kind (['shm', 'shmid'], ['sem', 'semid'], ['msg', 'msqid']) {
    open(my $f, '<', "/proc/sysvipc/$kind->[0]") or next;
    my @cols = split ' ', scalar(<$f>); my %at; @at{@cols} = (0 .. $#cols);
    while (my $line = <$f>) {
      my @c = split ' ', $line;
      next unless $c[$at{uid}] == $uid || $c[$at{cuid}] == $uid;
      my $id = $c[$at{$kind->[1]}];
      my $ok = $kind->[0] eq 'shm' ? shmctl($id, 0, 0) : $kind->[0] eq 'sem' ? semctl($id, 0, 0, 0) : msgctl($id, 0, 0);
      $bad |= 2 unless $ok;
    }
    close($f);
  }
  if (!$tmpfs) {
    for my $sub (@subs) {
      my $names = entries("$dir/$sub") or next;
      for my $n (@$names) { $bad |= 1 unless remove("$dir/$sub/$n"); }
    }
  }
  for my $root (@roots) {
    next unless chdir($root);
    $left = 0; sweep($uid, 0); $bad |= 4 if $left;
  }
  return $bad;
}

# What is moved aside gets a name of its own even when one process moves the same uid's slot twice in a second.
my $moves = 0;
sub clean_slot {
  my ($uid, $dir, $probe) = @_;
  my @problems;
  my $pid = fork();
  my $code = 16;
  # _exit: the parent's buffered output must not be written a second time by the child.
  if (defined $pid && $pid == 0) { my $code = as_uid($uid, $dir, $probe); syscall(NR_EXIT_GROUP, $code + 0); }
  if (defined $pid) { waitpid($pid, 0); $code = ($? & 127) ? 32 : ($? >> 8); }
  # Not alone: nothing is touched (no unmount, no layout) until the caller has swept the uid.
  return "slot $uid 0 0 0 0 PROCESSES_LEFT\n" if $code == 64;
  push @problems, 'files' if $code & 1;
  push @problems, 'keys-or-ipc' if $code & 2;
  push @problems, 'sweep' if $code & 4;
  push @problems, 'setuid' if $code & 16;
  push @problems, 'timeout' if $code & 32;
  my $dirty = ($code & (2 | 4 | 16 | 32)) ? 1 : 0;
  my $moved = 0;
  my $mountFailed = 0;
  # MNT_DETACH (2): every file of the run's tmpfs goes with it; EINVAL when nothing is mounted there.
  # Every layer, should two clean-ups ever have stacked mounts there.
  my $layers = 0;
  $layers++ while $layers < 64 && syscall(NR_UMOUNT2, $dir, 2) == 0;
  my @st = lstat($dir);
  my $reuse = @st && -d _ && $st[4] == 0 && !($code & 1);
  if ($reuse) {
    # Folders made anew (file comment); a tmpfs goes on an empty folder only.
    rmdir("$dir/$_") for @subs;
    my $e = entries($dir); $reuse = $e && !@$e;
  }
  if (@st && !$reuse) {
    if (rename($dir, "$trash/$uid." . time() . ".$$." . ++$moves)) { $moved = 1; } else { push @problems, "move: $!"; $dirty = 1; }
  }
  mkdir($dir, 0710) unless -d $dir;
  chown(0, $uid, $dir); chmod(0710, $dir);
  if ($tmpfs) {
    my ($bytes, $inodes) = split /:/, $tmpfs;
    # MS_NOSUID | MS_NODEV; the tmpfs root gets the slot's own owner and mode.
    # perl's syscall() may write into string arguments, so each is a variable, not a literal.
    my ($src, $type, $opts) = ('tmpfs', 'tmpfs', "size=$bytes,nr_inodes=$inodes,mode=0710,uid=0,gid=$uid");
    if (syscall(NR_MOUNT, $src, $dir, $type, 6, $opts) != 0) { $mountFailed = 1; push @problems, "mount: $!"; }
  }
  for my $sub (@subs) {
    my $p = "$dir/$sub";
    mkdir($p, 0700) unless -d $p && !-l $p;
    chown($uid, $uid, $p); chmod(0700, $p);
    my @s = lstat($p); my $e = entries($p);
    if (!@s || !-d _ || $s[4] != $uid || !$e || @$e) { push @problems, "layout $sub"; $dirty = 1; }
  }
  my $clean = (!$dirty && !$moved && !$mountFailed) ? 1 : 0;
  return "slot $uid $clean $dirty $moved $mountFailed " . join(',', @problems) . "\n";
}

# A request: "<alone|any> <uid> <dir>" (alone: prove first that the uid has no process left).
sub request {
  my ($probe, $uid, $dir) = @_;
  return "bad request\n" unless defined $dir && $probe =~ /^(alone|any)$/ && $uid =~ /^\d+$/ && $dir =~ m{^/};
  return clean_slot($uid, $dir, $probe eq 'alone');
}

# once: the requests given after the options (three arguments each), then exit. serve (slotCleanerProcess.ts): one
# request line at a time on stdin, each answered by its report line at once, until stdin ends.
if ($mode eq 'serve') {
  $| = 1;
  while (defined(my $line = <STDIN>)) {
    chomp $line;
    print request(split(/ /, $line, 3));
  }
  exit 0;
}
while (@ARGV) { print request(splice(@ARGV, 0, 3)); }
`
  .replace(/NR_CLOSE/g, String(syscallNumber('close')))
  .replace(/NR_KEYCTL/g, String(syscallNumber('keyctl')))
  .replace(/NR_UMOUNT2/g, String(syscallNumber('umount2')))
  .replace(/NR_MOUNT/g, String(syscallNumber('mount')))
  .replace(/NR_SETGROUPS/g, String(syscallNumber('setgroups')))
  .replace(/NR_SETRESGID/g, String(syscallNumber('setresgid')))
  .replace(/NR_SETRESUID/g, String(syscallNumber('setresuid')))
  .replace(/NR_EXIT_GROUP/g, String(syscallNumber('exit_group')))
  .replace(/NR_PRLIMIT64/g, String(syscallNumber('prlimit64')))
  .replace(/PROCESSES_LEFT/g, PROCESSES_LEFT);

/** Seconds each slot's clean-up may take (its alarm in the child that is the uid). */
export function cleanTimeoutSeconds(options: Pick<SlotCleanOptions, 'timeoutMs'>): number {
  return Math.ceil((options.timeoutMs ?? 120_000) / 1000);
}

/** One request to the clean-up (its arguments in `once` mode, its line's words in `serve` mode). */
export function cleanRequestWords({ uid, dir, alone }: CleanRequest): string[] {
  return [alone ? 'alone' : 'any', String(uid), dir];
}

/** The clean-up's perl arguments: `once` with the slots to clean, or `serve` (slotCleanerProcess.ts) with none. */
export function cleanerArgs(mode: 'once' | 'serve', options: SlotCleanOptions, slots: CleanRequest[] = []): string[] {
  const tmpfs = options.tmpfs ? `${Math.floor(options.tmpfs.bytes)}:${Math.floor(options.tmpfs.inodes)}` : '';
  return [
    '-e', CLEAN_SCRIPT, '--',
    mode, tmpfs, options.trash, String(cleanTimeoutSeconds(options)), String(options.sweepRoots.length), ...options.sweepRoots,
    ...slots.flatMap(cleanRequestWords),
  ];
}

/** How the clean-up is started: as root, in `/`, with an environment of its own. */
export const CLEANER_SPAWN = { cwd: '/', env: { PATH: '/usr/bin:/bin', LANG: 'C' } } as const;

/** One report line of the clean-up, or null for anything else. */
export function parseSlotReport(line: string): SlotReport | null {
  const m = /^slot (\d+) ([01]) ([01]) ([01]) ([01]) ?(.*)$/.exec(line);
  if (!m) return null;
  const problems = m[6] ? m[6].split(',') : [];
  return { uid: Number(m[1]), clean: m[2] === '1', uidDirty: m[3] === '1', movedAside: m[4] === '1', mountFailed: m[5] === '1', problems, processesLeft: problems.includes(PROCESSES_LEFT) };
}

/** The report of a slot whose clean-up could not be done or proved: the uid is retired. */
export function failedSlot(uid: number, why: string): SlotReport {
  return { uid, clean: false, uidDirty: true, movedAside: false, mountFailed: false, problems: [why], processesLeft: false };
}

/** Cleans `slots` (see the file comment) with a perl process of their own; never rejects: a slot whose clean-up failed reports it. */
export function cleanSlots(slots: CleanRequest[], options: SlotCleanOptions): Promise<SlotReport[]> {
  if (slots.length === 0) return Promise.resolve([]);
  const timeoutSeconds = cleanTimeoutSeconds(options);
  const args = cleanerArgs('once', options, slots);
  return new Promise((resolve) => {
    const child = spawn(options.perl, args, { stdio: ['ignore', 'pipe', 'pipe'], ...CLEANER_SPAWN, env: { ...CLEANER_SPAWN.env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    // Each slot has its own alarm; this bounds the whole call should perl itself hang.
    const guard = setTimeout(() => child.kill('SIGKILL'), (timeoutSeconds + 10) * 1000 * slots.length);
    child.on('error', (e) => {
      clearTimeout(guard);
      resolve(slots.map(({ uid }) => failedSlot(uid, `perl: ${e.message}`)));
    });
    child.on('close', () => {
      clearTimeout(guard);
      const byUid = new Map<number, SlotReport>();
      for (const line of out.split('\n')) {
        const report = parseSlotReport(line);
        if (report) byUid.set(report.uid, report);
      }
      const why = err.trim().slice(0, 300) || 'no report';
      resolve(slots.map(({ uid }) => byUid.get(uid) ?? failedSlot(uid, why)));
    });
  });
}
