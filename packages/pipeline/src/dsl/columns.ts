import { type ColumnDef, type ScalarKind, type SqlType, parseSqlType } from "@jetflow/core";

/**
 * A column type: a scalar type by its SQL name (`"integer"`, or the short `"int"`, `"double"`,
 * `"text"`, `"bool"`), or a nested type built with {@link list} and {@link struct}.
 * @example const amount: ColumnType = "double"; const tags: ColumnType = list("varchar");
 */
export type ColumnType = ScalarKind | "int" | "double" | "text" | "bool" | SqlType;

/**
 * The columns of a source or table: a record from column name to type, in column order,
 * or a list of {@link ColumnDef}s (from the column helpers such as {@link int}).
 *
 * @example
 * ```ts
 * const a: Columns = { id: "int", region: "varchar", amount: "double", tags: list("varchar") };
 * const b: Columns = [int("id"), varchar("region"), double("amount")];
 * ```
 */
export type Columns = Readonly<Record<string, ColumnType>> | readonly ColumnDef[];

/**
 * A type of its SQL name, or the type itself.
 * @example sqlType("double") // { kind: "double precision" }
 */
export function sqlType(type: ColumnType, column = "?"): SqlType {
  return typeof type === "string" ? parseSqlType(type, column) : type;
}

/**
 * The column list of a {@link Columns} record or list, in order.
 * @example columnDefs({ id: "int" }) // [{ name: "id", type: { kind: "integer" } }]
 */
export function columnDefs(columns: Columns): ColumnDef[] {
  if (Array.isArray(columns)) return [...(columns as readonly ColumnDef[])];
  return Object.entries(columns as Readonly<Record<string, ColumnType>>).map(([name, type]) => ({
    name,
    type: sqlType(type, name),
  }));
}

/**
 * A list type, `element[]`.
 * @example list("varchar") // { kind: "list", element: { kind: "varchar" } }
 */
export function list(element: ColumnType): SqlType {
  return { kind: "list", element: sqlType(element) };
}

/**
 * A struct type of named fields, in order.
 * @example struct({ lat: "double", lon: "double" })
 */
export function struct(fields: Readonly<Record<string, ColumnType>>): SqlType {
  return { kind: "struct", fields: columnDefs(fields) };
}

const column =
  (kind: ScalarKind) =>
  (name: string): ColumnDef => ({ name, type: { kind } });

/** A `boolean` column. @example boolean("paid") */
export const boolean = column("boolean");
/** A `smallint` column (16-bit). @example smallint("qty") */
export const smallint = column("smallint");
/** An `integer` column (32-bit). @example int("id") */
export const int = column("integer");
/** A `bigint` column (64-bit, read as JS bigint). @example bigint("user_id") */
export const bigint = column("bigint");
/** A `real` column (32-bit float). @example real("ratio") */
export const real = column("real");
/** A `double precision` column. @example double("amount") */
export const double = column("double precision");
/** A `numeric` column (exact decimal). @example numeric("price") */
export const numeric = column("numeric");
/** A `varchar` column. @example varchar("region") */
export const varchar = column("varchar");
/** A `bytea` column. @example bytea("blob") */
export const bytea = column("bytea");
/** A `date` column. @example date("day") */
export const date = column("date");
/** A `time` column. @example time("at") */
export const time = column("time");
/** A `timestamp` column (no time zone). @example timestamp("ts") */
export const timestamp = column("timestamp");
/** A `timestamptz` column. @example timestamptz("ts") */
export const timestamptz = column("timestamptz");
/** An `interval` column. @example interval("took") */
export const interval = column("interval");
/** A `jsonb` column. @example jsonb("attrs") */
export const jsonb = column("jsonb");
