/**
 * The tiny programs that run between a fork and the user's program, and where the system tools live.
 *
 * They are perl one-liners because perl-base is Essential on Debian (present on FC's debian10 image and on
 * any Debian/Ubuntu host), starts in a few milliseconds, changes nothing in the environment (bash would add
 * `SHLVL`/`PWD`) and can make raw system calls. Both end in `exec`, so they cost no process.
 */
import * as fs from 'fs';

/** `close(2)` by architecture, for `syscall()` in perl. */
const NR_CLOSE: Record<string, number> = { x64: 3, arm64: 57, ia32: 6, arm: 6 };

/**
 * Closes every file descriptor above 2, then execs `@ARGV`. node-pty's master descriptors are not
 * close-on-exec, so without this every program would inherit the PTY masters of every other live run (and
 * whatever the host runtime leaked into the executor), and could read or type into other users' terminals.
 */
export const CLOSE_FDS_AND_EXEC = [
  'opendir(my $d, "/proc/self/fd") or die "pocketrun: /proc/self/fd: $!\\n";',
  'my @fds = grep { /^\\d+$/ && $_ > 2 } readdir($d);',
  'closedir($d);',
  `syscall(${NR_CLOSE[process.arch] ?? 3}, $_ + 0) for @fds;`,
  'exec { $ARGV[0] } @ARGV;',
  'print STDERR "pocketrun: cannot run $ARGV[0]: $!\\n";',
  'exit 127;',
].join(' ');

/**
 * Makes the program the terminal's foreground process group, then execs `@ARGV`. Run inside bwrap: bwrap's
 * outer (monitor) process is otherwise in the foreground group, so Ctrl-C would kill bwrap and with it a
 * program that handles SIGINT (bubblewrap issue #369). Inside the pid namespace the current foreground group
 * is invisible (`tcgetpgrp` returns 0), which is why `bash -m` cannot do this job. `TIOCSPGRP` = 0x5410.
 */
export const FOREGROUND_AND_EXEC = [
  '$SIG{TTOU} = "IGNORE";',
  'if (-t STDIN) { setpgrp(0, 0); ioctl(STDIN, 0x5410, pack("i", getpgrp())); }',
  '$SIG{TTOU} = "DEFAULT";',
  'exec { $ARGV[0] } @ARGV;',
  'print STDERR "pocketrun: cannot run $ARGV[0]: $!\\n";',
  'exit 127;',
].join(' ');

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

/** Arguments of `setpriv` that switch a root process to `uid:gid` with no supplementary group and no way back. */
export function dropPrivilegeArgs(uid: number, gid: number): string[] {
  return [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--inh-caps=-all', '--no-new-privs'];
}
