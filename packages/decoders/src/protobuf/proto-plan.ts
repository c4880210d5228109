import { arrowTypeOf, type ColumnDef, formatSqlType, SchemaError, type SqlType } from "@jetflow/core";
import protobuf from "protobufjs";
import { equalsIgnoreAsciiCase, FieldKey, type FieldReader, OwnField } from "../values/field-lookup.js";
import { ListWriter, type StructChild, StructWriter } from "../values/nested-writers.js";
import { planWriter } from "../values/plan.js";
import { JsonbWriter } from "../values/text-writers.js";
import type { IntervalWriter, TimestampWriter } from "../values/time-writers.js";
import type { ValueWriter, WriterContext } from "../values/value-writer.js";
import { DURATION_TYPE, TIMESTAMP_TYPE } from "./derive-columns.js";
import {
  BytesFieldWriter,
  EnumNameWriter,
  MapEntriesWriter,
  type MapKeyReader,
  PairWriter,
  ProtoDurationWriter,
  ProtoTimestampWriter,
} from "./proto-writers.js";

/** protobuf's JSON mapping, used for every protobuf value stored as jsonb. */
const JSON_MAPPING: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  json: true,
};

const LONG_KEY_TYPES = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

/**
 * Plans, once per decoder, how each protobuf field fills its column. Declared columns are
 * matched to fields by name (exact, then ignoring ASCII case); a column with no field, or a
 * field whose kind cannot fill the column's type, is a `SchemaError` at creation, not a bad
 * message per row. Scalars go through the schema-driven writers (so an int64 field fills a
 * numeric or varchar column too); enums, well-known types, maps and jsonb get converters here.
 */
export class ProtoPlanner {
  private holders = 0;

  constructor(
    private readonly root: protobuf.Root,
    private readonly ctx: WriterContext,
    private readonly capacity: number,
  ) {}

  /** The row children: one per column, reading its field of the message. */
  columns(type: protobuf.Type, columns: readonly ColumnDef[]): StructChild[] {
    return columns.map((c) => this.child(type, c.name, c.type, c.name));
  }

  private child(type: protobuf.Type, name: string, column: SqlType, path: string): StructChild {
    const field = findField(type, name);
    if (field === undefined) {
      throw new SchemaError(
        `column "${path}" is not a field of protobuf message ${type.fullName.slice(1)} (fields: ${type.fieldsArray.map((f) => f.name).join(", ")})`,
      );
    }
    // Fields with explicit presence read as NULL when unset; others read their proto3 default.
    const key: FieldReader = field.partOf !== null ? new OwnField(field.name) : new FieldKey(field.name);
    return { key, writer: this.field(field, column, path) };
  }

  private field(field: protobuf.FieldBase, column: SqlType, path: string): ValueWriter {
    if (column.kind === "jsonb") return this.fieldAsJson(field, path);
    if (field.map) return this.mapEntries(field as unknown as protobuf.MapField, column, path);
    if (field.repeated) {
      if (column.kind !== "list") throw mismatch(field, column, path, "a list or jsonb column");
      return new ListWriter(arrowTypeOf(column), path, this.value(field, column.element, `${path}[]`), this.capacity);
    }
    if (column.kind === "list") throw mismatch(field, column, path, "a column of its element type");
    return this.value(field, column, path);
  }

  /** One value of a field (one element of a repeated field). */
  private value(field: protobuf.FieldBase, column: SqlType, path: string): ValueWriter {
    const resolved = field.resolve().resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(field, resolved, column, path);
    if (column.kind === "struct" || column.kind === "list") throw mismatch(field, column, path, "a scalar column");
    const inner = planWriter(column, path, this.capacity, this.ctx);
    if (resolved instanceof protobuf.Enum) {
      // Numbers fit numeric columns as they are; text and jsonb columns get the value's name.
      return column.kind === "varchar" || column.kind === "jsonb"
        ? new EnumNameWriter(inner, resolved.valuesById)
        : inner;
    }
    return field.type === "bytes" ? new BytesFieldWriter(inner) : inner;
  }

  private message(field: protobuf.FieldBase, type: protobuf.Type, column: SqlType, path: string): ValueWriter {
    const name = type.fullName;
    if (name === TIMESTAMP_TYPE && (column.kind === "timestamptz" || column.kind === "timestamp")) {
      return new ProtoTimestampWriter(planWriter(column, path, this.capacity, this.ctx) as TimestampWriter, path);
    }
    if (name === DURATION_TYPE && column.kind === "interval") {
      return new ProtoDurationWriter(planWriter(column, path, this.capacity, this.ctx) as IntervalWriter);
    }
    if (column.kind === "jsonb") {
      return new JsonbWriter(path, this.capacity, (v) =>
        JSON.stringify(type.toObject(v as protobuf.Message, JSON_MAPPING)),
      );
    }
    if (column.kind !== "struct") throw mismatch(field, column, path, "a struct or jsonb column");
    const children = column.fields.map((f) => this.child(type, f.name, f.type, `${path}.${f.name}`));
    return new StructWriter(arrowTypeOf(column), path, children, this.capacity);
  }

  /**
   * A whole field as jsonb (maps, repeated fields, messages, enums), rendered with protobuf's
   * JSON mapping by a one-field holder message, so protobufjs does the conversion.
   */
  private fieldAsJson(field: protobuf.FieldBase, path: string): ValueWriter {
    const resolved = field.resolve().resolvedType;
    const typeName = resolved === null ? field.type : resolved.fullName;
    const copy = field.map
      ? new protobuf.MapField(field.name, field.id, (field as unknown as protobuf.MapField).keyType, typeName)
      : new protobuf.Field(field.name, field.id, typeName, field.repeated ? "repeated" : "optional");
    const holder = new protobuf.Type(`JetflowJsonHolder${++this.holders}`).add(copy);
    this.root.add(holder);
    holder.resolveAll();
    const name = field.name;
    return new JsonbWriter(path, this.capacity, (v) => {
      const object = holder.toObject({ [name]: v } as unknown as protobuf.Message, JSON_MAPPING);
      return JSON.stringify(object[name]);
    });
  }

  /** A map field into `struct<key K, value V>[]`. */
  private mapEntries(field: protobuf.MapField, column: SqlType, path: string): ValueWriter {
    const entry = column.kind === "list" ? column.element : undefined;
    if (entry?.kind !== "struct" || entry.fields.length !== 2) {
      throw mismatch(field, column, path, "a jsonb column or struct<key K, value V>[]");
    }
    const [keyField, valueField] = entry.fields as [(typeof entry.fields)[0], (typeof entry.fields)[0]];
    const keyWriter = planWriter(keyField.type, `${path}[].${keyField.name}`, this.capacity, this.ctx);
    const valueWriter = this.value(field, valueField.type, `${path}[].${valueField.name}`);
    const pairs = new PairWriter(
      arrowTypeOf(entry),
      `${path}[]`,
      [
        { key: new FieldKey(keyField.name), writer: keyWriter },
        { key: new FieldKey(valueField.name), writer: valueWriter },
      ],
      this.capacity,
    );
    return new MapEntriesWriter(arrowTypeOf(column), path, pairs, mapKeyReader(field.keyType));
  }
}

/** protobufjs keys maps by strings; 64-bit keys by an 8-character hash that `LongBits.fromHash` undoes. */
function mapKeyReader(keyType: string): MapKeyReader {
  if (LONG_KEY_TYPES.has(keyType)) {
    const unsigned = keyType === "uint64" || keyType === "fixed64";
    return (key) => protobuf.util.LongBits.fromHash(key).toLong(unsigned);
  }
  if (keyType === "bool") return (key) => key === "true";
  return (key) => key;
}

/** A message's field by name: exact, then ignoring ASCII case. */
export function findField(type: protobuf.Type, name: string): protobuf.Field | undefined {
  const exact = type.fields[name];
  if (exact !== undefined) return exact;
  return type.fieldsArray.find((f) => f.name.length === name.length && equalsIgnoreAsciiCase(f.name, name));
}

function mismatch(field: protobuf.FieldBase, column: SqlType, path: string, fits: string): SchemaError {
  const kind = field.map
    ? `map<${(field as unknown as protobuf.MapField).keyType}, ${field.type}>`
    : field.repeated
      ? `repeated ${field.type}`
      : field.type;
  return new SchemaError(
    `column "${path}" is ${formatSqlType(column)}, but protobuf field ${field.fullName.slice(1)} is ${kind}: it needs ${fits}`,
  );
}
