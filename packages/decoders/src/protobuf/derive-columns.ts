import { type ColumnDef, SchemaError, type SqlType, scalar } from "@jetflow/core";
import protobuf from "protobufjs";

/** Well-known message types with a SQL type of their own. */
export const TIMESTAMP_TYPE = ".google.protobuf.Timestamp";
export const DURATION_TYPE = ".google.protobuf.Duration";
const ANY_TYPE = ".google.protobuf.Any";

/**
 * Protobuf scalar types to SQL, as RisingWave maps them: unsigned 32-bit values need
 * bigint, and unsigned 64-bit values need numeric to stay exact.
 */
const SCALAR_TYPES: Readonly<Record<string, SqlType>> = {
  double: scalar("double precision"),
  float: scalar("real"),
  int32: scalar("integer"),
  sint32: scalar("integer"),
  sfixed32: scalar("integer"),
  uint32: scalar("bigint"),
  fixed32: scalar("bigint"),
  int64: scalar("bigint"),
  sint64: scalar("bigint"),
  sfixed64: scalar("bigint"),
  uint64: scalar("numeric"),
  fixed64: scalar("numeric"),
  bool: scalar("boolean"),
  string: scalar("varchar"),
  bytes: scalar("bytea"),
};

/**
 * The columns of a message when the DDL has no column list: one per field, in declaration
 * order, named as in the schema. Nested messages become structs, repeated fields lists,
 * enums varchar (the value's name), maps jsonb (`{"key": value}` in protobuf's JSON
 * mapping), `google.protobuf.Timestamp` timestamptz, `google.protobuf.Duration` interval,
 * `google.protobuf.Any`, field-less messages and the `messages_as_jsonb` ones jsonb.
 *
 * @throws SchemaError for a recursive message (it has no finite column type)
 */
export function deriveColumns(type: protobuf.Type, messagesAsJsonb: readonly string[]): ColumnDef[] {
  const asJsonb = new Set(messagesAsJsonb.map((n) => `.${n}`));
  return type.fieldsArray.map((field) => ({ name: field.name, type: fieldType(field, [type.fullName], asJsonb) }));
}

function fieldType(field: protobuf.Field, trail: string[], asJsonb: ReadonlySet<string>): SqlType {
  if (field.map) return scalar("jsonb");
  const base = valueType(field, trail, asJsonb);
  return field.repeated ? { kind: "list", element: base } : base;
}

/** The SQL type of one value of a field (the element type of a repeated field). */
function valueType(field: protobuf.Field, trail: string[], asJsonb: ReadonlySet<string>): SqlType {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Enum) return scalar("varchar");
  if (resolved instanceof protobuf.Type) return messageType(resolved, field, trail, asJsonb);
  const sql = SCALAR_TYPES[field.type];
  if (sql === undefined) throw new SchemaError(`protobuf field ${field.fullName} has unsupported type ${field.type}`);
  return sql;
}

function messageType(
  type: protobuf.Type,
  field: protobuf.Field,
  trail: string[],
  asJsonb: ReadonlySet<string>,
): SqlType {
  const name = type.fullName;
  if (name === TIMESTAMP_TYPE) return scalar("timestamptz");
  if (name === DURATION_TYPE) return scalar("interval");
  if (name === ANY_TYPE || asJsonb.has(name) || type.fieldsArray.length === 0) return scalar("jsonb");
  if (trail.includes(name)) {
    throw new SchemaError(
      `protobuf message ${trail[0]!.slice(1)} is recursive (${[...trail, name].map((n) => n.slice(1)).join(" -> ")} via field ${field.name}): ` +
        `declare the columns, or list the message in messages_as_jsonb`,
    );
  }
  const nested = [...trail, name];
  return {
    kind: "struct",
    fields: type.fieldsArray.map((f) => ({ name: f.name, type: fieldType(f, nested, asJsonb) })),
  };
}
