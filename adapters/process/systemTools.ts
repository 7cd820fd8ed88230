/**
 * Where the system tools live: util-linux's setpriv and prlimit, perl-base, bash.
 */
import * as fs from 'fs';

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
