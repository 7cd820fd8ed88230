/**
 * The sandbox's command chain holds no identity switch of its own: the spawner's prelude makes the only one, so a
 * sandboxed command must never reach a spawner without the identity it is to run as. The type of a sandbox's spawn
 * request makes that a compile error (`tsc` checks the `@ts-expect-error` lines below); sandbox.test.ts shows that
 * a chain started as root anyway refuses to run the program, and that the rlimits hold in a real program.
 */
import type { PreparedSandbox, SandboxedSpawnRequest, SpawnRequest } from '../../core/ports';
import { commandChain, type Rlimits } from '../../adapters/sandbox/commandChain';
import { FOREGROUND_AND_EXEC } from '../../adapters/sandbox/foregroundAndExec';
import { RUN_HEAD } from '../../adapters/sandbox/runHead';

const tools = { perl: '/usr/bin/perl' };
const rlimits: Rlimits = { cpuSeconds: 7, memoryBytes: 1 << 28, processes: 20, fileBytes: 1_000_000, openFiles: 77 };
const command = ['/usr/bin/python3', 'main.py'];

describe('commandChain', () => {
  test('the run head (which sets the rlimits) first, then the foreground helper and the command; no other tool, no identity switch', () => {
    const chain = commandChain({ tools, rlimits, bwrap: null, command });
    expect(chain).toEqual([
      '/usr/bin/perl', '-e', RUN_HEAD, '--', `--rlimits=0:7:8,9:${1 << 28}:${1 << 28},6:21:21,1:1000000:1000000,7:77:77,4:0:0,12:0:0`, '0',
      '/usr/bin/perl', '-e', FOREGROUND_AND_EXEC, '--', ...command,
    ]);
    expect(chain.filter((a) => /setpriv|prlimit|--reuid|--regid|--groups|groups$|^--as=/.test(a))).toEqual([]);
  });

  test('no address-space limit where a memory cgroup holds the program; the usage descriptor comes first', () => {
    const chain = commandChain({ tools, rlimits: { ...rlimits, memoryBytes: Infinity }, bwrap: null, command, usageFd: 3 });
    expect(chain.slice(3, 6)).toEqual(['--', '--usage-fd=3', '--rlimits=0:7:8,9:inf:inf,6:21:21,1:1000000:1000000,7:77:77,4:0:0,12:0:0']);
  });

  test('with bwrap, the run head is told which chain follows (2 on a terminal, 1 on pipes); its processes count', () => {
    const bwrap = ['/usr/bin/bwrap', '--unshare-pid', '--'];
    const chain = commandChain({ tools, rlimits, bwrap, command });
    expect(chain[4]).toContain(',6:23:23,');
    expect(chain[5]).toBe('2');
    expect(commandChain({ tools, rlimits, bwrap, command, terminal: false })[5]).toBe('1');
    expect(commandChain({ tools, rlimits, bwrap: null, command })[5]).toBe('0');
  });

  test('the foreground helper is a link before bwrap on a terminal (no exec inside it), absent on pipes under bwrap, a link without bwrap', () => {
    const bwrap = ['/usr/bin/bwrap', '--unshare-pid', '--'];
    const helper = ['/usr/bin/perl', '-e', FOREGROUND_AND_EXEC, '--'];
    const cases = [
      { bwrap, terminal: false, after: [...bwrap, ...command] },
      { bwrap, terminal: true, after: [...helper, ...bwrap, ...command] },
      { bwrap: null, terminal: false, after: [...helper, ...command] },
      { bwrap: null, terminal: true, after: [...helper, ...command] },
    ];
    for (const c of cases) {
      const chain = commandChain({ tools, rlimits, bwrap: c.bwrap, command, terminal: c.terminal });
      expect(chain.slice(6)).toEqual(c.after);
    }
  });

  test('every perl step is a link the prelude runs in its own process (spawnPrelude.ts chainLink)', () => {
    for (const link of [RUN_HEAD, FOREGROUND_AND_EXEC]) expect(link.startsWith('#pocketrun-link\n')).toBe(true);
  });

  test('a limit that is not a whole number is refused before anything runs', () => {
    expect(() => commandChain({ tools, rlimits: { ...rlimits, openFiles: 1.5 }, bwrap: null, command })).toThrow(/rlimit/);
  });

  test('a sandbox’s spawn request cannot leave out the identity (a compile error, checked by tsc)', () => {
    const bare: SpawnRequest = { file: '/usr/bin/perl', args: [], cwd: '/', env: {}, cols: 80, rows: 24 };
    // @ts-expect-error uid, gid and groups are required
    const sandboxed: SandboxedSpawnRequest = bare;
    // @ts-expect-error a prepared sandbox hands over a SandboxedSpawnRequest
    const prepared: Pick<PreparedSandbox, 'spawn'> = { spawn: { ...bare, gid: 1000, groups: [] } };
    expect([sandboxed, prepared]).toHaveLength(2);
  });
});
