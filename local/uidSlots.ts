/**
 * The sandbox uids of a growing pool of executor instances: each instance gets a slot of `perSlot` consecutive
 * uids of its own, cut from uid blocks claimed per host (local/uidBlock.ts), one more block whenever every slot is
 * taken. A slot given back is handed out again (the next instance on it cleans what the last one left, as every
 * executor does at start); blocks are released only all together, when the platform stops.
 */
import { BLOCK_SIZE, claimUidBlock, type UidBlock } from './uidBlock';

export class UidSlots {
  private readonly blocks: UidBlock[] = [];
  /** First uids of the free slots, lowest first. */
  private readonly free: number[] = [];

  constructor(readonly perSlot: number) {
    if (!Number.isInteger(perSlot) || perSlot < 1 || perSlot > BLOCK_SIZE) throw new Error(`uids per slot: between 1 and ${BLOCK_SIZE}, got ${perSlot}`);
  }

  /** Slots cut so far (free or taken). */
  get capacity(): number {
    return this.blocks.length * Math.floor(BLOCK_SIZE / this.perSlot);
  }

  /** The first uid of a free slot; claims another block when none is free (throws when the host has none left). */
  take(): number {
    if (this.free.length === 0) {
      const block = claimUidBlock(BLOCK_SIZE);
      this.blocks.push(block);
      for (let k = 0; k + this.perSlot <= BLOCK_SIZE; k += this.perSlot) this.free.push(block.base + k);
    }
    return this.free.shift()!;
  }

  give(base: number): void {
    if (this.free.includes(base)) return;
    this.free.push(base);
    this.free.sort((a, b) => a - b);
  }

  release(): void {
    for (const block of this.blocks.splice(0)) block.release();
    this.free.length = 0;
  }
}
