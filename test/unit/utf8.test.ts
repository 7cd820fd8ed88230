import { completeUtf8Length } from '../../core/utf8';

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
