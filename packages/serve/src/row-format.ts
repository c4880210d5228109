import { type ColumnDef, jsonKeys } from "@jetflow/core";

/** What formatting a relation's rows needs: its columns (SQL types) and their JSON key texts. */
export interface RowFormat {
  readonly columns: readonly ColumnDef[];
  readonly keys: readonly string[];
}

// A relation hands out one columns array per schema (`RelationHandle.columns`); an answer's
// Arrow table gets a new schema object each time, so the columns, not the schema, are the key.
const known = new WeakMap<readonly ColumnDef[], RowFormat>();

/** The row format of these columns, built once per columns array (every answer needs it). */
export function rowFormat(columns: readonly ColumnDef[]): RowFormat {
  let found = known.get(columns);
  if (found === undefined) {
    found = { columns, keys: jsonKeys(columns.map((c) => c.name)) };
    known.set(columns, found);
  }
  return found;
}
