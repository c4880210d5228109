import { type ChangeBatch, type ColumnDef, type SqlType, schemaOf } from "@jetflow/core";
import { makeData, RecordBatch, Struct, vectorFromArray } from "apache-arrow";

/** Test helpers (not exported): columns and changes from plain values. */

export function columns(spec: Record<string, SqlType["kind"]>): ColumnDef[] {
  return Object.entries(spec).map(([name, kind]) => ({ name, type: { kind } as SqlType }));
}

/** A change of `rows` (column values in column order); `ops` +1 / -1 per row, undefined for inserts. */
export function change(cols: readonly ColumnDef[], rows: readonly unknown[][], ops?: readonly number[]): ChangeBatch {
  const schema = schemaOf(cols);
  const children = schema.fields.map(
    (f, c) =>
      vectorFromArray(
        rows.map((r) => r[c] ?? null),
        f.type,
      ).data[0]!,
  );
  const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
  return { batch: new RecordBatch(schema, data), ops: ops === undefined ? undefined : Int8Array.from(ops) };
}
