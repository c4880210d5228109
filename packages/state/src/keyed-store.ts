import { Packr } from "msgpackr";

/**
 * The serialized state of one store at a checkpoint: everything (`full`) or the keys
 * written and deleted since the previous checkpoint (`delta`).
 */
export interface StateChunk {
  readonly storeId: string;
  readonly kind: "full" | "delta";
  readonly bytes: Uint8Array;
}

// Values are plain data: numbers, bigints, strings, booleans, null, Uint8Array, arrays, plain objects.
const packr = new Packr({ useRecords: false, moreTypes: true, useBigIntExtension: true });

/** Marks a deleted key in a delta. */
const TOMBSTONE = 0;
const VALUE = 1;

/**
 * A keyed state store: a Map from string keys to plain-data values that remembers which keys
 * changed since the last checkpoint, so a checkpoint writes only those (a delta).
 * Every stateful operator keeps ALL its state in stores like this one, so restoring the
 * stores restores the operator.
 *
 * Mutating a value in place does not mark it: call {@link touch} after doing so.
 *
 * @example
 * ```ts
 * const s = new KeyedStore<number>("counts");
 * s.set("a", 1);
 * const chunk = s.checkpoint(false); // a delta with "a"
 * ```
 */
export class KeyedStore<V> {
  private readonly map = new Map<string, V>();
  private dirty = new Set<string>();

  constructor(readonly id: string) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    this.map.set(key, value);
    this.dirty.add(key);
  }

  delete(key: string): boolean {
    const had = this.map.delete(key);
    if (had) this.dirty.add(key);
    return had;
  }

  /** Marks `key` changed after its value was mutated in place. */
  touch(key: string): void {
    this.dirty.add(key);
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  /** How many keys changed since the last checkpoint. */
  get dirtyCount(): number {
    return this.dirty.size;
  }

  /**
   * Serializes the store (`full`) or the changes since the last checkpoint (`delta`) and
   * starts a new delta. Synchronous, so the state it captures is the state between two batches.
   */
  checkpoint(full: boolean): StateChunk {
    const flat: unknown[] = [];
    if (full) {
      for (const [k, v] of this.map) flat.push(VALUE, k, v);
    } else {
      for (const k of this.dirty) {
        if (this.map.has(k)) flat.push(VALUE, k, this.map.get(k));
        else flat.push(TOMBSTONE, k);
      }
    }
    this.dirty = new Set();
    return { storeId: this.id, kind: full ? "full" : "delta", bytes: packr.pack(flat) };
  }

  /**
   * Replaces the contents with a full chunk followed by the deltas written after it, in order.
   * @throws TypeError when a chunk belongs to another store or the chain does not start full
   */
  restore(chunks: readonly StateChunk[]): void {
    this.map.clear();
    this.dirty = new Set();
    chunks.forEach((chunk, i) => {
      if (chunk.storeId !== this.id) throw new TypeError(`chunk of store "${chunk.storeId}" given to "${this.id}"`);
      if (i === 0 && chunk.kind !== "full") throw new TypeError(`state of "${this.id}" must start with a full chunk`);
      const flat = packr.unpack(chunk.bytes) as unknown[];
      for (let j = 0; j < flat.length; ) {
        const tag = flat[j];
        const key = flat[j + 1] as string;
        if (tag === VALUE) {
          this.map.set(key, flat[j + 2] as V);
          j += 3;
        } else {
          this.map.delete(key);
          j += 2;
        }
      }
    });
  }
}
