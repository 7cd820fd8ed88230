/**
 * The sandbox's command chain holds no identity switch of its own: the spawner's prelude makes the only one, so a
 * sandboxed command must never reach a spawner without the identity it is to run as. The type of a sandbox's spawn
 * request makes that a compile error (`tsc` checks the `@ts-expect-error` lines below); sandbox.test.ts shows that
 * a chain started as root anyway refuses to run the program.
 */
import type { PreparedSandbox, SandboxedSpawnRequest, SpawnRequest } from '../../core/ports';
import { commandChain, type Rlimits } from '../../adapters/sandbox/commandChain';

const tools = { perl: '/usr/bin/perl', prlimit: '/usr/bin/prlimit' };
const rlimits: Rlimits = { cpuSeconds: 7, memoryBytes: 1 << 28, processes: 20, fileBytes: 1_000_000, openFiles: 77 };
const command = ['/usr/bin/python3', 'main.py'];

describe('commandChain', () => {
  test('prlimit first, then the run head, then the foreground helper and the command; no identity switch', () => {
    const chain = commandChain({ tools, rlimits, bwrap: null, command });
    expect(chain.slice(0, 10)).toEqual([
      '/usr/bin/prlimit', '--cpu=7:8', `--as=${1 << 28}`, '--nproc=21', '--fsize=1000000', '--nofile=77', '--core=0', '--msgqueue=0', '--', '/usr/bin/perl',
    ]);
    expect(chain.slice(-2)).toEqual(command);
    expect(chain.filter((a) => a === '/usr/bin/perl')).toHaveLength(2);
    expect(chain.filter((a) => /setpriv|--reuid|--regid|--groups|groups$/.test(a))).toEqual([]);
  });

  test('with bwrap, its arguments stand between the run head (told so) and the foreground helper; its processes count', () => {
    const bwrap = ['/usr/bin/bwrap', '--unshare-pid', '--'];
    const chain = commandChain({ tools, rlimits, bwrap, command });
    expect(chain).toContain('--nproc=23');
    const head = chain.indexOf('/usr/bin/perl');
    expect(chain.slice(head + 3, head + 6 + bwrap.length)).toEqual(['--', '1', ...bwrap, '/usr/bin/perl']);
    expect(commandChain({ tools, rlimits, bwrap: null, command })[head + 4]).toBe('0');
  });

  test('a sandbox’s spawn request cannot leave out the identity (a compile error, checked by tsc)', () => {
    const bare: SpawnRequest = { file: '/usr/bin/prlimit', args: [], cwd: '/', env: {}, cols: 80, rows: 24 };
    // @ts-expect-error uid, gid and groups are required
    const sandboxed: SandboxedSpawnRequest = bare;
    // @ts-expect-error a prepared sandbox hands over a SandboxedSpawnRequest
    const prepared: Pick<PreparedSandbox, 'spawn'> = { spawn: { ...bare, gid: 1000, groups: [] } };
    expect([sandboxed, prepared]).toHaveLength(2);
  });
});
