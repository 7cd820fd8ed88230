import { completeUtf8Length, firstInvalidUtf8, utf8Problem } from '../../core/utf8';

const b = (...bytes: number[]) => Buffer.from(bytes);

test.each<[string, Buffer, number]>([
  ['empty', b(), 0],
  ['ascii', Buffer.from('abc'), 3],
  ['complete 2-byte', Buffer.from('é'), 2],
  ['complete 3-byte', Buffer.from('你'), 3],
  ['complete 4-byte', Buffer.from('😀'), 4],
  ['2-byte missing 1', Buffer.from('aé').subarray(0, 2), 1],
  ['3-byte missing 1', Buffer.from('a你').subarray(0, 3), 1],
  ['3-byte missing 2', Buffer.from('a你').subarray(0, 2), 1],
  ['4-byte missing 1', Buffer.from('a😀').subarray(0, 4), 1],
  ['4-byte missing 3', Buffer.from('a😀').subarray(0, 2), 1],
  ['invalid lead byte is not held back', b(0x61, 0xff), 2],
  ['stray continuation bytes are not held back', b(0x61, 0x80, 0x80, 0x80, 0x80), 5],
  ['overlong lead 0xc0 is invalid, not held', b(0x61, 0xc0), 2],
])('%s', (_name, buf, expected) => {
  expect(completeUtf8Length(buf)).toBe(expected);
});

test('every cut of a mixed text yields a prefix that decodes without replacement characters', () => {
  const text = Buffer.from('a你好é😀b世界'.repeat(3));
  for (let cut = 0; cut <= text.length; cut++) {
    const n = completeUtf8Length(text.subarray(0, cut));
    expect(n).toBeLessThanOrEqual(cut);
    expect(cut - n).toBeLessThan(4);
    expect(text.subarray(0, n).toString('utf8')).not.toContain('\uFFFD');
  }
});

describe('firstInvalidUtf8: the offset of the first byte that starts no well-formed character', () => {
  test.each<[string, Buffer, number]>([
    ['empty', b(), -1],
    ['mixed valid text', Buffer.from('a你好é😀b\u{10FFFF}\uFFFD'), -1],
    ['0xff', b(0x61, 0x62, 0xff), 2],
    ['a stray continuation byte', b(0x61, 0x80), 1],
    ['an overlong 2-byte form (0xc0 0xaf)', b(0x61, 0xc0, 0xaf), 1],
    ['an overlong 3-byte form (0xe0 0x80 0xaf)', b(0xe0, 0x80, 0xaf), 0],
    ['an overlong 4-byte form (0xf0 0x80 0x80 0xaf)', b(0x41, 0xf0, 0x80, 0x80, 0xaf), 1],
    ['a surrogate (0xed 0xa0 0x80)', b(0x61, 0x61, 0xed, 0xa0, 0x80), 2],
    ['past U+10FFFF (0xf4 0x90 0x80 0x80)', b(0xf4, 0x90, 0x80, 0x80), 0],
    ['0xf5', b(0xf5, 0x80, 0x80, 0x80), 0],
    ['a character cut by the end', Buffer.from('ab你').subarray(0, 4), 2],
    ['a character cut by an ASCII byte', b(0x61, 0xe4, 0xbd, 0x41), 1],
    ['latin-1 é after valid UTF-8 é', Buffer.concat([Buffer.from('é'), b(0xe9)]), 2],
  ])('%s', (_name, buf, expected) => {
    expect(firstInvalidUtf8(buf)).toBe(expected);
  });

  test('agrees with a fatal TextDecoder on every byte pair and triple starting with a lead byte', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const valid = (buf: Uint8Array) => {
      try {
        fatal.decode(buf);
        return true;
      } catch {
        return false;
      }
    };
    const disagreements: string[] = [];
    for (let lead = 0x80; lead < 0x100; lead++) {
      for (let second = 0; second < 0x100; second++) {
        for (const tail of [[], [0x80], [0xbf, 0x80], [0x41]]) {
          const buf = b(lead, second, ...tail);
          if ((firstInvalidUtf8(buf) === -1) !== valid(buf)) disagreements.push(buf.toString('hex'));
          // utf8Problem's native fast path must say the same: a body it passes is one the walk would pass.
          if ((utf8Problem(buf) === null) !== valid(buf)) disagreements.push(`utf8Problem ${buf.toString('hex')}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});
