import type { ChangeBatch } from "@jetflow/core";
import { decodedChange } from "./decoded-change.js";

/** A column of every SQL type jetflow has, by name. */
export const ALL_TYPES = {
  id: "integer",
  i16: "smallint",
  big: "bigint",
  f32: "real",
  f64: "double precision",
  num: "numeric",
  txt: "varchar",
  doc: "jsonb",
  bin: "bytea",
  ok: "boolean",
  day: "date",
  tod: "time",
  ts: "timestamp",
  tstz: "timestamptz",
  span: "interval",
  rec: "struct<a integer, b varchar, c timestamptz>",
  arr: "bigint[]",
} as const;

/** Row k of a change over {@link ALL_TYPES}: every column NULL on every 5th row but the id. */
export function allTypesRow(k: number): Record<string, unknown> {
  const row: Record<string, unknown> = {
    id: k,
    i16: (k % 100) - 50,
    big: String(2n ** 62n + BigInt(k)),
    f32: k / 4,
    f64: k / 3,
    num: `${k}.${String(k).padStart(3, "0")}0`,
    txt: `región-${k % 7}-ü😀`,
    doc: { k, tags: ["a", k % 2 === 0] },
    bin: Buffer.from([k & 255, 0, 255]).toString("base64"),
    ok: k % 2 === 0,
    day: `2024-0${(k % 9) + 1}-1${k % 10}`,
    tod: `1${k % 10}:3${k % 10}:00.12345${k % 10}`,
    ts: `2024-05-01T12:00:0${k % 10}.00000${k % 10}`,
    tstz: `2024-05-01T12:00:0${k % 10}Z`,
    span: `${k % 5} days 0${k % 10}:00:00`,
    rec: { a: k, b: k % 3 === 0 ? null : `b${k}`, c: "2024-05-01T00:00:00Z" },
    arr: [k, null, 2 ** 40],
  };
  if (k % 5 === 4) for (const c of Object.keys(row)) if (c !== "id") row[c] = null;
  return row;
}

/** `n` rows over {@link ALL_TYPES} from `first`, every third one a retraction. */
export function allTypesChange(first: number, n: number): Promise<ChangeBatch> {
  const ids = Array.from({ length: n }, (_, i) => first + i);
  return decodedChange(
    ALL_TYPES,
    ids.map(allTypesRow),
    ids.map((k) => (k % 3 === 2 ? -1 : 1)),
  );
}
