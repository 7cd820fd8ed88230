/**
 * The sandbox's /etc under bwrap is one read-only bind of a view copied once per host (bwrap.ts hostEtcView),
 * which must show exactly what the former bind per entry showed a sandbox uid: the listed entries only, top-level
 * symlinks followed, symlinks inside kept, nothing others may not read, and the synthetic passwd/group.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BwrapProfile, hostEtcView, writeEtcView } from '../../adapters/sandbox/bwrap';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pocketrun-etc-view-'));
  const etc = path.join(dir, 'etc');
  const file = (rel: string, content: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(etc, rel)), { recursive: true });
    fs.writeFileSync(path.join(etc, rel), content, { mode });
    fs.chmodSync(path.join(etc, rel), mode);
  };
  file('hosts', '127.0.0.1 localhost\n');
  file('shadow', 'root:secret\n', 0o640);
  file('passwd', 'root:x:0:0:host:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n');
  file('ssl/certs/ca.pem', 'CERT');
  fs.symlinkSync('ca.pem', path.join(etc, 'ssl/certs/abcd.0'));
  file('ssl/private/key.pem', 'KEY', 0o600);
  fs.chmodSync(path.join(etc, 'ssl/private'), 0o700);
  file('python3.11/sitecustomize.py', '# site\n');
  file('python3.11/root-only.cfg', 'x', 0o600);
  fs.writeFileSync(path.join(dir, 'UTC'), 'TZif');
  fs.symlinkSync(path.join(dir, 'UTC'), path.join(etc, 'localtime'));
  fs.symlinkSync('/nonexistent/resolv.conf', path.join(etc, 'resolv.conf'));
  writeEtcView(path.join(dir, 'view'), [40_000, 40_001], etc);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const view = (rel = '') => path.join(dir, 'view', rel);

test('only the listed entries, with the synthetic passwd and group instead of the host’s', () => {
  expect(fs.readdirSync(view()).sort()).toEqual(['group', 'hosts', 'localtime', 'passwd', 'python3.11', 'ssl']);
  expect(fs.readFileSync(view('passwd'), 'utf8')).toContain('run:x:40001:40001:run:/home/run:/bin/sh');
  expect(fs.readFileSync(view('passwd'), 'utf8')).not.toContain('alice');
  const st = fs.statSync(view());
  expect([st.uid, st.mode & 0o777]).toEqual([0, 0o755]);
});

test('top-level symlinks are followed (as a bind followed them), dangling ones left out, inner ones kept', () => {
  expect(fs.lstatSync(view('localtime')).isFile()).toBe(true);
  expect(fs.readFileSync(view('localtime'), 'utf8')).toBe('TZif');
  expect(fs.readlinkSync(view('ssl/certs/abcd.0'))).toBe('ca.pem');
  expect(fs.readFileSync(view('ssl/certs/abcd.0'), 'utf8')).toBe('CERT');
});

test('nothing a sandbox uid could not read: no content under a folder it cannot enter, no file it cannot read', () => {
  expect(fs.readdirSync(view('ssl/private'))).toEqual([]);
  expect(fs.statSync(view('ssl/private')).mode & 0o777).toBe(0o700);
  expect(fs.readdirSync(view('python3.11'))).toEqual(['sitecustomize.py']);
  expect(fs.statSync(view('hosts')).mode & 0o777).toBe(0o644);
});

test('a second start replaces the view, leaving nothing of the first', () => {
  fs.writeFileSync(view('stale'), 'x');
  writeEtcView(view(), [40_000], path.join(dir, 'etc'));
  expect(fs.existsSync(view('stale'))).toBe(false);
  expect(fs.readFileSync(view('passwd'), 'utf8')).not.toContain('40001');
});

test('the host view: copied once per host and /etc state, no sandbox uid in it; a change to /etc makes a new one', () => {
  const work = path.join(dir, 'work');
  fs.mkdirSync(work, { mode: 0o711 });
  const etc = path.join(dir, 'etc');
  const first = hostEtcView(work, etc);
  expect(fs.readFileSync(path.join(first, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
  // passwd and group point into the folder where each range binds its own (one bind for both), empty here.
  for (const name of ['passwd', 'group']) expect(fs.readlinkSync(path.join(first, name))).toBe(`pocketrun-identity/${name}`);
  expect(fs.readdirSync(path.join(first, 'pocketrun-identity'))).toEqual([]);
  const copiedAt = fs.statSync(path.join(first, 'hosts')).mtimeMs;
  // Another instance's start: the same folder, not copied again.
  expect(hostEtcView(work, etc)).toBe(first);
  expect(fs.statSync(path.join(first, 'hosts')).mtimeMs).toBe(copiedAt);
  fs.writeFileSync(path.join(etc, 'hosts'), '127.0.0.1 localhost changed\n');
  const second = hostEtcView(work, etc);
  expect(second).not.toBe(first);
  expect(fs.readFileSync(path.join(second, 'hosts'), 'utf8')).toBe('127.0.0.1 localhost changed\n');
  // No temporary copy left behind.
  expect(fs.readdirSync(work).filter((n) => n.endsWith('.tmp'))).toEqual([]);
});

test('what a run binds: /etc and the range’s identity folder (one bind for passwd and group), /opt only when it holds a toolchain', () => {
  const features = { tmpfsSize: true, disableUserns: true, cgroupTry: true };
  const layers = path.join(dir, 'opt');
  fs.mkdirSync(path.join(layers, 'wheels'), { recursive: true });
  const run = { home: '/h', tmp: '/t', shm: '/s', allowNetwork: false };
  const binds = (argv: string[]) => argv.flatMap((a, i) => (a === '--ro-bind' ? [`${argv[i + 1]} ${argv[i + 2]}`] : [])).filter((b) => !/^\/(usr|bin|sbin|lib)/.test(b));
  const profile = () => new BwrapProfile('/usr/bin/bwrap', features, '/view', [], '/identity', layers);
  expect(binds(profile().argv({ ...run, terminal: true }))).toEqual(['/view /etc', '/identity /etc/pocketrun-identity']);
  fs.mkdirSync(path.join(layers, 'gcc', 'bin'), { recursive: true });
  expect(binds(profile().argv({ ...run, terminal: true }))).toEqual(['/view /etc', '/identity /etc/pocketrun-identity', `${layers} /opt`]);
});

test('bwrap’s monitor dies with its parent on pipes only: on a terminal it shares the program’s foreground group (commandChain.ts)', () => {
  const profile = new BwrapProfile('/usr/bin/bwrap', { tmpfsSize: true, disableUserns: true, cgroupTry: true }, '/view', [], '/identity');
  const run = { home: '/h', tmp: '/t', shm: '/s', allowNetwork: false };
  expect(profile.argv({ ...run, terminal: false })).toContain('--die-with-parent');
  expect(profile.argv({ ...run, terminal: true })).not.toContain('--die-with-parent');
});
