import { Schema } from "apache-arrow";
import { sqlField, sqlTypeOfField } from "./arrow-type.js";
import { SchemaError } from "./errors.js";
import type { SqlType } from "./sql-type.js";

/** One column of a table, source or view. */
export interface ColumnDef {
  readonly name: string;
  readonly type: SqlType;
}

/**
 * Builds the Arrow schema of a column list. Column names are case-sensitive as given
 * (the SQL layer folds unquoted identifiers to lower case before calling this).
 *
 * @throws SchemaError on an empty list or a duplicate name
 */
export function schemaOf(columns: readonly ColumnDef[]): Schema {
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.name)) throw new SchemaError(`column "${c.name}" is defined twice`);
    seen.add(c.name);
  }
  return new Schema(columns.map((c) => sqlField(c.name, c.type)));
}

/** The column list of a schema built by {@link schemaOf}. */
export function columnsOf(schema: Schema): ColumnDef[] {
  return schema.fields.map((f) => ({ name: f.name, type: sqlTypeOfField(f) }));
}
