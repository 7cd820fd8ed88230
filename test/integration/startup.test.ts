/**
 * A start that cannot work stops at once and says why, before anything is made: the executor bundle and the local
 * platform (`node dist/local/index.js`) with a bad variable name it and what it may be; started as a user other
 * than root, both say they must run as root instead of failing on some folder later.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../support/platform';

const NOBODY = 65534;
const MESSAGE = 'ISOLATION: expected one of auto, bwrap, uid, got "bwarp"';

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-startup-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Runs a bundle's index.js to its end; `asUid` starts it through setpriv, without root's groups. */
function start(bundle: string, env: Record<string, string>, asUid?: number): { status: number | null; stdout: string; stderr: string } {
  const entry = path.join(bundle, 'index.js');
  const [command, args] =
    asUid === undefined ? [process.execPath, [entry]] : ['setpriv', [`--reuid=${asUid}`, `--regid=${asUid}`, '--clear-groups', process.execPath, entry]];
  const run = spawnSync(command, args, { cwd: bundle, env: { PATH: '/usr/bin:/bin', PORT: '0', ...env }, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The executor's `startup_failed` log line. */
function startupError(stdout: string): string {
  const line = stdout.split('\n').find((l) => l.includes('"startup_failed"'));
  if (!line) throw new Error(`no startup_failed line in ${JSON.stringify(stdout)}`);
  return (JSON.parse(line) as { error: string }).error;
}

describe('an invalid value stops the start, naming the variable and the allowed values', () => {
  test('the executor bundle', () => {
    const workRoot = path.join(scratch, 'work');
    const { status, stdout } = start(path.join(ROOT, 'dist/executor'), { STORE: 'fs', DATA_DIR: scratch, WORK_ROOT: workRoot, ISOLATION: 'bwarp' });
    expect(status).toBe(1);
    expect(startupError(stdout)).toBe(MESSAGE);
    // Nothing was started: no sandbox made its work root.
    expect(fs.existsSync(workRoot)).toBe(false);
  });

  test('the local platform', () => {
    const dataDir = path.join(scratch, 'data');
    const { status, stdout, stderr } = start(path.join(ROOT, 'dist/local'), { DATA_DIR: dataDir, WORK_ROOT: path.join(scratch, 'work'), ISOLATION: 'bwarp' });
    expect(status).toBe(1);
    expect(stderr.trim()).toBe(`pocketrun: ${MESSAGE}`);
    expect(stdout).toBe('');
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  test('every bad value at once, the handlers\' too', () => {
    const { status, stderr } = start(path.join(ROOT, 'dist/local'), { DATA_DIR: path.join(scratch, 'data'), ISOLATION: 'bwarp', EXECUTORS: 'two', RUN_TIMEOUT_MAX_MS: 'soon', SANDBOX_MOUNTS: 'on' });
    expect(status).toBe(1);
    expect(stderr).toContain(`  ${MESSAGE}\n`);
    expect(stderr).toContain('  EXECUTORS: expected an integer >= 1, got "two"\n');
    expect(stderr).toContain('  RUN_TIMEOUT_MAX_MS: expected an integer >= 100, got "soon"\n');
    expect(stderr).toContain('  SANDBOX_MOUNTS: expected "auto" or "off", got "on"\n');
  });
});

describe('started as an unprivileged user, it says it must run as root', () => {
  /** A copy of a bundle that uid NOBODY can read, wherever the checkout is. */
  function readableCopy(name: string): string {
    const copy = path.join(scratch, name);
    fs.cpSync(path.join(ROOT, 'dist', name), copy, { recursive: true });
    fs.chmodSync(scratch, 0o755);
    return copy;
  }

  test('the local platform', () => {
    const dataDir = path.join(scratch, 'data');
    const { status, stderr } = start(readableCopy('local'), { DATA_DIR: dataDir, WORK_ROOT: path.join(scratch, 'work') }, NOBODY);
    expect(status).toBe(1);
    expect(stderr.trim()).toMatch(/^pocketrun: the local platform must run as root \(started as uid 65534\): it runs every program as an unprivileged sandbox uid/);
    expect(stderr).not.toContain('EACCES');
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  test('the executor', () => {
    const { status, stdout } = start(readableCopy('executor'), { STORE: 'fs', DATA_DIR: path.join(scratch, 'data'), WORK_ROOT: path.join(scratch, 'work') }, NOBODY);
    expect(status).toBe(1);
    expect(startupError(stdout)).toMatch(/^the executor must run as root \(started as uid 65534\)/);
  });
});
