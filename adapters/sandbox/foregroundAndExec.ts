import { chainLink, EXEC_ARGV } from '../process/spawnPrelude';

/**
 * The last perl step before a sandboxed program (a perl link, for the reasons given in process/spawnPrelude.ts: it
 * runs in the run head's child, with bwrap or without). Makes a new process group the terminal's foreground group,
 * then execs `@ARGV`: the program, or bwrap, whose monitor and pid-1 then share the group with the program (an exec
 * of perl inside bwrap, where it ran before, cost 2–4 ms of CPU before the first byte; commandChain.ts says why the
 * monitor may be in it). The run head stays in the first group, so Ctrl-C and Ctrl-\ never reach it, as in a local
 * terminal. `TIOCSPGRP` = 0x5410.
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
