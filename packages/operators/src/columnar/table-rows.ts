import type { SqlType } from "@jetflow/core";
import { type Schema, Table } from "apache-arrow";
import { batchOf, repOf, toArrow } from "./col.js";
import { formatDate, formatInterval, formatTimeOfDay, isoTimestamp } from "@jetflow/core";
import { fromPlain, type Plain } from "./plain.js";

/** An Arrow Table of `schema` from rows of plain values (one batch; an empty table when no rows). */
export function tableOf(schema: Schema, types: readonly SqlType[], rows: Iterable<readonly Plain[]>): Table {
  const columns: Plain[][] = types.map(() => []);
  let n = 0;
  for (const row of rows) {
    for (let c = 0; c < columns.length; c++) (columns[c] as Plain[]).push(row[c]);
    n++;
  }
  const data = columns.map((values, c) => toArrow(fromPlain(values, types[c] as SqlType)));
  return new Table([batchOf(schema, data, n)]);
}

/**
 * A plain value as `rows()` returns it to users:
 * bigint stays bigint; numeric and jsonb are their text; bytea a Uint8Array;
 * timestamptz an ISO-8601 string in UTC (`2024-01-01T00:00:00.000000Z`, always 6 fractional digits
 * so the text sorts like the time), timestamp the same without `Z`; date `YYYY-MM-DD`; time `HH:MM:SS[.ffffff]`;
 * interval PostgreSQL's text (`1 day 02:00:00`); struct a plain object; list an array.
 */
export function jsValue(v: Plain, type: SqlType): unknown {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case "timestamp":
    case "timestamptz":
      return isoTimestamp(v as bigint, type.kind === "timestamptz");
    case "date":
      return formatDate(v as number);
    case "time":
      return formatTimeOfDay(Number(v as bigint));
    case "interval": {
      const [m, d, ns] = v as [number, number, bigint];
      return formatInterval(m, d, ns);
    }
    case "struct": {
      const out: Record<string, unknown> = {};
      for (const f of type.fields) out[f.name] = jsValue((v as Record<string, Plain>)[f.name] ?? null, f.type);
      return out;
    }
    case "list":
      return (v as Plain[]).map((x) => jsValue(x, type.element));
    default:
      return repOf(type) === "bytes" ? v : v;
  }
}

/** A row of plain values as a JS object keyed by column name. */
export function jsRow(
  names: readonly string[],
  types: readonly SqlType[],
  row: readonly Plain[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let c = 0; c < names.length; c++) out[names[c] as string] = jsValue(row[c], types[c] as SqlType);
  return out;
}
