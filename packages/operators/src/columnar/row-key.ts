import type { SqlType } from "@jetflow/core";
import type { StoreKey } from "@jetflow/state";
import { type Col, repOf } from "./col.js";
import { normalizeDecimalText } from "./decimal.js";
import { type Plain, plainValues } from "./plain.js";

/**
 * Row keys: the string a state store keys a row (or a group, or a primary key) by.
 *
 * The encoding is exact (two keys are equal iff the values are) and needs no escaping, because
 * every part either cannot contain the next part's start or carries its own length:
 * - NULL: `~`
 * - boolean: `t` / `f`
 * - numbers (smallint, integer, real, double, date days): JS `String(n)` + `,` (shortest exact
 *   round-trip text; `-0` prints as `0`, which SQL treats as equal; NaN is `NaN`)
 * - bigint, time and timestamps (bigint microseconds): decimal digits + `,`
 * - numeric: canonical decimal text + `,`; in group and primary keys trailing fractional zeros
 *   are dropped so `1.0` and `1.00` are one key (SQL equality), in row identity they are kept
 * - varchar, jsonb: `<length>:` + the text; bytea: `<length>:` + the bytes as Latin-1 characters
 * - interval: `months,days,nanos,`; struct and list: `<length>:` + a JSON text of the plain value
 *   (bigint as `"<digits>n"`, bytes as hex)
 * The column types at each position are fixed per operator, so no type tag is needed.
 */
export function keyPart(value: Plain, type: SqlType, normalizeNumeric: boolean): string {
  if (value === null || value === undefined) return "~";
  switch (repOf(type)) {
    case "bool":
      return value ? "t" : "f";
    case "str": {
      const s = value as string;
      if (type.kind === "numeric") return `${normalizeNumeric ? normalizeDecimalText(s) : s},`;
      return `${s.length}:${s}`;
    }
    case "bytes": {
      const s = latin1(value as Uint8Array);
      return `${s.length}:${s}`;
    }
    case "interval": {
      const [m, d, ns] = value as [number, number, bigint];
      return `${m},${d},${ns},`;
    }
    case "nested": {
      const s = JSON.stringify(value, jsonReplacer);
      return `${s.length}:${s}`;
    }
    default:
      return `${value as number | bigint},`;
  }
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  return v;
}

/**
 * The key of every row over the given columns (plain values per column), into `out`.
 * One pass per column, appending its part to each row's key.
 */
export function rowKeys(
  columns: readonly (readonly Plain[])[],
  types: readonly SqlType[],
  n: number,
  normalizeNumeric: boolean,
): string[] {
  const out = new Array<string>(n).fill("");
  columns.forEach((values, c) => {
    const type = types[c] as SqlType;
    const rep = repOf(type);
    // Fast paths for the common key types; keyPart handles the rest.
    if (rep === "i32" || rep === "i16" || rep === "f64" || rep === "i64" || rep === "micros" || rep === "date") {
      for (let i = 0; i < n; i++) {
        const v = values[i];
        out[i] += v === null ? "~" : `${v as number},`;
      }
    } else if (rep === "str" && type.kind !== "numeric") {
      for (let i = 0; i < n; i++) {
        const v = values[i] as string | null;
        out[i] += v === null ? "~" : `${v.length}:${v}`;
      }
    } else {
      for (let i = 0; i < n; i++) out[i] += keyPart(values[i], type, normalizeNumeric);
    }
  });
  return out;
}

const TWO_32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * {@link rowKeys} read straight from columns (no plain-value arrays, no BigInt per 64-bit
 * integer): the same strings, so keys stay comparable with stored ones.
 */
export function colKeys(cols: readonly Col[], n: number, normalizeNumeric: boolean): string[] {
  const out = new Array<string>(n).fill("");
  for (const col of cols) {
    const valid = col.valid;
    switch (repOf(col.type)) {
      case "i16":
      case "i32":
      case "f32":
      case "f64":
      case "date": {
        const v = col.values as Float64Array;
        for (let i = 0; i < n; i++) out[i] += valid !== undefined && valid[i] === 0 ? "~" : `${v[i] as number},`;
        break;
      }
      case "i64":
      case "micros": {
        const v = col.values as BigInt64Array;
        if (!LITTLE_ENDIAN) {
          for (let i = 0; i < n; i++) out[i] += valid !== undefined && valid[i] === 0 ? "~" : `${v[i] as bigint},`;
          break;
        }
        const words = new Int32Array(v.buffer, v.byteOffset, 2 * n);
        for (let i = 0; i < n; i++) {
          if (valid !== undefined && valid[i] === 0) {
            out[i] += "~";
            continue;
          }
          const hi = words[2 * i + 1] as number;
          // |value| < 2^53: the number prints the same digits as the BigInt, without allocating one.
          out[i] +=
            hi >= -2097152 && hi < 2097152
              ? `${hi * TWO_32 + ((words[2 * i] as number) >>> 0)},`
              : `${v[i] as bigint},`;
        }
        break;
      }
      case "str": {
        if (col.type.kind === "numeric") {
          const plain = plainValues(col);
          for (let i = 0; i < n; i++) out[i] += keyPart(plain[i], col.type, normalizeNumeric);
          break;
        }
        const v = col.values as string[];
        for (let i = 0; i < n; i++) {
          const s = v[i] as string;
          out[i] += valid !== undefined && valid[i] === 0 ? "~" : `${s.length}:${s}`;
        }
        break;
      }
      default: {
        const plain = plainValues(col);
        for (let i = 0; i < n; i++) out[i] += keyPart(plain[i], col.type, normalizeNumeric);
      }
    }
  }
  return out;
}

/** The representations whose one-column keys can be the number itself (see {@link scalarKeys}). */
const SCALAR = new Set(["i16", "i32", "i64", "micros", "f32", "f64", "date"]);

/** Whether a key over columns of these types is one number per row: {@link scalarKeys} applies. */
export function hasScalarKeys(types: readonly SqlType[]): boolean {
  return types.length === 1 && SCALAR.has(repOf(types[0] as SqlType));
}

/**
 * Keys over ONE numeric column as the numbers themselves, so a store's Map hashes a number
 * instead of building and hashing a string per row. Exact like {@link colKeys}: a 64-bit integer
 * is a number while |value| < 2^53; beyond that, NULL and NaN it is its {@link keyPart} string,
 * which no number equals. `-0` and `0` are one key (SQL equality, and Map's).
 */
export function scalarKeys(col: Col, n: number): StoreKey[] {
  const out = new Array<StoreKey>(n);
  const valid = col.valid;
  const rep = repOf(col.type);
  if (rep === "i64" || rep === "micros") {
    const v = col.values as BigInt64Array;
    const words = new Int32Array(v.buffer, v.byteOffset, 2 * n);
    for (let i = 0; i < n; i++) {
      if (valid !== undefined && valid[i] === 0) {
        out[i] = "~";
        continue;
      }
      const hi = LITTLE_ENDIAN ? (words[2 * i + 1] as number) : (words[2 * i] as number);
      const lo = LITTLE_ENDIAN ? (words[2 * i] as number) : (words[2 * i + 1] as number);
      out[i] = hi >= -2097152 && hi < 2097152 ? hi * TWO_32 + (lo >>> 0) : `${v[i] as bigint},`;
    }
    return out;
  }
  const v = col.values as Float64Array;
  for (let i = 0; i < n; i++) {
    const x = v[i] as number;
    out[i] = valid !== undefined && valid[i] === 0 ? "~" : Number.isNaN(x) ? "NaN," : x;
  }
  return out;
}

/** Exact equality of two plain values of one type (numeric text compared as written: 1.0 <> 1.00; NaN equals NaN). */
export function sameValue(x: Plain, y: Plain, type: SqlType): boolean {
  if (x === y || (Number.isNaN(x) && Number.isNaN(y))) return true;
  if (x === null || y === null || typeof x !== "object") return false;
  return keyPart(x, type, false) === keyPart(y, type, false);
}

/** Exact equality of two rows of plain values, column by column ({@link sameValue}). */
export function sameRow(a: readonly Plain[], b: readonly Plain[], types: readonly SqlType[]): boolean {
  for (let c = 0; c < a.length; c++) if (!sameValue(a[c], b[c], types[c] as SqlType)) return false;
  return true;
}
