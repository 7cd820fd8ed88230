/**
 * The control stream: one appendable object per run holding newline-delimited JSON records (stdin, kill, signal,
 * resize). Appends carry their exact position, so records from concurrent API instances are serialised by
 * storage itself and nothing is lost or reordered (the seed's single overwritten `-input` object lost input).
 */
import { isStoreError, type ObjectStore } from './ports';
import { keys, type ControlRecord } from './protocol';
import { isSignalName } from './signals';

const MAX_APPEND_ATTEMPTS = 20;

export function encodeRecord(record: ControlRecord): Buffer {
  return Buffer.from(JSON.stringify(record) + '\n', 'utf8');
}

/**
 * Appends one record at the object's end, retrying when another writer got there first. No HEAD first: `position` is
 * the caller's best knowledge of the end (what its last append returned, or 0 when it knows nothing), and a wrong one
 * costs one PositionMismatch, which carries the right position. `check` sees each position an append is tried at
 * (the real end whenever the append lands) and may refuse the record by throwing.
 */
export async function appendControl(
  runs: ObjectStore,
  runId: string,
  record: ControlRecord,
  position = 0,
  check?: (position: number) => void,
): Promise<number> {
  const key = keys.control(runId);
  const body = encodeRecord(record);
  for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
    check?.(position);
    try {
      return (await runs.append(key, body, position)).nextPosition;
    } catch (err) {
      if (!isStoreError(err, 'PositionMismatch') || err.nextPosition === undefined) throw err;
      position = err.nextPosition;
    }
  }
  throw new Error(`control stream of ${runId}: too many concurrent writers`);
}

/**
 * Incremental reader used by the executor: returns the complete records past its offset. A record is only
 * consumed once its newline has arrived, so a read that races an append never yields half a record.
 */
export class ControlReader {
  private offset = 0;
  private partial = Buffer.alloc(0);
  /** The idempotency keys read so far; at most one per record, and the records are bounded by the input total. */
  private readonly keys = new Set<string>();

  constructor(
    private readonly runs: ObjectStore,
    private readonly runId: string,
  ) {}

  async poll(): Promise<ControlRecord[]> {
    let chunk: Buffer;
    try {
      chunk = (await this.runs.get(keys.control(this.runId), { start: this.offset })).data;
    } catch (err) {
      if (isStoreError(err, 'NotFound')) return [];
      throw err;
    }
    if (chunk.length === 0) return [];
    this.offset += chunk.length;
    const buf = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    const records: ControlRecord[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      const line = buf.subarray(start, nl).toString('utf8');
      start = nl + 1;
      const record = parseRecord(line);
      if (!record) continue;
      if (record.k !== undefined) {
        // A client's retry of a request that had arrived: the stream carries it twice, the program gets it once.
        if (this.keys.has(record.k)) continue;
        this.keys.add(record.k);
      }
      records.push(record);
    }
    this.partial = Buffer.from(buf.subarray(start));
    return records;
  }
}

function parseRecord(line: string): ControlRecord | null {
  try {
    const value = JSON.parse(line) as ControlRecord;
    if (value.k !== undefined && typeof value.k !== 'string') return null;
    if (value.t === 'in' && typeof value.d === 'string') return value;
    if (value.t === 'kill') return value;
    if (value.t === 'signal' && isSignalName(value.name)) return value;
    if (value.t === 'resize' && Number.isInteger(value.cols) && Number.isInteger(value.rows)) return value;
  } catch {
    // Only the API writes this object; a bad line is a bug there, not a reason to stop the run.
  }
  return null;
}
