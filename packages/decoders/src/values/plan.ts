import { arrowTypeOf, type ScalarKind, type SqlType } from "@jetflow/core";
import { FieldKey } from "./field-lookup.js";
import { ListWriter, StructWriter } from "./nested-writers.js";
import { FloatWriter } from "./float-writer.js";
import { BigIntWriter, BooleanWriter, NumericWriter, SmallIntegerWriter } from "./number-writers.js";
import { ByteaWriter, JsonbWriter, VarcharWriter } from "./text-writers.js";
import { DateWriter, IntervalWriter, TimestampWriter, TimeWriter } from "./time-writers.js";
import type { ValueWriter, WriterContext } from "./value-writer.js";

type ScalarPlan = (path: string, capacity: number, ctx: WriterContext) => ValueWriter;

/** The writer of each scalar SQL type: the one place that maps types to conversion rules. */
const SCALAR_WRITERS: Readonly<Record<ScalarKind, ScalarPlan>> = {
  boolean: (path, capacity) => new BooleanWriter(path, capacity),
  smallint: (path, capacity) => new SmallIntegerWriter(path, capacity, 16),
  integer: (path, capacity) => new SmallIntegerWriter(path, capacity, 32),
  bigint: (path, capacity) => new BigIntWriter(path, capacity),
  real: (path, capacity) => new FloatWriter(path, capacity, 32),
  "double precision": (path, capacity) => new FloatWriter(path, capacity, 64),
  numeric: (path, capacity) => new NumericWriter(path, capacity),
  varchar: (path, capacity) => new VarcharWriter(path, capacity),
  bytea: (path, capacity) => new ByteaWriter(path, capacity),
  date: (path, capacity) => new DateWriter(path, capacity),
  time: (path, capacity) => new TimeWriter(path, capacity),
  timestamp: (path, capacity) => new TimestampWriter(path, capacity, "ignore", "guess"),
  timestamptz: (path, capacity, ctx) => new TimestampWriter(path, capacity, "apply", ctx.timestamptzNumbers),
  interval: (path, capacity) => new IntervalWriter(path, capacity),
  jsonb: (path, capacity, ctx) => new JsonbWriter(path, capacity, ctx.jsonText),
};

/**
 * Plans the writer of a column of `type` for schema-driven encodings (JSON, MessagePack):
 * once per decoder, so the per-row work is only the writers' own conversions.
 *
 * @param path the column's name (nested: `a.b`, list elements `a[]`), named in bad-value reasons
 */
export function planWriter(type: SqlType, path: string, capacity: number, ctx: WriterContext): ValueWriter {
  switch (type.kind) {
    case "struct":
      return new StructWriter(
        arrowTypeOf(type),
        path,
        type.fields.map((f) => ({
          key: new FieldKey(f.name),
          writer: planWriter(f.type, `${path}.${f.name}`, capacity, ctx),
        })),
        capacity,
      );
    case "list":
      return new ListWriter(arrowTypeOf(type), path, planWriter(type.element, `${path}[]`, capacity, ctx), capacity);
    default:
      return SCALAR_WRITERS[type.kind](path, capacity, ctx);
  }
}
