/**
 * The executor's output for a `streams: 'split'` run: what the program prints on stdout and on stderr, framed
 * (core/outputFrames.ts) into the run's one output object through an OutputSink, which keeps its flushing and
 * retries. The run's output cap counts the program's bytes, not the frames' headers.
 */
import { encodeFrames, encodeRunMark, FRAME_HEADER_BYTES, type OutputStream } from './outputFrames';
import type { OutputSink } from './outputSink';

/** What the run lifecycle (core/run.ts) needs of its output: an OutputSink, or this. */
export interface RunOutput {
  /** Takes output; false once the cap is reached (the excess is dropped). `stream` matters to split output only. */
  push(chunk: Buffer, stream?: OutputStream): boolean;
  flush(): Promise<void>;
  /** Nothing is stored before `gate` resolves, nor after it rejects (OutputSink.after). */
  after(gate: Promise<unknown>): void;
  /** Output appends go out as they come for a moment: the program just got input (OutputSink.expedite). */
  expedite(): void;
  close(): Promise<void>;
  readonly hasPending: boolean;
  readonly tail: Buffer;
  readonly accepted: number;
}

/** Recent payload kept for exit classification (e.g. a MemoryError trace on stderr), as OutputSink's tail. */
const TAIL_BYTES = 16 * 1024;

/**
 * The OutputSink under it must hold the frames' headers besides the payload: at worst one header per payload byte.
 * `sinkCapFor` gives its cap.
 */
export function sinkCapFor(capBytes: number): number {
  return capBytes * (1 + FRAME_HEADER_BYTES) + FRAME_HEADER_BYTES;
}

export class SplitOutput implements RunOutput {
  private payload = 0;
  private tailChunks: Buffer[] = [];
  private tailBytes = 0;

  constructor(
    private readonly sink: OutputSink,
    private readonly capBytes: number,
  ) {}

  push(chunk: Buffer, stream: OutputStream = 'stdout'): boolean {
    const taken = chunk.subarray(0, Math.max(0, this.capBytes - this.payload));
    if (taken.length > 0) {
      this.payload += taken.length;
      this.sink.push(encodeFrames(stream, taken));
      this.tailChunks.push(taken);
      this.tailBytes += taken.length;
      while (this.tailBytes - this.tailChunks[0].length >= TAIL_BYTES) this.tailBytes -= this.tailChunks.shift()!.length;
    }
    return taken.length === chunk.length;
  }

  /** The program starts now (after its compile step, if any): readers tell the compiler's output from its own. */
  markRun(): void {
    this.sink.push(encodeRunMark());
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }

  after(gate: Promise<unknown>): void {
    this.sink.after(gate);
  }

  expedite(): void {
    this.sink.expedite();
  }

  close(): Promise<void> {
    return this.sink.close();
  }

  get hasPending(): boolean {
    return this.sink.hasPending;
  }

  get tail(): Buffer {
    const all = Buffer.concat(this.tailChunks);
    return all.length > TAIL_BYTES ? all.subarray(all.length - TAIL_BYTES) : all;
  }

  get accepted(): number {
    return this.payload;
  }
}
