/**
 * Keeps sandbox uids out of the host's shared writable folders (`/tmp`, `/var/tmp`, `/dev/shm`, `/run/lock`, …)
 * altogether, where the host allows it, so that no run can leave anything there for the next one and nothing
 * needs sweeping (a sweep an attacker can slow with a million files).
 *
 * How: every sandboxed process carries one supplementary group, `denyGid`, and each shared folder gets a POSIX ACL
 * entry `group:<denyGid>:--x`. The kernel checks named group entries before "other" and stops there, so the
 * program may still traverse the folder (its own slot may live below `/tmp`) but may neither list it nor create
 * anything in it; it cannot drop the group (no CAP_SETGID). Root owns these folders, so no capability beyond
 * owning them is needed (FC's root can do it), only a filesystem with ACLs. Programs get their own `TMPDIR`.
 *
 * The ACL is written with `setxattr(system.posix_acl_access)` from perl (no `setfacl` on FC's image), keeping any
 * entries already there, and then proved: a probe running as a sandbox uid with that group must fail to create a
 * file in each folder. Folders where the proof fails are reported and swept after every run instead.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Tools } from '../process/systemTools';
import { syscallNumber } from '../process/syscallNumbers';
import { runAsUid } from './runAsUid';

/** The host folders every user may write to. */
export const SHARED_WRITABLE_FOLDERS = ['/tmp', '/var/tmp', '/dev/shm', '/dev/mqueue', '/run/lock'];

/**
 * Adds (or replaces) the named-group entry `g:<gid>:--x` in each folder's access ACL; ACL tags and layout as in
 * the kernel's posix_acl_xattr (version 2, then {u16 tag, u16 perm, u32 id} sorted by tag and id). The mask
 * becomes the union of the group class, so nothing any other entry granted is taken away.
 */
const SET_ACL_SCRIPT = String.raw`
use strict;
my $gid = shift(@ARGV);
# perl's syscall() may write into string arguments, so the name is a variable, not a literal.
my $name = 'system.posix_acl_access';
for my $dir (@ARGV) {
  my @st = lstat($dir);
  if (!@st || !-d _) { print "fail $dir not-a-folder\n"; next; }
  my $buf = "\0" x 65536;
  my $n = syscall(NR_GETXATTR, $dir, $name, $buf, 65536);
  my @e;
  if ($n > 4) {
    my @v = unpack('V' . ('vvV' x (($n - 4) / 8)), substr($buf, 0, $n));
    shift @v;
    while (@v) { push @e, [splice(@v, 0, 3)]; }
  } else {
    my $m = $st[2];
    @e = ([1, ($m >> 6) & 7, 0xFFFFFFFF], [4, ($m >> 3) & 7, 0xFFFFFFFF], [0x20, $m & 7, 0xFFFFFFFF]);
  }
  @e = grep { !($_->[0] == 8 && $_->[2] == $gid) && $_->[0] != 0x10 } @e;
  push @e, [8, 1, $gid];
  my $mask = 0;
  $mask |= $_->[1] for grep { $_->[0] == 2 || $_->[0] == 4 || $_->[0] == 8 } @e;
  push @e, [0x10, $mask, 0xFFFFFFFF];
  @e = sort { $a->[0] <=> $b->[0] || $a->[2] <=> $b->[2] } @e;
  my $acl = pack('V', 2) . join('', map { pack('vvV', @$_) } @e);
  if (syscall(NR_SETXATTR, $dir, $name, $acl, length($acl), 0) == 0) { print "ok $dir\n"; }
  else { my $why = $! + 0; print "fail $dir errno-$why\n"; }
}
`
  .replace(/NR_GETXATTR/g, String(syscallNumber('getxattr')))
  .replace(/NR_SETXATTR/g, String(syscallNumber('setxattr')));

/** As the sandbox identity: tries to create an entry in each folder and prints the ones where it could. */
const PROBE_SCRIPT = String.raw`
for my $dir (@ARGV) {
  my $p = "$dir/.pocketrun-guard-probe-$$";
  if (mkdir($p, 0700)) { rmdir($p); print "open $dir\n"; }
}
`;

export interface GuardResult {
  denied: string[];
  swept: string[];
}

/**
 * The folders to guard: the known roots that exist, plus world-writable folders directly below them (a program
 * could otherwise still create files in, say, `/tmp/.X11-unix`). `skip` (the work root) is never touched.
 */
export function sharedFolders(roots: string[] = SHARED_WRITABLE_FOLDERS, skip: string[] = []): string[] {
  const skipped = new Set(skip.map((p) => path.resolve(p)));
  const found: string[] = [];
  const seen = new Set<string>();
  for (const root of roots) {
    let real: string;
    try {
      real = fs.realpathSync(root);
      if (!fs.statSync(real).isDirectory()) continue;
    } catch {
      continue;
    }
    if (seen.has(real) || skipped.has(real)) continue;
    seen.add(real);
    found.push(real);
    let names: string[] = [];
    try {
      names = fs.readdirSync(real);
    } catch {
      continue;
    }
    for (const name of names) {
      const full = path.join(real, name);
      try {
        const st = fs.lstatSync(full);
        if (st.isDirectory() && (st.mode & 0o002) !== 0 && !skipped.has(full) && !seen.has(full)) {
          seen.add(full);
          found.push(full);
        }
      } catch {
        // gone
      }
    }
  }
  return found;
}

/**
 * Denies `denyGid` in every folder of `folders`, then proves it as `probeUid` (a sandbox uid with no process).
 * Folders the proof does not hold for come back in `swept`.
 */
export function guardSharedFolders(tools: Pick<Tools, 'perl'>, folders: string[], denyGid: number, probeUid: number): GuardResult {
  if (folders.length === 0) return { denied: [], swept: [] };
  spawnSync(tools.perl, ['-e', SET_ACL_SCRIPT, '--', String(denyGid), ...folders], { stdio: 'ignore', timeout: 10_000 });
  const probe = runAsUid(tools, probeUid, probeUid, [tools.perl, '-e', PROBE_SCRIPT, '--', ...folders], {
    groups: [denyGid],
    env: { PATH: '/usr/bin:/bin', LANG: 'C' },
  });
  if (probe.status !== 0) return { denied: [], swept: folders };
  const open = new Set(probe.stdout.split('\n').filter((l) => l.startsWith('open ')).map((l) => l.slice(5)));
  return { denied: folders.filter((f) => !open.has(f)), swept: folders.filter((f) => open.has(f)) };
}
