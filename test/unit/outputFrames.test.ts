/**
 * core/outputFrames.ts: the split output's frames read back the same whatever the reads' cuts, long payloads split
 * into frames one read holds, a stray byte refused; and one stream's text never cut inside a UTF-8 character.
 */
import { encodeFrames, encodeRunMark, FRAME_MAX_PAYLOAD, FrameReader, Utf8Stream, type Frame } from '../../core/outputFrames';

const big = Buffer.alloc(FRAME_MAX_PAYLOAD * 2 + 5, 'x');
const object = Buffer.concat([
  encodeFrames('stderr', Buffer.from('compiler says hi\n')),
  encodeRunMark(),
  encodeFrames('stdout', Buffer.from('héllo ')),
  encodeFrames('stderr', Buffer.from('你好')),
  encodeFrames('stdout', big),
]);

/** Frames read back, adjacent frames of one stream joined (how a long payload was split is not the point). */
function joined(frames: Frame[]): Array<{ kind: string; text?: string }> {
  const out: Array<{ kind: string; data?: Buffer[] }> = [];
  for (const f of frames) {
    const last = out.at(-1);
    if (f.kind !== 'run' && last?.kind === f.kind) last.data!.push(f.data);
    else out.push(f.kind === 'run' ? { kind: 'run' } : { kind: f.kind, data: [f.data] });
  }
  return out.map((f) => (f.data ? { kind: f.kind, text: Buffer.concat(f.data).toString() } : { kind: f.kind }));
}

const expected = [
  { kind: 'stderr', text: 'compiler says hi\n' },
  { kind: 'run' },
  { kind: 'stdout', text: 'héllo ' },
  { kind: 'stderr', text: '你好' },
  { kind: 'stdout', text: big.toString() },
];

test.each([1, 3, 4, 5, 7, 4096, FRAME_MAX_PAYLOAD + 4, object.length])('read in chunks of %d bytes: the same frames', (size) => {
  const reader = new FrameReader();
  const frames: Frame[] = [];
  for (let at = 0; at < object.length; at += size) frames.push(...reader.push(object.subarray(at, at + size)));
  expect(joined(frames)).toEqual(expected);
});

test('a payload longer than a frame holds is split into frames no longer than FRAME_MAX_PAYLOAD', () => {
  const frames = new FrameReader().push(encodeFrames('stdout', big));
  expect(frames.map((f) => (f.kind === 'run' ? 0 : f.data.length))).toEqual([FRAME_MAX_PAYLOAD, FRAME_MAX_PAYLOAD, 5]);
});

test('a byte that starts no frame is refused, not misread', () => {
  expect(() => new FrameReader().push(Buffer.from('plain terminal output'))).toThrow(/starts no frame/);
});

test.each([1, 2, 5, 7])('UTF-8 fed %d bytes at a time comes out whole, never a replacement character', (size) => {
  const source = Buffer.from('你好世界 😀 é'.repeat(20));
  const stream = new Utf8Stream();
  const parts: string[] = [];
  for (let at = 0; at < source.length; at += size) parts.push(stream.push(source.subarray(at, at + size)));
  parts.push(stream.end());
  expect(parts.join('')).toBe(source.toString());
  for (const part of parts) expect(part).not.toContain('\uFFFD');
});

test('an unfinished character at the end of the stream is given as the decoder shows it', () => {
  const stream = new Utf8Stream();
  expect(stream.push(Buffer.from([0x61, 0xe4, 0xbd]))).toBe('a');
  expect(stream.end()).toBe('\uFFFD');
});
