import type { StoreKey, StoreMap } from "@jetflow/state";
import type { Plain } from "./plain.js";

/**
 * A keyed table's rows stored by column: a key maps to a slot, and each column is one array of
 * values by slot. A probe by key is one `Map` lookup to a small integer, then one array read per
 * column it wants, with no row object in between (a row array per key costs two more dependent
 * memory reads and ~80 bytes). Freed slots are reused. As a {@link StoreMap} it reads and writes
 * whole rows (made on each read), so a `KeyedStore` over it tracks and checkpoints rows as usual.
 *
 * @example
 * ```ts
 * const columns = new ColumnMap(2);
 * const store = new KeyedStore<Plain[], StoreKey>("customers", columns);
 * store.set(42, [42, "eu"]);
 * columns.column(1)[columns.slotOf(42)]; // "eu"
 * ```
 */
export class ColumnMap implements StoreMap<StoreKey, Plain[]> {
  private readonly slots = new Map<StoreKey, number>();
  private readonly columns: Plain[][];
  private readonly free: number[] = [];
  /** Slots ever used: the next new one. */
  private used = 0;

  constructor(readonly width: number) {
    this.columns = Array.from({ length: width }, () => []);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The slot of `key`'s row, or -1. */
  slotOf(key: StoreKey): number {
    return this.slots.get(key) ?? -1;
  }

  /** Column `c`'s values by slot (read only; a free slot holds null). */
  column(c: number): readonly Plain[] {
    return this.columns[c] as Plain[];
  }

  /** The row in `slot`, as a new array. */
  rowAt(slot: number): Plain[] {
    const row = new Array<Plain>(this.width);
    for (let c = 0; c < this.width; c++) row[c] = (this.columns[c] as Plain[])[slot] as Plain;
    return row;
  }

  /** Overwrites one value of the row in `slot` (the store's `touch(key)` marks it changed). */
  write(slot: number, c: number, value: Plain): void {
    (this.columns[c] as Plain[])[slot] = value;
  }

  get(key: StoreKey): Plain[] | undefined {
    const slot = this.slots.get(key);
    return slot === undefined ? undefined : this.rowAt(slot);
  }

  has(key: StoreKey): boolean {
    return this.slots.has(key);
  }

  set(key: StoreKey, row: Plain[]): this {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.used++;
      this.slots.set(key, slot);
    }
    for (let c = 0; c < this.width; c++) (this.columns[c] as Plain[])[slot] = row[c] as Plain;
    return this;
  }

  delete(key: StoreKey): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    // Free the values (long text, bytes) now, not when the slot is taken again.
    for (let c = 0; c < this.width; c++) (this.columns[c] as Plain[])[slot] = null;
    this.free.push(slot);
    return true;
  }

  clear(): void {
    this.slots.clear();
    this.free.length = 0;
    this.used = 0;
    for (const column of this.columns) column.length = 0;
  }

  keys(): IterableIterator<StoreKey> {
    return this.slots.keys();
  }

  *values(): IterableIterator<Plain[]> {
    for (const slot of this.slots.values()) yield this.rowAt(slot);
  }

  *entries(): IterableIterator<[StoreKey, Plain[]]> {
    for (const [key, slot] of this.slots) yield [key, this.rowAt(slot)];
  }

  [Symbol.iterator](): IterableIterator<[StoreKey, Plain[]]> {
    return this.entries();
  }
}
