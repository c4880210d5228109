import type { SqlType } from "../sql-type.js";
import {
  bigintCell,
  byteaCell,
  type Cell,
  dateCell,
  float4Value,
  intervalCell,
  jsonbCell,
  listCell,
  NULL_CELL,
  numberCell,
  numericCell,
  structCell,
  textCell,
  timeCell,
  timestampCell,
} from "./cell.js";

/**
 * A value as operator state keeps it (a "plain" value: numbers, bigint microseconds, decimal
 * text, `Uint8Array`, `[months, days, nanos]`, objects and arrays) as the CLI prints it: the
 * same {@link Cell} that {@link cellAt} reads from an Arrow column holding that value. A lookup
 * by key formats the rows it found this way, with no Arrow table in between.
 * @example
 * ```ts
 * plainCell(1714564800000000n, { kind: "timestamptz" }).json; // "\"2024-05-01T12:00:00Z\""
 * ```
 */
export function plainCell(value: unknown, type: SqlType): Cell {
  if (value === null || value === undefined) return NULL_CELL;
  switch (type.kind) {
    case "boolean":
      return { json: value === true ? "true" : "false", key: value === true };
    case "smallint":
    case "integer":
    case "double precision":
      return numberCell(value as number);
    case "real":
      // What a Float32 column would hold, printed as PostgreSQL prints a real.
      return numberCell(float4Value(Math.fround(value as number)));
    case "bigint":
      return bigintCell(BigInt(value as bigint));
    case "numeric":
      return numericCell(value as string);
    case "varchar":
      return textCell(value as string);
    case "jsonb":
      return jsonbCell(value as string);
    case "bytea":
      return byteaCell(value as Uint8Array);
    case "date":
      return dateCell(value as number);
    case "time":
      return timeCell(BigInt(value as bigint));
    case "timestamp":
    case "timestamptz":
      return timestampCell(BigInt(value as bigint));
    case "interval": {
      const [months, days, nanos] = value as [number, number, bigint];
      return intervalCell(months, days, BigInt(nanos));
    }
    case "struct": {
      const fields = value as Record<string, unknown>;
      return structCell(
        type.fields.map((f) => f.name),
        type.fields.map((f) => plainCell(fields[f.name], f.type).json),
      );
    }
    case "list":
      return listCell((value as readonly unknown[]).map((v) => plainCell(v, type.element).json));
  }
}
