/**
 * The slot clean-up of every run (slotCleaner.ts) by one long-lived root perl process per sandbox instead of one per
 * run: a run's clean-up otherwise costs a fork of the executor (node: its whole page table copied) and a perl start,
 * several ms of CPU and about 10 ms of wall time on the way to answering the invocation. The script and every
 * property of the clean-up are the same (as the uid in a forked child, then as root); only the slots come one
 * `<alone|any> <uid> <dir>` line at a time on the process's stdin, each answered by its report line.
 * - Started at the first clean-up, not at the sandbox's start (no cost on the cold start); one request at a time
 *   in the perl loop, answered in order.
 * - If it dies (killed, crashed), every clean-up it had not answered is done again by a perl process of its own
 *   (cleanSlots: the clean-up is idempotent), and the next one starts it again; after MAX_DEATHS deaths the
 *   sandbox keeps to a process per clean-up.
 * - If an answer takes longer than the slot's own alarm plus a margin, the process is killed and that slot reported
 *   as failed (its uid is retired), as cleanSlots does with a perl that hangs.
 * - `close()` ends its stdin and waits for it to exit (killing it past a bound). It holds no reference on the event
 *   loop while idle, so a forgotten close never keeps the executor alive, and it exits by itself when the executor
 *   does (its stdin ends).
 */
import { spawn, type ChildProcessByStdio } from 'child_process';
import type { Readable, Writable } from 'stream';
import { CLEANER_SPAWN, cleanerArgs, cleanRequestWords, cleanSlots, cleanTimeoutSeconds, failedSlot, parseSlotReport, type CleanRequest, type SlotCleanOptions, type SlotReport } from './slotCleaner';

/** Deaths after which clean-ups go back to a process each (something keeps killing it). */
export const MAX_DEATHS = 3;

/** Beyond the slot's own alarm, how long an answer may take before the process counts as hung. */
const HANG_MARGIN_MS = 10_000;

/** How long close() waits for the process to exit before killing it. */
const CLOSE_WAIT_MS = 5_000;

interface Pending {
  slot: CleanRequest;
  resolve: (report: SlotReport) => void;
}

type CleanerChild = ChildProcessByStdio<Writable, Readable, Readable>;

/** Whether the process and its pipes keep the event loop alive (pipes are sockets, which can let go of it). */
function hold(child: CleanerChild, held: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?: () => void; unref?: () => void }>) {
    if (held) handle.ref?.();
    else handle.unref?.();
  }
}

export class SlotCleanerProcess {
  private child: CleanerChild | null = null;
  /** Sent and not yet answered, in the order sent (the process answers in that order). */
  private pending: Pending[] = [];
  private deaths = 0;
  private closed = false;
  private hangTimer: NodeJS.Timeout | null = null;
  private hung = false;

  constructor(
    private readonly options: SlotCleanOptions,
    private readonly log: (message: string) => void = () => {},
  ) {}

  /** The process's pid while it runs (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Cleans one slot (see slotCleaner.ts; with `alone`, only once it is proved that the uid has no process left); never rejects. */
  clean(slot: CleanRequest): Promise<SlotReport> {
    if (this.closed || this.deaths >= MAX_DEATHS || /[\n\r]/.test(slot.dir)) return this.once([slot]).then(([report]) => report);
    const child = this.child ?? this.start();
    return new Promise((resolve) => {
      this.pending.push({ slot, resolve });
      if (this.pending.length === 1) this.armHangTimer();
      hold(child, true);
      child.stdin.write(`${cleanRequestWords(slot).join(' ')}\n`);
    });
  }

  /** Stops the process once what it was asked is answered; later clean-ups get a process each. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    hold(child, true);
    child.stdin.end();
    const killer = setTimeout(() => child.kill('SIGKILL'), CLOSE_WAIT_MS + this.pending.length * this.hangMs());
    await exited;
    clearTimeout(killer);
  }

  private hangMs(): number {
    return cleanTimeoutSeconds(this.options) * 1000 + HANG_MARGIN_MS;
  }

  private once(slots: CleanRequest[]): Promise<SlotReport[]> {
    return cleanSlots(slots, this.options);
  }

  private start(): CleanerChild {
    const child = spawn(this.options.perl, cleanerArgs('serve', this.options), { stdio: ['pipe', 'pipe', 'pipe'], ...CLEANER_SPAWN, env: { ...CLEANER_SPAWN.env } });
    this.child = child;
    this.hung = false;
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        this.answer(out.slice(0, nl));
        out = out.slice(nl + 1);
      }
    });
    child.stderr.on('data', (d: Buffer) => void (err.length < 1000 && (err += d.toString('latin1'))));
    // A write after its death must not crash the executor; the exit below takes care of what was pending.
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => (err += e.message));
    child.once('close', (code, signal) => {
      if (this.child === child) this.child = null;
      this.clearHangTimer();
      const left = this.pending;
      this.pending = [];
      if (this.closed && left.length === 0 && code === 0) return;
      this.deaths++;
      this.log(`sandbox: the slot cleaner (pid ${child.pid}) ended (${signal ?? `exit ${code}`}${err.trim() ? `: ${err.trim().slice(0, 300)}` : ''}) with ${left.length} clean-up(s) unanswered${this.deaths >= MAX_DEATHS ? `; ${MAX_DEATHS} deaths: a process per clean-up from now on` : ''}`);
      // The one it hung on is reported failed, as cleanSlots does; the rest are done again, each safe to repeat.
      const stuck = this.hung ? left.shift() : undefined;
      stuck?.resolve(failedSlot(stuck.slot.uid, 'timeout'));
      if (left.length > 0) void this.once(left.map((p) => p.slot)).then((reports) => left.forEach((p, i) => p.resolve(reports[i])));
    });
    this.idle(child);
    return child;
  }

  private answer(line: string): void {
    const head = this.pending.shift();
    if (!head) return;
    const report = parseSlotReport(line);
    if (report && report.uid === head.slot.uid) {
      head.resolve(report);
    } else {
      // Out of step with what was asked: that slot is done again by a process of its own, and this one is replaced.
      this.pending.unshift(head);
      this.child?.kill('SIGKILL');
      return;
    }
    if (this.pending.length > 0) this.armHangTimer();
    else {
      this.clearHangTimer();
      if (this.child) this.idle(this.child);
    }
  }

  /** Idle: no hold on the executor's event loop. */
  private idle(child: CleanerChild): void {
    hold(child, false);
  }

  private armHangTimer(): void {
    this.clearHangTimer();
    this.hangTimer = setTimeout(() => {
      this.hung = true;
      this.child?.kill('SIGKILL');
    }, this.hangMs());
  }

  private clearHangTimer(): void {
    if (this.hangTimer) clearTimeout(this.hangTimer);
    this.hangTimer = null;
  }
}
