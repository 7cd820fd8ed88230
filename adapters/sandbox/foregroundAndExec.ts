import { chainLink, EXEC_ARGV } from '../process/spawnPrelude';

/**
 * The last wrapper before a sandboxed program (a perl link, for the reasons given in process/spawnPrelude.ts: without
 * bwrap it runs in the run head's child; under bwrap, which must exec something, it is the one exec before the program).
 * Makes the program the terminal's foreground process group, then execs `@ARGV`. The wrappers above it (the
 * run head; bwrap's monitor) stay in the first group, so Ctrl-C and Ctrl-\ reach the program alone, as in a
 * local terminal; otherwise bwrap's monitor would die of SIGINT and take a program that handles it along
 * (bubblewrap issue #369). Inside bwrap's pid namespace the current foreground group is invisible
 * (`tcgetpgrp` returns 0), which is why `bash -m` cannot do this job. `TIOCSPGRP` = 0x5410.
 * Ctrl-Z is ignored (SIGTSTP set to ignore; a program may still handle it): there is no shell to resume a
 * stopped program, which would otherwise hang until the run's timeout. The umask is 077.
 */
export const FOREGROUND_AND_EXEC = chainLink([
  '$SIG{TTOU} = "IGNORE";',
  'if (-t STDIN) { setpgrp(0, 0); ioctl(STDIN, 0x5410, pack("i", getpgrp())); }',
  '$SIG{TTOU} = "DEFAULT";',
  '$SIG{TSTP} = "IGNORE";',
  // Files the program creates are private to its uid: without bwrap /tmp is shared with concurrent runs.
  'umask 077;',
  EXEC_ARGV,
].join(' '));
