/**
 * The function bundles, which FC loads at every cold start, stay small, leave out the modules they never load
 * (NOT_BUNDLED in scripts/bundles.js), and still name the TypeScript source in a stack trace, through the map beside
 * them, once copied away from the repository as FC gets them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../support/platform';

/**
 * A little above their minified sizes when the budget was set (api 462 KB, executor 482 KB): +15%. The api's was
 * raised by 15 KB for Piston's WebSocket (its handler, ~5 KB, and the frames reader; the `ws` library itself is
 * shipped beside index.js, scripts/bundles.js). The executor's was raised by 20 KB for the speed issue's executor
 * side (split output, busy time, signals, the per-language runtime probe and its report, the start timeline), whose
 * cold start is measured (`npm run bench`: instance start → ready) rather than guessed from bytes; and by 5 KB for
 * the held preludes (adapters/process/spawnPrelude.ts: the held prelude's perl and the two spawners' holding), which
 * take 12 ms from each judge command and 3–4 ms from each interactive run; and by 5 KB for uid isolation's Landlock
 * domain (adapters/sandbox/runHead.ts LANDLOCK, ~2.5 KB of the run head's perl), which keeps programs from writing
 * anywhere on the host but their own slot; and by 1 KB (585,088 bytes after it) for the run head's refusal of io_uring,
 * whose operations had made the vsock socket its seccomp filter refuses. The api's was raised by 5 KB (545,448 bytes after them) for the
 * refusal of bodies that are not UTF-8 (naming the offset, in each API's shape), Judge0's exact bytes of output
 * that is not UTF-8 and its refusal without base64_encoded, and the WebSocket session's end before FC's cut.
 */
const BUDGET_BYTES: Record<string, number> = { api: 550_000, executor: 586_000 };
/** NOT_BUNDLED, and what only they pull in. */
const LEFT_OUT = /node_modules\/(iconv-lite|safer-buffer|mz|mkdirp|graceful-fs|thenify|thenify-all)\//;

const bundleFile = (name: string, file: string) => path.join(ROOT, 'dist', name, file);

test.each(Object.entries(BUDGET_BYTES))('the %s bundle stays within its budget of %d bytes', (name, budget) => {
  expect(fs.statSync(bundleFile(name, 'index.js')).size).toBeLessThanOrEqual(budget);
});

test.each(Object.keys(BUDGET_BYTES))('the %s bundle links its map and leaves out NOT_BUNDLED', (name) => {
  expect(fs.readFileSync(bundleFile(name, 'index.js'), 'utf8')).toMatch(/\n\/\/# sourceMappingURL=index\.js\.map\n$/);
  const { sources } = JSON.parse(fs.readFileSync(bundleFile(name, 'index.js.map'), 'utf8')) as { sources: string[] };
  expect(sources).toContain('../../core/protocol.ts');
  expect(sources).toContain('../../scripts/notBundled.js');
  expect(sources.filter((s) => LEFT_OUT.test(s))).toEqual([]);
});

/** Starts a copy of the API bundle with a storage setting it refuses: an uncaught error at startup. */
function crashCopy(withMap: boolean): { status: number | null; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-crash-'));
  try {
    fs.cpSync(path.join(ROOT, 'dist', 'api'), dir, { recursive: true });
    if (!withMap) fs.rmSync(path.join(dir, 'index.js.map'));
    const run = spawnSync(process.execPath, ['index.js'], { cwd: dir, env: { PATH: '/usr/bin:/bin', STORE: 'tape' }, encoding: 'utf8', timeout: 20_000 });
    return { status: run.status, stderr: run.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a crash of the minified bundle names the TypeScript functions and lines, in a few lines', () => {
  const { status, stderr } = crashCopy(true);
  expect(status).toBe(1);
  expect(stderr).toContain('STORE: expected "oss" or "fs", got "tape"');
  expect(stderr).toMatch(/\n {4}at bucketsFromEnv \(\S*\/handlers\/stores\.ts:\d+:\d+\)\n {4}at main \(\S*\/handlers\/api\.ts:\d+:\d+\)\n/);
  // Node also prints the bundle's line the error came from: one short line, not kilobytes of minified code.
  expect(stderr.length).toBeLessThan(4_000);
});

test('without its map the bundle still runs and reports plain frames', () => {
  const { status, stderr } = crashCopy(false);
  expect(status).toBe(1);
  expect(stderr).toContain('STORE: expected "oss" or "fs", got "tape"');
  expect(stderr).toMatch(/\n {4}at \S+ \(\S*\/index\.js:\d+:\d+\)\n/);
});
