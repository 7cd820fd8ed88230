/**
 * local/uidBlock.ts: a block is its claimer's until released, and a release frees only a block still its own (a
 * live process that took it over keeps it, as test/integration/stop.test.ts does with a platform's block).
 */
import * as fs from 'fs';
import { claimUidBlock } from '../../local/uidBlock';

const lockOf = (base: number) => `/tmp/pocketrun-uid-blocks/${base}`;

describe('claimUidBlock', () => {
  test('a claimed block names its claimer; the next claim gets another; a release frees it', () => {
    const a = claimUidBlock(2);
    const b = claimUidBlock(2);
    try {
      expect(fs.readFileSync(lockOf(a.base), 'utf8')).toBe(String(process.pid));
      expect(b.base).not.toBe(a.base);
    } finally {
      a.release();
      b.release();
    }
    expect(fs.existsSync(lockOf(a.base))).toBe(false);
    expect(fs.existsSync(lockOf(b.base))).toBe(false);
  });

  test('a block a live process took over stays taken after its first owner’s release, and is not claimed again', () => {
    const a = claimUidBlock(1);
    // Another live process (this test's parent) writes its pid there, as a watching test does.
    fs.writeFileSync(lockOf(a.base), String(process.ppid));
    try {
      a.release();
      expect(fs.readFileSync(lockOf(a.base), 'utf8')).toBe(String(process.ppid));
      const next = claimUidBlock(1);
      try {
        expect(next.base).not.toBe(a.base);
      } finally {
        next.release();
      }
    } finally {
      fs.rmSync(lockOf(a.base), { force: true });
    }
  });
});
