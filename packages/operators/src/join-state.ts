import type { SqlType } from "@jetflow/core";
import type { KeyedStore, StoreKey } from "@jetflow/state";
import type { Plain, PlainRowReader } from "./columnar/plain.js";
import { keyPart } from "./columnar/row-key.js";

// The state of a join side: per join key, a bucket of the rows with that key, each with its
// multiplicity and match count (join.ts reads and writes it through these).

/**
 * A stored row: its multiplicity, how many other-side rows it matches, then its plain values
 * (unread columns NULL) in the same array (one object per row, one indirection fewer when a
 * probe reads them). Its identity (row-key.ts encoding of its kept values, {@link idOf}) is not
 * stored: it is the key of a bucket of several rows, and computed again when a single row's
 * bucket is written.
 */
export type Entry = [count: number, matches: number, ...values: Plain[]];
/** Where an {@link Entry}'s multiplicity, match count and first column value are. */
export const COUNT = 0;
export const MATCHES = 1;
export const VALUES = 2;
/**
 * The rows of one join key: the entry itself while there is one distinct row (a table side
 * joined on its primary key: an array, not an object of its own shape per key, which V8
 * iterates slowly and stores large), else the entries by row identity, in a `Map` (an object
 * with rows deleted from it is a dictionary whose every `for...in` collects and sorts all its
 * keys: ~5 µs per retraction in a bucket of 10 rows, against ~0.9 with a Map).
 */
export type Bucket = Entry | Map<string, Entry>;

/** A bucket as a checkpoint gives it back (MessagePack returns a Map as an object). */
export function reviveBucket(value: unknown): Bucket {
  if (Array.isArray(value) || value instanceof Map) return value as Bucket;
  return new Map(Object.entries(value as Record<string, Entry>));
}

/** What the bucket functions need of a join side. */
export interface StoredSide {
  readonly types: readonly SqlType[];
  /** Per input column, whether it is kept (read downstream, in a key or in the residual). */
  kept: boolean[];
  readonly store: KeyedStore<Bucket, StoreKey>;
  /** Stored rows (distinct rows). */
  rows: number;
  /** The input columns that identify a stored row (`JoinOptions.rowKey`); undefined: all its kept values. */
  readonly identity: readonly number[] | undefined;
}

/** The entry of row `i` (columns not kept NULL): what a side stores. */
export function entryOf(reader: PlainRowReader, kept: readonly boolean[], i: number, matches: number): Entry {
  const entry = new Array<Plain>(VALUES + kept.length) as Entry;
  entry[COUNT] = 1;
  entry[MATCHES] = matches;
  for (let c = 0; c < kept.length; c++) entry[VALUES + c] = kept[c] ? reader.at(c, i) : null;
  return entry;
}

/** Adds (`sign` 1) or removes (-1) one copy of a row in its key's bucket; `added` makes its entry when new. */
export function store(s: StoredSide, key: StoreKey, id: string, sign: number, added: () => Entry): void {
  const bucket = s.store.get(key);
  const entry =
    bucket === undefined ? undefined : isEntry(bucket) ? (idOf(s, bucket) === id ? bucket : undefined) : bucket.get(id);
  if (sign > 0) {
    if (entry !== undefined) entry[COUNT]++;
    else {
      if (bucket === undefined) s.store.set(key, added());
      else if (isEntry(bucket))
        s.store.set(
          key,
          new Map([
            [idOf(s, bucket), bucket],
            [id, added()],
          ]),
        );
      else bucket.set(id, added());
      s.rows++;
    }
    s.store.touch(key);
    return;
  }
  // A retraction of a row never stored (bad upstream input) changes nothing.
  if (bucket === undefined || entry === undefined) return;
  if (--entry[COUNT] > 0) {
    s.store.touch(key);
    return;
  }
  s.rows--;
  if (isEntry(bucket)) {
    s.store.delete(key);
    return;
  }
  bucket.delete(id);
  // One row left: the bucket becomes its entry again.
  if (bucket.size > 1) s.store.touch(key);
  else s.store.set(key, bucket.values().next().value as Entry);
}

/** The input columns that identify a side's stored rows: its row key, else every kept column. */
export function identityOf(s: StoredSide): readonly number[] {
  return s.identity ?? s.kept.flatMap((k, c) => (k ? [c] : []));
}

/** The identity of a stored entry: the same text row-key.ts's `colKeys` gives its row's {@link identityOf} columns. */
function idOf(s: StoredSide, e: Entry): string {
  let id = "";
  if (s.identity !== undefined) for (const c of s.identity) id += keyPart(e[VALUES + c], s.types[c] as SqlType, false);
  else
    for (let c = 0; c < s.kept.length; c++)
      if (s.kept[c] === true) id += keyPart(e[VALUES + c], s.types[c] as SqlType, false);
  return id;
}

export function isEntry(bucket: Bucket): bucket is Entry {
  return Array.isArray(bucket);
}
