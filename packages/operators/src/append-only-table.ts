import { type ChangeBatch, RETRACT } from "@jetflow/core";
import { KeyedStore } from "@jetflow/state";
import type { Schema } from "apache-arrow";
import { type Plain, plainColumns } from "./columnar/plain.js";
import { jsRow, tableOf } from "./columnar/table-rows.js";
import { sqlTypesOf } from "./expr/compile.js";
import type { TableOperator } from "./operator.js";
import { rowsIn } from "./columnar/columns-change.js";

/**
 * CREATE TABLE without a primary key: every row is an insert and stays. The rows are kept in
 * arrival order under a running row number (no key to compute, no multiset to maintain), and
 * batches pass through unchanged.
 *
 * State: one KeyedStore (`opts.id`) from row number to the row's plain values; after restoring it,
 * call `restored()` so numbering goes on after the highest stored number.
 *
 * @example
 * ```ts
 * const log = appendOnlyTable(schema, { id: "events/rows" });
 * log.process(insertsOf(batch)); // the same change, now also stored
 * log.snapshot();                // every row so far
 * ```
 */
export function appendOnlyTable(input: Schema, opts: { readonly id: string }): TableOperator {
  const types = sqlTypesOf(input);
  const names = input.fields.map((f) => f.name);
  const store = new KeyedStore<Plain[], number>(opts.id);
  let next = 0;
  return {
    schema: input,
    stores: [store as unknown as KeyedStore<unknown>],
    get size() {
      return store.size;
    },
    snapshot: () => tableOf(input, types, store.values()),
    rows: () => Array.from(store.values(), (row) => jsRow(names, types, row)),
    restored() {
      next = 0;
      for (const k of store.keys()) if (k >= next) next = k + 1;
    },
    process(change: ChangeBatch): ChangeBatch | undefined {
      const n = rowsIn(change);
      if (n === 0) return undefined;
      if (change.ops?.includes(RETRACT)) throw new Error("internal: an append-only table got a retraction");
      const columns = plainColumns(change, types);
      for (let i = 0; i < n; i++) {
        const row = new Array<Plain>(columns.length);
        for (let c = 0; c < columns.length; c++) row[c] = (columns[c] as Plain[])[i];
        store.set(next++, row);
      }
      return change;
    },
  };
}
