/**
 * The output object of a `streams: 'split'` run (docs/protocol.md, *Split output*): frames, so that stdout and stderr
 * stay apart in one appendable object and one read by offset serves both (a second object would double the API's
 * polls). A frame is a 4-byte header, the kind (1 byte) and the payload's length (3 bytes, big-endian), then the
 * payload. Kinds: stdout, stderr, and `run`, an empty frame put just before the program starts (after a compile
 * step, whose messages come first as stderr). A payload is at most FRAME_MAX_PAYLOAD bytes, so a frame always
 * fits in one output read; a frame cut by the end of a read is completed by the next one.
 */
import { MAX_OUTPUT_READ_BYTES } from './limits';
import { completeUtf8Length } from './utf8';

export type OutputStream = 'stdout' | 'stderr';

export const FRAME_HEADER_BYTES = 4;
export const FRAME_MAX_PAYLOAD = Math.min(64 * 1024, MAX_OUTPUT_READ_BYTES - FRAME_HEADER_BYTES);

const KIND = { stdout: 1, stderr: 2, run: 3 } as const;
type FrameKind = keyof typeof KIND;
const KIND_OF = new Map<number, FrameKind>(Object.entries(KIND).map(([k, v]) => [v, k as FrameKind]));

export type Frame = { kind: OutputStream; data: Buffer } | { kind: 'run' };

function header(kind: FrameKind, length: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  h[0] = KIND[kind];
  h.writeUIntBE(length, 1, 3);
  return h;
}

/** `data` as frames of `stream` (several when it is longer than a frame holds). */
export function encodeFrames(stream: OutputStream, data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += FRAME_MAX_PAYLOAD) {
    const payload = data.subarray(at, at + FRAME_MAX_PAYLOAD);
    parts.push(header(stream, payload.length), payload);
  }
  return Buffer.concat(parts);
}

/** The frame that says the program starts now. */
export function encodeRunMark(): Buffer {
  return header('run', 0);
}

/**
 * Reads frames from consecutive chunks of the object (as output reads return them), keeping a frame cut by a chunk's
 * end for the next. A byte that starts no known frame means the object is not framed: `push` throws.
 */
export class FrameReader {
  private rest: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const frames: Frame[] = [];
    let at = 0;
    while (buf.length - at >= FRAME_HEADER_BYTES) {
      const kind = KIND_OF.get(buf[at]);
      const length = buf.readUIntBE(at + 1, 3);
      if (!kind || length > FRAME_MAX_PAYLOAD) throw new Error(`output: byte ${buf[at]} at a frame boundary starts no frame`);
      if (buf.length - at - FRAME_HEADER_BYTES < length) break;
      const data = buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length);
      frames.push(kind === 'run' ? { kind } : { kind, data: Buffer.from(data) });
      at += FRAME_HEADER_BYTES + length;
    }
    this.rest = Buffer.from(buf.subarray(at));
    return frames;
  }
}

/**
 * Turns one stream's bytes into text that never ends inside a UTF-8 character: the start of a character whose other
 * bytes have not come yet is held back for the next chunk (Piston decodes each chunk alone, and a character cut
 * between two reads arrives as two replacement characters).
 */
export class Utf8Stream {
  private held: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string {
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const usable = completeUtf8Length(buf);
    this.held = Buffer.from(buf.subarray(usable));
    return buf.subarray(0, usable).toString('utf8');
  }

  /** What is held at the end of the stream (an unfinished character, shown as the decoder shows it). */
  end(): string {
    const text = this.held.toString('utf8');
    this.held = Buffer.alloc(0);
    return text;
  }
}
