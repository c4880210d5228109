import type { SqlType } from "@jetflow/core";
import { allocValues, type Col, repOf } from "../columnar/col.js";
import {
  type Decimal,
  decimalFromDouble,
  decimalToBigInt,
  formatDecimal,
  numericSpecial,
  parseDecimal,
  roundDecimal,
  specialText,
} from "../columnar/decimal.js";
import { plainValues } from "../columnar/plain.js";
import type { EvalWarnings } from "./context.js";
import {
  formatDate,
  formatInterval,
  formatTimeOfDay,
  formatTimestamp,
  parseDate,
  parseInterval,
  parseTimeOfDay,
  parseTimestamp,
  splitMicros,
  US_PER_DAY,
} from "@jetflow/core";
import {
  formatBytea,
  formatFloat4,
  formatFloat8,
  normalizeJsonb,
  parseBoolText,
  parseBytea,
  parseFloatText,
  parseIntText,
} from "./text.js";
import { isIntegerType, isNumberType, sameType } from "./types.js";

/** A row value that does not convert (invalid text, out of range): the result is NULL, counted. */
const INVALID = Symbol("invalid");
const OVERFLOW = Symbol("overflow");
type Converted = unknown | typeof INVALID | typeof OVERFLOW;
type Convert = (v: never) => Converted;

const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  smallint: [-32768, 32767],
  integer: [-2147483648, 2147483647],
};
/** The bigint (int64) range. */
export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;

/** Round half to even, as PostgreSQL's float -> integer casts (rint) do. */
export function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function toInteger(kind: string): (v: bigint) => Converted {
  if (kind === "bigint") return (v) => (v < I64_MIN || v > I64_MAX ? OVERFLOW : v);
  const [lo, hi] = INT_RANGE[kind] as [number, number];
  return (v) => (v < BigInt(lo) || v > BigInt(hi) ? OVERFLOW : Number(v));
}

/** The converter between two scalar kinds, or undefined when PostgreSQL has no such cast. */
function converter(from: SqlType, to: SqlType): Convert | undefined {
  const f = from.kind;
  const t = to.kind;
  if (t === "varchar") return toText(from);
  if (f === "varchar") return fromText(to);
  if (isNumberType(from) && isNumberType(to)) return numberToNumber(from, to);
  if (f === "boolean" && isIntegerType(to)) return (v: boolean) => (t === "bigint" ? (v ? 1n : 0n) : v ? 1 : 0);
  if (isIntegerType(from) && t === "boolean") return (v: number | bigint) => v !== 0 && v !== 0n;
  if (f === "date" && (t === "timestamp" || t === "timestamptz")) return (v: number) => BigInt(v) * US_PER_DAY;
  if ((f === "timestamp" || f === "timestamptz") && t === "date") return (v: bigint) => splitMicros(v)[0];
  if ((f === "timestamp" || f === "timestamptz") && t === "time") return (v: bigint) => BigInt(splitMicros(v)[1]);
  if (f === "jsonb" && t === "jsonb") return (v: string) => v;
  return undefined;
}

function numberToNumber(from: SqlType, to: SqlType): Convert {
  const f = from.kind;
  const t = to.kind;
  if (isIntegerType(to)) {
    const fit = toInteger(t);
    if (f === "bigint") return fit as Convert;
    if (isIntegerType(from)) return (v: number) => fit(BigInt(v));
    if (f === "numeric") {
      return (v: string) => {
        const d = parseDecimal(v);
        return d === undefined ? INVALID : fit(decimalToBigInt(d));
      };
    }
    return (v: number) => (Number.isFinite(v) ? fit(BigInt(rint(v))) : OVERFLOW);
  }
  if (t === "numeric") {
    if (f === "bigint") return (v: bigint) => v.toString();
    if (isIntegerType(from)) return (v: number) => String(v);
    // NaN and ±Infinity become numeric's own NaN and ±Infinity (PostgreSQL 14+).
    if (f === "real") {
      return (v: number) => {
        if (!Number.isFinite(v)) return specialText(v);
        return formatDecimal(trimScale(parseDecimal(v.toPrecision(6)) as Decimal));
      };
    }
    return (v: number) => {
      const d = decimalFromDouble(v);
      return d === undefined ? specialText(v) : formatDecimal(d);
    };
  }
  // to real / double precision; like PostgreSQL, a finite value that does not fit is out of range
  const fit = (x: number): Converted => {
    if (t !== "real") return Number.isFinite(x) || f === "double precision" || f === "real" ? x : OVERFLOW;
    const r = Math.fround(x);
    return (!Number.isFinite(r) && Number.isFinite(x)) || (r === 0 && x !== 0) ? OVERFLOW : r;
  };
  if (f === "bigint") return (v: bigint) => fit(Number(v));
  if (f === "numeric") {
    // NaN and ±Infinity carry over; a finite numeric beyond the double range is out of range.
    return (v: string) => {
      const special = Number.isFinite(Number(v)) ? undefined : numericSpecial(v);
      return special === undefined ? fit(Number(v)) : t === "real" ? Math.fround(special) : special;
    };
  }
  return (v: number) => fit(v);
}

function trimScale(d: { u: bigint; s: number }): { u: bigint; s: number } {
  let { u, s } = d;
  while (s > 0 && u % 10n === 0n) {
    u /= 10n;
    s--;
  }
  return { u, s };
}

/** How PostgreSQL prints a value of `type` (its text output function). */
function toText(type: SqlType): Convert | undefined {
  switch (type.kind) {
    case "boolean":
      return (v: boolean) => (v ? "true" : "false");
    case "smallint":
    case "integer":
    case "bigint":
      return (v: number | bigint) => String(v);
    case "real":
      return formatFloat4 as Convert;
    case "double precision":
      return formatFloat8 as Convert;
    case "numeric":
    case "varchar":
    case "jsonb":
      return (v: string) => v;
    case "bytea":
      return formatBytea as Convert;
    case "date":
      return formatDate as Convert;
    case "time":
      return (v: bigint) => formatTimeOfDay(Number(v));
    case "timestamp":
      return (v: bigint) => formatTimestamp(v, false);
    case "timestamptz":
      return (v: bigint) => formatTimestamp(v, true);
    case "interval":
      return (v: [number, number, bigint]) => formatInterval(v[0], v[1], v[2]);
    default:
      return undefined;
  }
}

/** How PostgreSQL reads text as a value of `type` (its input function). */
function fromText(type: SqlType): Convert | undefined {
  switch (type.kind) {
    case "boolean":
      return (v: string) => parseBoolText(v) ?? INVALID;
    case "smallint":
    case "integer":
    case "bigint": {
      const fit = toInteger(type.kind);
      return (v: string) => {
        const i = parseIntText(v);
        return i === undefined ? INVALID : fit(i);
      };
    }
    case "real":
    case "double precision": {
      const fround = type.kind === "real" ? Math.fround : (x: number) => x;
      return (v: string) => {
        const x = parseFloatText(v);
        return x === undefined ? INVALID : fround(x);
      };
    }
    case "numeric":
      return (v: string) => {
        const d = parseDecimal(v);
        if (d !== undefined) return formatDecimal(d.s < 0 ? roundDecimal(d, 0) : d);
        const special = numericSpecial(v);
        return special === undefined ? INVALID : specialText(special);
      };
    case "jsonb":
      return (v: string) => normalizeJsonb(v) ?? INVALID;
    case "bytea":
      return (v: string) => parseBytea(v) ?? INVALID;
    case "date":
      return (v: string) => {
        const d = parseDate(v);
        if (d !== undefined) return d;
        const ts = parseTimestamp(v, false);
        return ts === undefined ? INVALID : splitMicros(ts)[0];
      };
    case "time":
      return (v: string) => {
        const t = parseTimeOfDay(v);
        return t === undefined ? INVALID : BigInt(t);
      };
    case "timestamp":
    case "timestamptz": {
      const tz = type.kind === "timestamptz";
      return (v: string) => parseTimestamp(v, tz) ?? INVALID;
    }
    case "interval":
      return (v: string) => parseInterval(v) ?? INVALID;
    default:
      return undefined;
  }
}

/** Whether `CAST(x AS to)` exists for a value of type `from`. */
export function canCast(from: SqlType, to: SqlType): boolean {
  if (sameType(from, to)) return true;
  if (
    (from.kind === "timestamp" || from.kind === "timestamptz") &&
    (to.kind === "timestamp" || to.kind === "timestamptz")
  )
    return true;
  return converter(from, to) !== undefined;
}

/** The natural JS value at each row, what converters take. */
function naturalValues(col: Col): ArrayLike<unknown> {
  const rep = repOf(col.type);
  if (rep === "bool" || rep === "interval" || rep === "nested") return plainValues(col);
  return col.values as ArrayLike<unknown>;
}

/**
 * Casts a column; rows that do not convert become NULL and are counted in `warnings`.
 * @throws TypeError when the cast does not exist (compile checks {@link canCast} first)
 */
export function castCol(col: Col, to: SqlType, warnings: EvalWarnings): Col {
  if (sameType(col.type, to)) return col;
  const rep = repOf(to);
  if (repOf(col.type) === "micros" && rep === "micros" && to.kind !== "time" && col.type.kind !== "time") {
    return { ...col, type: to }; // timestamp <-> timestamptz: same instant, session zone UTC
  }
  const convert = converter(col.type, to) as ((v: unknown) => Converted) | undefined;
  if (convert === undefined) throw new TypeError(`no cast from ${col.type.kind} to ${to.kind}`);
  const n = col.length;
  const src = naturalValues(col);
  const out = allocValues(to, n);
  let valid = col.valid;
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    const r = convert(src[i]);
    if (r === INVALID || r === OVERFLOW) {
      if (r === INVALID) warnings.invalidInput++;
      else warnings.overflow++;
      if (valid === col.valid) valid = col.valid === undefined ? new Uint8Array(n).fill(1) : col.valid.slice();
      (valid as Uint8Array)[i] = 0;
      continue;
    }
    setValue(out, rep, i, r);
  }
  return { type: to, length: n, values: out, valid };
}

/** Stores a natural JS value into a representation array. */
export function setValue(out: unknown, rep: string, i: number, v: unknown): void {
  if (rep === "bool") (out as Uint8Array)[i] = v ? 1 : 0;
  else if (rep === "interval") {
    const [m, d, ns] = v as [number, number, bigint];
    const o = out as Int32Array;
    o[4 * i] = m;
    o[4 * i + 1] = d;
    o[4 * i + 2] = Number(BigInt.asIntN(32, ns));
    o[4 * i + 3] = Number(BigInt.asIntN(32, ns >> 32n));
  } else (out as unknown[])[i] = v;
}

/** Casts one JS value (a literal) from `from` to `to`; undefined when it does not convert. */
export function castValue(value: unknown, from: SqlType, to: SqlType): unknown {
  if (sameType(from, to) || value === null) return value;
  if (
    (from.kind === "timestamp" || from.kind === "timestamptz") &&
    (to.kind === "timestamp" || to.kind === "timestamptz")
  )
    return value;
  const convert = converter(from, to) as ((v: unknown) => Converted) | undefined;
  if (convert === undefined) return undefined;
  const r = convert(value);
  return r === INVALID || r === OVERFLOW ? undefined : r;
}
