import type { ChangeBatch, SqlType } from "@jetflow/core";
import type { Schema } from "apache-arrow";
import type { Col } from "./col.js";
import { ColumnsChange, columnOf, rowsIn } from "./columns-change.js";
import { plainValues } from "./plain.js";
import { rowKeys } from "./row-key.js";
import { takeCol } from "./take.js";

/**
 * The inserts of a change with only the last row per key (the values of `keyColumns`), in the
 * order of those last rows: what a table keyed by those columns keeps of them, for the cost of
 * sending only that (a router's epoch of a keyed table's rows). A change with retractions, or in
 * which no key repeats, comes back as it is.
 *
 * @example
 * ```ts
 * lastPerKey(change, schema, types, [0]); // +(1,a) +(2,b) +(1,c)  ->  +(2,b) +(1,c)
 * ```
 */
export function lastPerKey(
  change: ChangeBatch,
  schema: Schema,
  types: readonly SqlType[],
  keyColumns: readonly number[],
): ChangeBatch {
  const n = rowsIn(change);
  if (n === 0 || change.ops !== undefined) return change;
  const cols: Col[] = types.map((t, c) => columnOf(change, c, t));
  const keys = rowKeys(
    keyColumns.map((c) => plainValues(cols[c] as Col)),
    keyColumns.map((c) => types[c] as SqlType),
    n,
    true,
  );
  const last = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    // Deleted and set again: a Map iterates in insertion order, so the order of the last rows.
    last.delete(key);
    last.set(key, i);
  }
  if (last.size === n) return change;
  const rows = Int32Array.from(last.values());
  return new ColumnsChange(
    schema,
    types,
    cols.map((c) => takeCol(c, rows)),
    rows.length,
    undefined,
  );
}
