import type { SqlType } from "../sql-type.js";
import { formatDate, formatInterval, formatTimeOfDay, isoTimestamp } from "../temporal.js";
import type { Data } from "apache-arrow";

/**
 * One output value: `json` is its JSON text (the CLI contract), `key` what rows sort by
 * (null sorts last, like PostgreSQL's ascending order).
 */
export interface Cell {
  readonly json: string;
  readonly key: number | bigint | string | boolean | null;
}

export const NULL_CELL: Cell = { json: "null", key: null };

/**
 * Reads row `i` of a column chunk as the CLI prints it. Values are read from the Arrow buffers
 * directly where Arrow's own getters lose precision (timestamps and times in microseconds).
 * - bigint: a JSON number when it is a safe integer, else a string;
 * - numeric: a JSON number when a double holds it exactly, else its decimal text as a string;
 * - timestamp / timestamptz: ISO-8601 UTC (`2024-05-01T12:00:00.000Z`, six fraction digits when
 *   the microseconds need them); date `YYYY-MM-DD`; time `HH:MM:SS[.ffffff]`;
 * - bytea: PostgreSQL hex text `\x0a0b`; jsonb: the JSON value itself; interval: PostgreSQL text;
 * - struct: an object; list: an array.
 */
export function cellAt(data: Data, i: number, type: SqlType): Cell {
  if (!data.getValid(i)) return NULL_CELL;
  const values = data.values as ArrayLike<unknown>;
  switch (type.kind) {
    case "boolean": {
      const b = ((data.values as Uint8Array)[(data.offset + i) >> 3] as number) & (1 << ((data.offset + i) & 7));
      return { json: b !== 0 ? "true" : "false", key: b !== 0 };
    }
    case "smallint":
    case "integer":
    case "double precision":
      return numberCell(values[i] as number);
    case "real":
      return numberCell(float4Value(values[i] as number));
    case "bigint":
      return bigintCell(values[i] as bigint);
    case "numeric":
      return numericCell(utf8At(data, i));
    case "varchar":
      return textCell(utf8At(data, i));
    case "jsonb":
      return jsonbCell(utf8At(data, i));
    case "bytea":
      return byteaCell(binaryAt(data, i));
    case "date":
      return dateCell(values[i] as number);
    case "time":
      return timeCell(BigInt(values[i] as bigint));
    case "timestamp":
    case "timestamptz":
      return timestampCell(BigInt(values[i] as bigint));
    case "interval": {
      const v = data.values as Int32Array;
      return intervalCell(v[4 * i] as number, v[4 * i + 1] as number, nanosAt(v, i));
    }
    case "struct":
      return structCell(
        type.fields.map((f) => f.name),
        type.fields.map((f, k) => cellAt(data.children[k] as Data, i, f.type).json),
      );
    case "list": {
      const offsets = data.valueOffsets as Int32Array;
      const child = data.children[0] as Data;
      const items: string[] = [];
      for (let j = offsets[i] as number; j < (offsets[i + 1] as number); j++)
        items.push(cellAt(child, j, type.element).json);
      return listCell(items);
    }
  }
}

// One builder per type of what a value prints as, whether read from an Arrow column (cellAt) or
// from operator state (plainCell).

export function textCell(s: string): Cell {
  return { json: JSON.stringify(s), key: s };
}

/** jsonb is stored as its JSON text, printed as that JSON value. */
export function jsonbCell(s: string): Cell {
  return { json: s, key: s };
}

/** PostgreSQL's hex text, `\\x0a0b`. */
export function byteaCell(bytes: Uint8Array): Cell {
  return textCell(`\\x${Buffer.from(bytes).toString("hex")}`);
}

export function dateCell(days: number): Cell {
  return { json: JSON.stringify(formatDate(days)), key: days };
}

export function timeCell(us: bigint): Cell {
  return { json: JSON.stringify(formatTimeOfDay(Number(us))), key: us };
}

export function timestampCell(us: bigint): Cell {
  return { json: JSON.stringify(timestampText(us)), key: us };
}

export function intervalCell(months: number, days: number, nanos: bigint): Cell {
  return textCell(formatInterval(months, days, nanos));
}

/** An object of the fields' JSON texts, in field order. */
export function structCell(names: readonly string[], jsons: readonly string[]): Cell {
  const json = `{${names.map((n, k) => `${JSON.stringify(n)}:${jsons[k]}`).join(",")}}`;
  return { json, key: json };
}

/** An array of the items' JSON texts. */
export function listCell(jsons: readonly string[]): Cell {
  const json = `[${jsons.join(",")}]`;
  return { json, key: json };
}

export function numberCell(n: number): Cell {
  if (Number.isFinite(n)) return { json: JSON.stringify(n), key: n };
  const text = Number.isNaN(n) ? "NaN" : n > 0 ? "Infinity" : "-Infinity";
  return { json: JSON.stringify(text), key: n };
}

/**
 * The shortest decimal that reads back as the same float4, as PostgreSQL prints a real:
 * 0.1 stored in 32 bits is 0.10000000149011612 as a double, but prints as 0.1.
 */
export function float4Value(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let digits = 1; digits <= 9; digits++) {
    const shorter = Number(x.toPrecision(digits));
    if (Math.fround(shorter) === x) return shorter;
  }
  return x;
}

export function bigintCell(v: bigint): Cell {
  const safe = v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER);
  return { json: safe ? v.toString() : JSON.stringify(v.toString()), key: v };
}

/** A numeric's text is printed as a number when a double holds the same value exactly. */
export function numericCell(text: string): Cell {
  const n = Number(text);
  const exact = Number.isFinite(n) && canonicalDecimal(String(n)) === canonicalDecimal(text);
  return { json: exact ? JSON.stringify(n) : JSON.stringify(text), key: exact ? n : text };
}

/** `-001.2300` -> `-1.23`; exponent forms are expanded so both sides compare alike. */
function canonicalDecimal(text: string): string {
  let t = text.trim();
  if (/e/i.test(t)) t = expandExponent(t);
  const neg = t.startsWith("-");
  t = t.replace(/^[-+]/, "");
  let [int = "0", frac = ""] = t.split(".");
  int = int.replace(/^0+(?=\d)/, "");
  frac = frac.replace(/0+$/, "");
  const body = frac === "" ? int : `${int}.${frac}`;
  return neg && body !== "0" ? `-${body}` : body;
}

function expandExponent(t: string): string {
  const m = /^([-+]?)(\d*)(?:\.(\d*))?e([-+]?\d+)$/i.exec(t);
  if (m === null) return t;
  const digits = `${m[2] ?? ""}${m[3] ?? ""}`;
  const point = (m[2] ?? "").length + Number(m[4]);
  if (point <= 0) return `${m[1]}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${m[1]}${digits}${"0".repeat(point - digits.length)}`;
  return `${m[1]}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const decoder = new TextDecoder();

function utf8At(data: Data, i: number): string {
  return decoder.decode(binaryAt(data, i));
}

function binaryAt(data: Data, i: number): Uint8Array {
  const offsets = data.valueOffsets as Int32Array;
  return (data.values as Uint8Array).subarray(offsets[i] as number, offsets[i + 1] as number);
}

/** Microseconds since the epoch -> ISO-8601 UTC, milliseconds unless the microseconds need six digits. */
export function timestampText(us: bigint): string {
  const iso = isoTimestamp(us, true);
  return iso.endsWith("000Z") ? `${iso.slice(0, -4)}Z` : iso;
}

function nanosAt(v: Int32Array, i: number): bigint {
  const lo = BigInt((v[4 * i + 2] as number) >>> 0);
  const hi = BigInt(v[4 * i + 3] as number);
  return (hi << 32n) + lo;
}
