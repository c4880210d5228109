import type { SqlType } from "@jetflow/core";
import type { StoreKey } from "@jetflow/state";
import type { RecordBatch } from "apache-arrow";
import type { Plain } from "./plain.js";
import { probeKeys } from "./probe.js";

/**
 * A keyed table's current rows as another operator may probe them by primary key, without a
 * copy: a join whose other side is that table, joined on its whole primary key, reads the rows
 * the table already holds (see `JoinOptions.table`). Keys are encoded as the table encodes them:
 * the number itself when `scalar` ({@link scalarKeys}), else {@link colKeys} with numeric text
 * normalized.
 *
 * @example
 * ```ts
 * const t = upsert(schema, ["id"], { id: "customers" });
 * t.rowsByKey.get(42)?.[1]; // column 1 of the row with id 42
 * t.rowsByKey.column(1)[t.rowsByKey.slotOf(42)]; // the same, with no row made
 * ```
 */
export interface KeyedRows {
  /** The primary-key columns, as indexes into a row, in key order. */
  readonly keyColumns: readonly number[];
  /** Their types, in key order. */
  readonly keyTypes: readonly SqlType[];
  /** Whether keys are one number (a key of one numeric column). */
  readonly scalar: boolean;
  /** The row with this key, its values in column order (read only), or undefined. */
  get(key: StoreKey): readonly Plain[] | undefined;
  /** Where the row with this key is in {@link column}'s arrays, or -1: a probe that makes no row. */
  slotOf(key: StoreKey): number;
  /** Column `c`'s values by slot (read only). */
  column(c: number): readonly Plain[];
}

/**
 * The rows of `rows` whose primary key equals a row of `probe` (its columns: the key columns, in
 * key order), as the plain values the table holds (read only): one Map probe per row of `probe`,
 * no Arrow table built. For an answer of a few rows formatted at once (a lookup by key).
 */
export function probeKeyedRows(rows: KeyedRows, probe: RecordBatch): (readonly Plain[])[] {
  const found: (readonly Plain[])[] = [];
  for (const key of probeKeys(probe, rows.keyTypes, rows.scalar)) {
    const row = rows.get(key);
    if (row !== undefined) found.push(row);
  }
  return found;
}
