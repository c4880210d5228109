import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  IntervalMonthDayNano,
  List,
  Struct,
  TimeMicrosecond,
  TimestampMicrosecond,
  Utf8,
} from "apache-arrow";
import type { ScalarKind, SqlType } from "./sql-type.js";

/**
 * THE mapping from SQL types to Arrow types; every package goes through it.
 *
 * `numeric` is kept lossless as its canonical decimal text in a Utf8 column
 * (PostgreSQL numerics have arbitrary precision, beyond Arrow's Decimal128);
 * the field carries `jetflow.sql_type = numeric` so readers know to treat it as a number.
 * `jsonb` is JSON text in Utf8. Timestamps and times are microseconds, like PostgreSQL.
 */
const SCALAR_TO_ARROW: Readonly<Record<ScalarKind, () => DataType>> = {
  boolean: () => new Bool(),
  smallint: () => new Int16(),
  integer: () => new Int32(),
  bigint: () => new Int64(),
  real: () => new Float32(),
  "double precision": () => new Float64(),
  numeric: () => new Utf8(),
  varchar: () => new Utf8(),
  bytea: () => new Binary(),
  date: () => new DateDay(),
  time: () => new TimeMicrosecond(),
  timestamp: () => new TimestampMicrosecond(),
  timestamptz: () => new TimestampMicrosecond("UTC"),
  interval: () => new IntervalMonthDayNano(),
  jsonb: () => new Utf8(),
};

/** The field metadata key holding a column's SQL type, so schemas round-trip. */
export const SQL_TYPE_METADATA_KEY = "jetflow.sql_type";

/** The Arrow type a SQL type is stored as. */
export function arrowTypeOf(type: SqlType): DataType {
  switch (type.kind) {
    case "struct":
      return new Struct(type.fields.map((f) => sqlField(f.name, f.type)));
    case "list":
      return new List(sqlField("item", type.element));
    default:
      return SCALAR_TO_ARROW[type.kind]();
  }
}

/** An Arrow field for a SQL column, nullable, tagged with its SQL type. */
export function sqlField(name: string, type: SqlType, nullable = true): Field {
  return new Field(name, arrowTypeOf(type), nullable, new Map([[SQL_TYPE_METADATA_KEY, serializeSqlType(type)]]));
}

/** The SQL type a field was built from (see {@link sqlField}). */
export function sqlTypeOfField(field: Field): SqlType {
  const text = field.metadata.get(SQL_TYPE_METADATA_KEY);
  if (text === undefined) throw new TypeError(`field "${field.name}" carries no ${SQL_TYPE_METADATA_KEY} metadata`);
  return JSON.parse(text) as SqlType;
}

function serializeSqlType(type: SqlType): string {
  return JSON.stringify(type);
}
