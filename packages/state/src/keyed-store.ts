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
// copyBuffers: a restored Uint8Array value must not be a view that pins the whole checkpoint file.
const packr = new Packr({ useRecords: false, moreTypes: true, useBigIntExtension: true, copyBuffers: true });

/** Marks a deleted key in a delta. */
const TOMBSTONE = 0;
const VALUE = 1;

/**
 * Entries per packed segment. A chunk is a concatenation of msgpack arrays
 * `[tag, key, value?, tag, key, value?, ...]`, one per segment, so a million-key snapshot never
 * builds one giant JS array (on write or on read); one segment per chunk is the same format.
 */
const SEGMENT_ENTRIES = 4096;

/**
 * What a store is keyed by: a string, or a number where a key is one number (an integer primary
 * key). A number and a string never stand for the same key; each operator keeps one encoding.
 */
export type StoreKey = string | number;

/**
 * The part of `Map` a {@link KeyedStore} keeps its entries in. A layout of its own may hand out
 * values it makes on each read (copies): the store never relies on getting the same object back.
 */
export interface StoreMap<K, V> extends Iterable<[K, V]> {
  readonly size: number;
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): unknown;
  delete(key: K): boolean;
  clear(): void;
  keys(): IterableIterator<K>;
  values(): IterableIterator<V>;
  entries(): IterableIterator<[K, V]>;
}

/**
 * A keyed state store: a Map from keys (see {@link StoreKey}) to plain-data values that remembers which keys
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
export class KeyedStore<V, K extends StoreKey = string> {
  private readonly map: StoreMap<K, V>;
  /** Keys changed since the last checkpoint; undefined while changes are not tracked. */
  private dirty: Set<K> | undefined = new Set<K>();
  /** Changes went untracked since the last checkpoint, so the next one must be full. */
  private untracked = false;

  /**
   * @param map where the entries live: a `Map` by default; another {@link StoreMap} keeps them in
   *   a layout of its own (a table's rows in columns) while the store tracks changes and checkpoints.
   * @param revive rebuilds a value read back from a checkpoint: values are written as MessagePack,
   *   which gives a `Map` with string keys back as a plain object.
   */
  constructor(
    readonly id: string,
    map?: StoreMap<K, V>,
    private readonly revive?: (value: unknown) => V,
  ) {
    this.map = map ?? new Map<K, V>();
  }

  /**
   * Whether changed keys are remembered for the next delta. A pipeline that never checkpoints
   * turns this off, or the set of changed keys would grow with every write and never be read.
   * While off, a checkpoint is always full.
   * @default true
   */
  get tracksChanges(): boolean {
    return this.dirty !== undefined;
  }

  set tracksChanges(on: boolean) {
    if (on === this.tracksChanges) return;
    this.dirty = on ? new Set() : undefined;
    this.untracked = true;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    this.map.set(key, value);
    this.dirty?.add(key);
  }

  delete(key: K): boolean {
    const had = this.map.delete(key);
    if (had) this.dirty?.add(key);
    return had;
  }

  /** Removes every key; the next delta holds a tombstone for each. */
  clear(): void {
    const dirty = this.dirty;
    if (dirty !== undefined) for (const k of this.map.keys()) dirty.add(k);
    this.map.clear();
  }

  /** Marks `key` changed after its value was mutated in place. */
  touch(key: K): void {
    this.dirty?.add(key);
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  /** How many keys changed since the last checkpoint. */
  get dirtyCount(): number {
    return this.dirty?.size ?? 0;
  }

  /**
   * Serializes the store (`full`) or the changes since the last checkpoint (`delta`) and
   * starts a new delta. Synchronous, so the state it captures is the state between two batches.
   * The returned bytes are never reused or changed afterwards.
   */
  checkpoint(full: boolean): StateChunk {
    const writer = new SegmentWriter();
    const dirty = this.dirty;
    full ||= this.untracked || dirty === undefined;
    if (full || dirty === undefined) {
      for (const [k, v] of this.map) writer.value(k, v);
    } else {
      const map = this.map;
      for (const k of dirty) {
        const v = map.get(k);
        if (v !== undefined || map.has(k)) writer.value(k, v);
        else writer.tombstone(k);
      }
    }
    if (dirty !== undefined) this.dirty = new Set();
    this.untracked = false;
    return { storeId: this.id, kind: full ? "full" : "delta", bytes: writer.finish() };
  }

  /**
   * Replaces the contents with a full chunk followed by the deltas written after it, in order
   * (a later full chunk replaces what came before it). An empty list empties the store. Nothing is dirty afterwards (the stores equal the checkpoint).
   * With `keep`, only the entries it accepts are loaded (a shard of a store split by key restores
   * its share of a checkpoint taken with any number of shards); a value it refuses is skipped,
   * and a tombstone of such a key finds nothing to delete.
   * @throws TypeError when a chunk belongs to another store or the chain does not start full
   */
  restore(chunks: readonly StateChunk[], keep?: (key: K, value: V) => boolean): void {
    checkChain(this.id, chunks);
    const map = this.map;
    map.clear();
    if (this.dirty !== undefined) this.dirty = new Set();
    for (const chunk of chunks) {
      // A full chunk later in the list replaces everything before it.
      if (chunk.kind === "full") map.clear();
      packr.unpackMultiple(chunk.bytes, (segment: unknown) => {
        if (!Array.isArray(segment)) throw new TypeError(`state chunk of "${this.id}" is malformed`);
        const flat = segment as unknown[];
        for (let j = 0; j < flat.length; ) {
          const key = flat[j + 1] as K;
          if (flat[j] === VALUE) {
            const value = this.revive === undefined ? (flat[j + 2] as V) : this.revive(flat[j + 2]);
            if (keep === undefined || keep(key, value)) map.set(key, value);
            j += 3;
          } else {
            map.delete(key);
            j += 2;
          }
        }
      });
    }
  }
}

/**
 * Checks that `chunks` can restore store `id`: every chunk is that store's, the first is full.
 * @throws TypeError naming the store otherwise
 */
export function checkChain(id: string, chunks: readonly StateChunk[]): void {
  chunks.forEach((chunk, i) => {
    if (chunk.storeId !== id) throw new TypeError(`chunk of store "${chunk.storeId}" given to "${id}"`);
    if (i === 0 && chunk.kind !== "full") throw new TypeError(`state of "${id}" must start with a full chunk`);
  });
}

/**
 * Chunks of one store taken from stores that split its keys between them (shards), as one chunk
 * of the whole store: a chunk is a run of segments, so their bytes joined are one.
 * @throws TypeError when they are of different stores or kinds (join full chunks, or deltas)
 */
export function joinChunks(chunks: readonly StateChunk[]): StateChunk {
  const first = chunks[0];
  if (first === undefined) throw new TypeError("joinChunks: no chunk to join");
  for (const c of chunks) {
    if (c.storeId !== first.storeId || c.kind !== first.kind)
      throw new TypeError(
        `joinChunks: a ${c.kind} chunk of "${c.storeId}" with a ${first.kind} chunk of "${first.storeId}"`,
      );
  }
  return { storeId: first.storeId, kind: first.kind, bytes: joinBytes(chunks.map((c) => c.bytes)) };
}

/** The parts as one array (the part itself when there is one). */
function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Packs entries a segment at a time and joins the segments once at the end. */
class SegmentWriter {
  private readonly segment: unknown[] = [];
  private entries = 0;
  private readonly parts: Uint8Array[] = [];

  value(key: StoreKey, value: unknown): void {
    this.segment.push(VALUE, key, value);
    if (++this.entries === SEGMENT_ENTRIES) this.flush();
  }

  tombstone(key: StoreKey): void {
    this.segment.push(TOMBSTONE, key);
    if (++this.entries === SEGMENT_ENTRIES) this.flush();
  }

  finish(): Uint8Array {
    if (this.entries > 0 || this.parts.length === 0) this.flush();
    return joinBytes(this.parts);
  }

  private flush(): void {
    // msgpackr returns a view of its shared output buffer; later packs write past it, never over it.
    const packed = packr.pack(this.segment);
    this.parts.push(packed);
    this.segment.length = 0;
    this.entries = 0;
  }
}
