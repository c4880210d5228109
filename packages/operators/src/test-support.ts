import { type ChangeBatch, type ColumnDef, type SqlType, schemaOf } from "@jetflow/core";
import type { RecordBatch, Schema } from "apache-arrow";
import { batchOf, toArrow } from "./columnar/col.js";
import { sqlTypesOf } from "./expr/compile.js";
import type { ChangeOperator, StatePartitioning } from "./operator.js";
import { joinChunks, type KeyedStore, type StateChunk, type StoreKey } from "@jetflow/state";
import { shardOfKey } from "./shard-key.js";
import { fromPlain, type Plain, plainValues } from "./columnar/plain.js";
import { fromArrow } from "./columnar/col.js";
import type { Data } from "apache-arrow";

/** Test helpers: batches from plain rows and back. Not part of the public API. */

export function schemaFrom(columns: Record<string, string>): Schema {
  return schemaOf(Object.entries(columns).map(([name, kind]) => ({ name, type: { kind } as SqlType }) as ColumnDef));
}

export function batchFrom(schema: Schema, rows: readonly Record<string, Plain>[]): RecordBatch {
  const types = sqlTypesOf(schema);
  const data = schema.fields.map((f, c) =>
    toArrow(
      fromPlain(
        rows.map((r) => r[f.name] ?? null),
        types[c] as SqlType,
      ),
    ),
  );
  return batchOf(schema, data, rows.length);
}

export function changeFrom(
  schema: Schema,
  rows: readonly Record<string, Plain>[],
  ops?: readonly number[],
): ChangeBatch {
  return { batch: batchFrom(schema, rows), ops: ops === undefined ? undefined : Int8Array.from(ops) };
}

/** Rows of a change as plain objects, each with its op under `_op`. */
export function rowsOf(change: ChangeBatch | undefined): Record<string, Plain>[] {
  if (change === undefined) return [];
  const schema = change.batch.schema;
  const types = sqlTypesOf(schema);
  const cols = schema.fields.map((_f, c) =>
    plainValues(fromArrow(change.batch.data.children[c] as Data, types[c] as SqlType)),
  );
  const out: Record<string, Plain>[] = [];
  for (let i = 0; i < change.batch.numRows; i++) {
    const row: Record<string, Plain> = { _op: change.ops === undefined ? 1 : change.ops[i] };
    schema.fields.forEach((f, c) => {
      row[f.name] = (cols[c] as Plain[])[i];
    });
    out.push(row);
  }
  return out;
}

/** A stable text of a plain row, for multiset comparisons in tests. */
export function rowText(row: Record<string, Plain>): string {
  return JSON.stringify(row, (_k, v) =>
    typeof v === "bigint"
      ? `${v}n`
      : v instanceof Uint8Array
        ? [...v]
        : typeof v === "number" && !Number.isFinite(v)
          ? String(v) // JSON would print NaN and ±Infinity as null
          : v,
  );
}

/**
 * Applies a stream of changes to a multiset keyed by row text: what a view holds.
 * Throws when a retraction has no matching row.
 */
export class Multiset {
  readonly counts = new Map<string, number>();
  apply(change: ChangeBatch | undefined): void {
    for (const row of rowsOf(change)) {
      const { _op, ...rest } = row;
      const k = rowText(rest);
      const c = (this.counts.get(k) ?? 0) + (_op as number);
      if (c < 0) throw new Error(`retraction of a row not present: ${k}`);
      if (c === 0) this.counts.delete(k);
      else this.counts.set(k, c);
    }
  }
  sorted(): string[] {
    const out: string[] = [];
    for (const [k, c] of this.counts) for (let i = 0; i < c; i++) out.push(k);
    return out.sort();
  }
}

/** Feeds changes through an operator into a multiset, starting with its initial output. */
export function run(op: ChangeOperator, changes: readonly ChangeBatch[], into = new Multiset()): Multiset {
  into.apply(op.initial?.());
  for (const c of changes) into.apply(op.process(c));
  return into;
}

/** One checkpoint of every store of an operator (full or delta). */
export function checkpointAll(op: ChangeOperator, full: boolean): StateChunk[] {
  return op.stores.map((s) => s.checkpoint(full));
}

/** What {@link reshard} needs of an operator: its stores, how they split, and its rebuild hook. */
interface Splittable {
  readonly stores: readonly KeyedStore<unknown>[];
  readonly partitioning?: StatePartitioning | undefined;
  restored?(): void;
}

/**
 * Copies of an operator that each held the keys `shardOfKey` gave it, as their stores' chunks
 * joined into one chunk per store; then those chunks restored into `into`, each copy keeping its
 * share (as operator threads do with a checkpoint taken with any number of shards).
 */
export function reshard(from: readonly Splittable[], into: readonly Splittable[]): void {
  const joined = (from[0] as Splittable).stores.map((_store, i) =>
    joinChunks(from.map((op) => (op.stores[i] as KeyedStore<unknown>).checkpoint(true))),
  );
  into.forEach((op, s) => {
    const entryKeys = (op.partitioning as StatePartitioning).entryKeys;
    op.stores.forEach((store, i) => {
      const entryKey = entryKeys[i] as (key: StoreKey, value: unknown) => string;
      store.restore([joined[i] as StateChunk], (key, value) => shardOfKey(entryKey(key, value), into.length) === s);
    });
    op.restored?.();
  });
}

/** Restores each store of `op` from a chain of checkpoints (full first, then deltas), then calls restored(). */
export function restoreInto(op: ChangeOperator, chain: readonly StateChunk[][]): void {
  op.stores.forEach((store, i) => {
    store.restore(chain.map((cp) => cp[i] as StateChunk));
  });
  op.restored?.();
}
