import type { Data, DataType } from "apache-arrow";

/** Initial capacity of a column whose row count is not known up front (nested values). */
export const NESTED_CAPACITY = 16;

/**
 * One Arrow column under construction: a validity byte per slot (packed into a bitmap at
 * {@link finish}), plus the value buffers of a subclass. Slots are appended, may be rolled
 * back with {@link truncate} (a bad message drops the part of its row already written), and
 * {@link finish} hands the buffers to an Arrow `Data` and starts over.
 *
 * Subclasses add the typed `write` that converts a JS value; this class only knows storage.
 */
export abstract class Column {
  /** Slots written so far. */
  length = 0;
  protected nullCount = 0;
  protected capacity: number;
  protected valid: Uint8Array;

  constructor(
    readonly type: DataType,
    capacity: number,
  ) {
    this.capacity = Math.max(1, capacity);
    this.valid = new Uint8Array(this.capacity);
  }

  /** Appends a SQL NULL. */
  writeNull(): void {
    const i = this.slot();
    this.valid[i] = 0;
    this.nullCount++;
    this.fillNull(i);
  }

  /** Drops every slot from `length` on (no-op when already that short). */
  truncate(length: number): void {
    if (length >= this.length) return;
    for (let i = length; i < this.length; i++) if (this.valid[i] === 0) this.nullCount--;
    this.length = length;
  }

  /** The column so far as Arrow data; the column is empty again afterwards. */
  finish(): Data {
    const length = this.length;
    const nullBitmap = this.nullCount === 0 ? undefined : packBits(this.valid, length);
    const data = this.build(length, this.nullCount, nullBitmap);
    this.length = 0;
    this.nullCount = 0;
    // Size the next batch like this one: nested columns skip regrowing, and one huge batch
    // does not pin huge buffers for every batch after it (top-level columns `reserve` anyway).
    this.capacity = Math.max(NESTED_CAPACITY, length);
    // The validity bytes never leave the column (the bitmap is a packed copy): kept for the next
    // batch when it is sized alike. Every slot written sets its byte, so old bytes are never read.
    if (this.valid.length !== this.capacity) this.valid = new Uint8Array(this.capacity);
    this.reset();
    return data;
  }

  /** Sizes the next batch: top-level columns know their row count in advance. */
  reserve(capacity: number): void {
    if (capacity > this.capacity) this.grow(capacity);
  }

  /** Claims the next slot (growing the buffers when full) and returns its index. */
  protected slot(): number {
    if (this.length === this.capacity) this.grow(this.capacity * 2);
    return this.length++;
  }

  /** Claims the next slot and marks it valid. */
  protected validSlot(): number {
    const i = this.slot();
    this.valid[i] = 1;
    return i;
  }

  protected grow(capacity: number): void {
    const valid = new Uint8Array(capacity);
    valid.set(this.valid.subarray(0, this.length));
    this.valid = valid;
    this.capacity = capacity;
    this.resize(capacity);
  }

  /** Grows the subclass's value buffers to `capacity` slots, keeping the first `length`. */
  protected abstract resize(capacity: number): void;
  /** Puts a placeholder into the value buffers for a null slot (offsets must not go back). */
  protected abstract fillNull(index: number): void;
  protected abstract build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data;
  /** Starts new value buffers: the old ones now belong to the finished Data. */
  protected abstract reset(): void;
}

/** Packs one byte per slot (0/1) into an Arrow validity bitmap (LSB first). */
export function packBits(bytes: Uint8Array, length: number): Uint8Array {
  const bits = new Uint8Array(((length + 63) >> 6) << 3);
  for (let i = 0; i < length; i++) if (bytes[i] !== 0) bits[i >> 3]! |= 1 << (i & 7);
  return bits;
}

/** Copies a typed array into a new one of `capacity` elements. */
export function grown<T extends Int32Array | Int16Array | Float32Array | Float64Array | Uint8Array | BigInt64Array>(
  array: T,
  capacity: number,
  keep: number,
): T {
  const next = new (array.constructor as new (n: number) => T)(capacity);
  next.set(array.subarray(0, keep) as never);
  return next;
}
