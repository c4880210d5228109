import type { Data } from "apache-arrow";

/**
 * The last change per key of the epoch being filled, not yet encoded: for each key, which row of
 * which batch, and whether it was a retraction. An UPSERT sink publishes only the last message per
 * key and epoch, while a view may change a key many times per epoch (a retraction and an insert per
 * updated group, per batch): encoding only the survivors, at seal, keeps the cost of a sink
 * proportional to what it publishes. Columns of plain numbers, no object per row.
 */
export class LastPerKey {
  /** The columns of each batch seen this epoch (kept until {@link drain}). */
  private batches: (readonly (Data | undefined)[])[] = [];
  private slotBatch: number[] = [];
  private slotRow: number[] = [];
  private slotRetract: boolean[] = [];
  private readonly slots = new Map<string, number>();

  /** Keys held. */
  get size(): number {
    return this.slots.size;
  }

  /** Starts a batch: the rows {@link set} next refer to these columns. */
  batch(columns: readonly (Data | undefined)[]): void {
    this.batches.push(columns);
  }

  /** Row `row` of the current batch is now the last change of `key`. */
  set(key: string, row: number, retract: boolean): void {
    // Deleted and set again: a Map iterates in insertion order, so the order of the last writes.
    this.slots.delete(key);
    this.slots.set(key, this.slotBatch.length);
    this.slotBatch.push(this.batches.length - 1);
    this.slotRow.push(row);
    this.slotRetract.push(retract);
  }

  /** Calls `each` for every key's last change, in the order of the last writes, and empties. */
  drain(each: (columns: readonly (Data | undefined)[], row: number, retract: boolean) => void): void {
    for (const slot of this.slots.values()) {
      each(
        this.batches[this.slotBatch[slot] as number] as (Data | undefined)[],
        this.slotRow[slot] as number,
        this.slotRetract[slot] as boolean,
      );
    }
    this.batches = [];
    this.slotBatch = [];
    this.slotRow = [];
    this.slotRetract = [];
    this.slots.clear();
  }
}
