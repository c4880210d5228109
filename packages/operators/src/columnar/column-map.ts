import type { StoreKey, StoreMap } from "@jetflow/state";
import { IntSlots } from "./int-slots.js";
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
  /** Slots of 32-bit integer keys (the usual primary key), in typed arrays. */
  private readonly intSlots = new IntSlots();
  /** Slots of every other key. */
  private readonly slots = new Map<StoreKey, number>();
  private readonly columns: Plain[][];
  /** The key in each slot; undefined: free. */
  private readonly keyOf: (StoreKey | undefined)[] = [];
  private readonly free: number[] = [];
  /** Slots ever used: the next new one. */
  private used = 0;

  constructor(readonly width: number) {
    this.columns = Array.from({ length: width }, () => []);
  }

  get size(): number {
    return this.intSlots.size + this.slots.size;
  }

  /** The slot of `key`'s row, or -1. */
  slotOf(key: StoreKey): number {
    return isInt32(key) ? this.intSlots.get(key) : (this.slots.get(key) ?? -1);
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

  /**
   * Overwrites one value of the row in `slot` (the store's `touch(key)` marks it changed). An
   * equal value (`Object.is`: text, bigint and numbers by value, -0 apart from 0) leaves the
   * stored one in place: a column that repeats (a status, padding, a 64-bit id) then keeps its
   * old object, and the new one dies young instead of being promoted by the garbage collector
   * with the row (what a scavenge copies is what makes its pause).
   */
  write(slot: number, c: number, value: Plain): void {
    const column = this.columns[c] as Plain[];
    if (!Object.is(column[slot], value)) column[slot] = value;
  }

  get(key: StoreKey): Plain[] | undefined {
    const slot = this.slotOf(key);
    return slot < 0 ? undefined : this.rowAt(slot);
  }

  has(key: StoreKey): boolean {
    return this.slotOf(key) >= 0;
  }

  set(key: StoreKey, row: Plain[]): this {
    let slot = this.slotOf(key);
    if (slot < 0) {
      slot = this.free.pop() ?? this.used++;
      if (isInt32(key)) this.intSlots.set(key, slot);
      else this.slots.set(key, slot);
      this.keyOf[slot] = key;
    }
    for (let c = 0; c < this.width; c++) (this.columns[c] as Plain[])[slot] = row[c] as Plain;
    return this;
  }

  delete(key: StoreKey): boolean {
    const slot = this.slotOf(key);
    if (slot < 0) return false;
    if (isInt32(key)) this.intSlots.delete(key);
    else this.slots.delete(key);
    this.keyOf[slot] = undefined;
    // Free the values (long text, bytes) now, not when the slot is taken again.
    for (let c = 0; c < this.width; c++) (this.columns[c] as Plain[])[slot] = null;
    this.free.push(slot);
    return true;
  }

  clear(): void {
    this.intSlots.clear();
    this.slots.clear();
    this.keyOf.length = 0;
    this.free.length = 0;
    this.used = 0;
    for (const column of this.columns) column.length = 0;
  }

  /** Keys in slot order (insertion order, except that a new key may take a freed slot). */
  *keys(): IterableIterator<StoreKey> {
    for (let slot = 0; slot < this.used; slot++) {
      const key = this.keyOf[slot];
      if (key !== undefined) yield key;
    }
  }

  *values(): IterableIterator<Plain[]> {
    for (let slot = 0; slot < this.used; slot++) if (this.keyOf[slot] !== undefined) yield this.rowAt(slot);
  }

  *entries(): IterableIterator<[StoreKey, Plain[]]> {
    for (let slot = 0; slot < this.used; slot++) {
      const key = this.keyOf[slot];
      if (key !== undefined) yield [key, this.rowAt(slot)];
    }
  }

  [Symbol.iterator](): IterableIterator<[StoreKey, Plain[]]> {
    return this.entries();
  }
}

/** A key the typed-array table holds: a number that is a 32-bit integer (-0 as 0, as a Map has it). */
function isInt32(key: StoreKey): key is number {
  return typeof key === "number" && (key | 0) === key;
}
