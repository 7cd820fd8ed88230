/**
 * Linux system call numbers for the few calls the perl helpers make with `syscall()` (perl-base has no module for
 * them), by Node's `process.arch`. x64 and arm64 are what FC and CI run; the others are best effort.
 */
const TABLE = {
  close: { x64: 3, arm64: 57, ia32: 6, arm: 6 },
  prctl: { x64: 157, arm64: 167, ia32: 172, arm: 172 },
  mount: { x64: 165, arm64: 40, ia32: 21, arm: 21 },
  umount2: { x64: 166, arm64: 39, ia32: 52, arm: 52 },
  unshare: { x64: 272, arm64: 97, ia32: 310, arm: 337 },
  setxattr: { x64: 188, arm64: 5, ia32: 226, arm: 226 },
  getxattr: { x64: 191, arm64: 8, ia32: 229, arm: 229 },
  keyctl: { x64: 250, arm64: 219, ia32: 288, arm: 311 },
  add_key: { x64: 248, arm64: 217, ia32: 286, arm: 309 },
  request_key: { x64: 249, arm64: 218, ia32: 287, arm: 310 },
  // The run head's seccomp filter refuses AF_VSOCK sockets (sandbox/runHead.ts).
  socket: { x64: 41, arm64: 198, ia32: 359, arm: 281 },
  // And io_uring, whose operations would make system calls past that filter (generic numbers everywhere).
  io_uring_setup: { x64: 425, arm64: 425, ia32: 425, arm: 425 },
  io_uring_enter: { x64: 426, arm64: 426, ia32: 426, arm: 426 },
  io_uring_register: { x64: 427, arm64: 427, ia32: 427, arm: 427 },
  getrusage: { x64: 98, arm64: 165, ia32: 77, arm: 77 },
  clock_gettime: { x64: 228, arm64: 113, ia32: 265, arm: 263 },
  // The identity switch (spawnPrelude.ts) and the run head's rlimits (sandbox/runHead.ts); the 32-bit ids' calls on ia32/arm.
  setgroups: { x64: 116, arm64: 159, ia32: 206, arm: 206 },
  setresuid: { x64: 117, arm64: 147, ia32: 208, arm: 208 },
  getresuid: { x64: 118, arm64: 148, ia32: 209, arm: 209 },
  setresgid: { x64: 119, arm64: 149, ia32: 210, arm: 210 },
  getresgid: { x64: 120, arm64: 150, ia32: 211, arm: 211 },
  capset: { x64: 126, arm64: 91, ia32: 185, arm: 185 },
  prlimit64: { x64: 302, arm64: 261, ia32: 340, arm: 369 },
  exit_group: { x64: 231, arm64: 94, ia32: 252, arm: 248 },
  // The run head's Landlock domain in uid isolation (sandbox/runHead.ts); generic numbers on arm64.
  landlock_create_ruleset: { x64: 444, arm64: 444, ia32: 444, arm: 444 },
  landlock_add_rule: { x64: 445, arm64: 445, ia32: 445, arm: 445 },
  landlock_restrict_self: { x64: 446, arm64: 446, ia32: 446, arm: 446 },
  // A held prelude's FIFO (spawnPrelude.ts HOLD).
  mknodat: { x64: 259, arm64: 33, ia32: 297, arm: 324 },
} as const;

/** Linux's resource numbers for setrlimit/prlimit64 (the same on every architecture in TABLE). */
export const RLIMIT = { cpu: 0, fsize: 1, core: 4, nproc: 6, nofile: 7, as: 9, msgqueue: 12 } as const;

/** `AUDIT_ARCH_*` of the architecture, as seccomp reports it in `seccomp_data.arch`. */
export const AUDIT_ARCH: number = ({ x64: 0xc000003e, arm64: 0xc00000b7, ia32: 0x40000003, arm: 0x40000028 } as Record<string, number>)[process.arch] ?? 0xc000003e;

export type SyscallName = keyof typeof TABLE;

/** The number of `name` on this machine's architecture (x64's when the architecture is not in the table). */
export function syscallNumber(name: SyscallName): number {
  const row = TABLE[name] as Record<string, number>;
  return row[process.arch] ?? row.x64;
}
