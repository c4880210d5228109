import type { SqlType } from "../sql-type.js";
import { formatDate, formatInterval, formatTimeOfDay } from "../temporal.js";
import { bigintCell, type Cell, float4Value, NULL_CELL, numberCell, numericCell, timestampText } from "./cell.js";

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
    case "varchar": {
      const s = value as string;
      return { json: JSON.stringify(s), key: s };
    }
    case "jsonb": {
      const s = value as string;
      return { json: s, key: s };
    }
    case "bytea": {
      const hex = `\\x${Buffer.from(value as Uint8Array).toString("hex")}`;
      return { json: JSON.stringify(hex), key: hex };
    }
    case "date": {
      const days = value as number;
      return { json: JSON.stringify(formatDate(days)), key: days };
    }
    case "time": {
      const us = BigInt(value as bigint);
      return { json: JSON.stringify(formatTimeOfDay(Number(us))), key: us };
    }
    case "timestamp":
    case "timestamptz": {
      const us = BigInt(value as bigint);
      return { json: JSON.stringify(timestampText(us)), key: us };
    }
    case "interval": {
      const [months, days, nanos] = value as [number, number, bigint];
      const text = formatInterval(months, days, BigInt(nanos));
      return { json: JSON.stringify(text), key: text };
    }
    case "struct": {
      const fields = value as Record<string, unknown>;
      const parts = type.fields.map((f) => `${JSON.stringify(f.name)}:${plainCell(fields[f.name], f.type).json}`);
      const json = `{${parts.join(",")}}`;
      return { json, key: json };
    }
    case "list": {
      const json = `[${(value as readonly unknown[]).map((v) => plainCell(v, type.element).json).join(",")}]`;
      return { json, key: json };
    }
  }
}
