import type { SqlType } from "@jetflow/core";
import { andValid, type Col } from "../columnar/col.js";
import { formatDecimal } from "../columnar/decimal.js";
import { I64_MAX } from "./cast.js";
import type { EvalWarnings } from "./context.js";
import { civilFromDays, daysFromCivil, joinMicros, splitMicros, US_PER_DAY } from "@jetflow/core";
import { NUMERIC, TIMESTAMPTZ } from "./types.js";

/** date_trunc, extract / date_part and to_timestamp over microsecond timestamps (UTC). */

export const TRUNC_UNITS = [
  "microseconds",
  "milliseconds",
  "second",
  "minute",
  "hour",
  "day",
  "week",
  "month",
  "quarter",
  "year",
  "decade",
  "century",
  "millennium",
] as const;

const FIXED_US: Readonly<Record<string, number>> = {
  microseconds: 1,
  milliseconds: 1000,
  second: 1e6,
  minute: 60e6,
  hour: 3600e6,
};

/** Canonical unit name (PostgreSQL accepts plurals and a few abbreviations). */
export function canonicalUnit(unit: string): string {
  const u = unit.trim().toLowerCase();
  const aliases: Record<string, string> = {
    microsecond: "microseconds",
    us: "microseconds",
    millisecond: "milliseconds",
    ms: "milliseconds",
    seconds: "second",
    sec: "second",
    minutes: "minute",
    min: "minute",
    hours: "hour",
    days: "day",
    weeks: "week",
    months: "month",
    mon: "month",
    quarters: "quarter",
    years: "year",
    decades: "decade",
    centuries: "century",
    millennia: "millennium",
    millenniums: "millennium",
  };
  return aliases[u] ?? u;
}

/** Truncates microseconds since the epoch to the start of `unit`; undefined for an unknown unit. */
export function truncMicros(us: bigint, unit: string): bigint | undefined {
  const fixed = FIXED_US[unit];
  if (fixed !== undefined) {
    const f = BigInt(fixed);
    const r = us % f;
    return r < 0n ? us - r - f : us - r;
  }
  const [day] = splitMicros(us);
  if (unit === "day") return joinMicros(day, 0);
  if (unit === "week") return joinMicros(day - ((((day + 3) % 7) + 7) % 7), 0); // 1970-01-01 was a Thursday
  const [y, m] = civilFromDays(day);
  switch (unit) {
    case "month":
      return joinMicros(daysFromCivil(y, m, 1), 0);
    case "quarter":
      return joinMicros(daysFromCivil(y, Math.floor((m - 1) / 3) * 3 + 1, 1), 0);
    case "year":
      return joinMicros(daysFromCivil(y, 1, 1), 0);
    case "decade":
      return joinMicros(daysFromCivil(Math.floor(y / 10) * 10, 1, 1), 0);
    case "century":
      return joinMicros(daysFromCivil(Math.floor((y - 1) / 100) * 100 + 1, 1, 1), 0);
    case "millennium":
      return joinMicros(daysFromCivil(Math.floor((y - 1) / 1000) * 1000 + 1, 1, 1), 0);
    default:
      return undefined;
  }
}

/** date_trunc(unit, ts): `units` per row (usually one literal); dates are truncated as timestamptz. */
export function dateTrunc(units: Col, ts: Col, type: SqlType, w: EvalWarnings): Col {
  const n = ts.length;
  const valid = andValid(units.valid, ts.valid, n)?.slice() ?? new Uint8Array(n).fill(1);
  const u = units.values as string[];
  const isDate = ts.type.kind === "date";
  const x = ts.values as BigInt64Array | Int32Array;
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    if (valid[i] === 0) continue;
    const us = isDate ? BigInt(x[i] as number) * US_PER_DAY : (x[i] as bigint);
    const r = truncMicros(us, canonicalUnit(u[i] as string));
    if (r === undefined) {
      w.invalidInput++;
      valid[i] = 0;
      continue;
    }
    out[i] = r;
  }
  return { type, length: n, values: out, valid };
}

function pad6(n: number): string {
  return String(n).padStart(6, "0");
}

/** ISO 8601 week number and week-year of a day number. */
function isoWeek(day: number): [week: number, year: number] {
  const isoDow = ((((day + 3) % 7) + 7) % 7) + 1; // Monday = 1
  const thursday = day - isoDow + 4;
  const [y] = civilFromDays(thursday);
  return [Math.floor((thursday - daysFromCivil(y, 1, 1)) / 7) + 1, y];
}

/**
 * One field of a timestamp (microseconds) as numeric text, with PostgreSQL 14's scales:
 * `second` and `epoch` have 6 decimals, `milliseconds` 3, the rest are integers.
 */
export function extractField(field: string, us: bigint, timeOnly: boolean): string | undefined {
  const [day, usOfDay] = splitMicros(us);
  const secUs = usOfDay % 60_000_000;
  switch (field) {
    case "microseconds":
      return String(secUs);
    case "milliseconds":
      return `${Math.floor(secUs / 1000)}.${String(secUs % 1000).padStart(3, "0")}`;
    case "second":
      return `${Math.floor(secUs / 1e6)}.${pad6(secUs % 1e6)}`;
    case "minute":
      return String(Math.floor(usOfDay / 60e6) % 60);
    case "hour":
      return String(Math.floor(usOfDay / 3600e6));
    case "epoch":
      return formatDecimal({ u: us, s: 6 });
  }
  if (timeOnly) return undefined;
  const [y, m, d] = civilFromDays(day);
  switch (field) {
    case "day":
      return String(d);
    case "month":
      return String(m);
    case "year":
      return String(y);
    case "quarter":
      return String(Math.floor((m - 1) / 3) + 1);
    case "dow":
      return String((((day + 4) % 7) + 7) % 7); // Sunday = 0
    case "isodow":
      return String(((((day + 3) % 7) + 7) % 7) + 1);
    case "doy":
      return String(day - daysFromCivil(y, 1, 1) + 1);
    case "week":
      return String(isoWeek(day)[0]);
    case "isoyear":
      return String(isoWeek(day)[1]);
    case "decade":
      return String(Math.floor(y / 10));
    case "century":
      return String(y > 0 ? Math.floor((y - 1) / 100) + 1 : -(Math.floor(-y / 100) + 1));
    case "millennium":
      return String(y > 0 ? Math.floor((y - 1) / 1000) + 1 : -(Math.floor(-y / 1000) + 1));
    default:
      return undefined;
  }
}

/** extract(field FROM x) -> numeric text (date_part casts the result to double). */
export function extract(fields: Col, x: Col, w: EvalWarnings): Col {
  const n = x.length;
  const valid = andValid(fields.valid, x.valid, n)?.slice() ?? new Uint8Array(n).fill(1);
  const f = fields.values as string[];
  const kind = x.type.kind;
  const v = x.values as BigInt64Array | Int32Array;
  const out = new Array<string>(n).fill("");
  for (let i = 0; i < n; i++) {
    if (valid[i] === 0) continue;
    const us = kind === "date" ? BigInt(v[i] as number) * US_PER_DAY : (v[i] as bigint);
    let field = canonicalUnit(f[i] as string);
    if (field === "microsecond") field = "microseconds";
    const r = extractField(field, us, kind === "time");
    if (r === undefined) {
      w.invalidInput++;
      valid[i] = 0;
      continue;
    }
    out[i] = kind === "date" && field === "epoch" ? r.replace(/\.0+$/, "") : r;
  }
  return { type: NUMERIC, length: n, values: out, valid };
}

/**
 * to_timestamp(seconds since the epoch) -> timestamptz. Where PostgreSQL raises "timestamp out of
 * range" (before 4714-11-24 BC, from 294277 AD on) and for NaN and infinities, NULL (counted);
 * also past 294247-01-10, where int64 microseconds since 1970 end.
 */
export function toTimestamp(seconds: Col, w: EvalWarnings): Col {
  const n = seconds.length;
  const x = seconds.values as Float64Array;
  const out = new BigInt64Array(n);
  let valid = seconds.valid;
  for (let i = 0; i < n; i++) {
    if (valid !== undefined && valid[i] === 0) continue;
    const us = epochMicros(x[i] as number);
    if (us === undefined) {
      w.overflow++;
      if (valid === seconds.valid) valid = valid === undefined ? new Uint8Array(n).fill(1) : valid.slice();
      (valid as Uint8Array)[i] = 0;
      continue;
    }
    out[i] = us;
  }
  return { type: TIMESTAMPTZ, length: n, values: out, valid };
}

/** Seconds from the Unix epoch to PostgreSQL's (2000-01-01). */
const PG_EPOCH_SECONDS = 946_684_800;
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/**
 * Microseconds since the Unix epoch of `s` seconds, rounded as PostgreSQL's to_timestamp does:
 * shifted to its 2000-01-01 epoch first, then scaled and rounded half to even (`rint`), so a
 * value halfway between two microseconds lands where PostgreSQL puts it. Undefined outside
 * PostgreSQL's range.
 */
function epochMicros(s: number): bigint | undefined {
  // NaN compares false, so it falls outside like the infinities.
  if (!(s >= MIN_SECONDS && s < END_SECONDS)) return undefined;
  const x = (s - PG_EPOCH_SECONDS) * 1e6;
  const f = Math.floor(x);
  const d = x - f;
  const r = BigInt(d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f);
  // Rounding can still step past the range (PostgreSQL checks again too).
  if (r < MIN_PG_MICROS || r >= END_PG_MICROS) return undefined;
  const us = r + PG_EPOCH_MICROS;
  // A timestamp is int64 microseconds since 1970, which ends 30 years before PostgreSQL's range.
  return us > I64_MAX ? undefined : us;
}

/** PostgreSQL's float8 to_timestamp range, in Unix seconds: julian day 0 up to its timestamp end. */
const MIN_SECONDS = -210_866_803_200;
const END_SECONDS = 9_224_318_016_000;
/** Its valid timestamps, in microseconds since 2000-01-01 (MIN_TIMESTAMP, END_TIMESTAMP). */
const MIN_PG_MICROS = -211_813_488_000_000_000n;
const END_PG_MICROS = 9_223_371_331_200_000_000n;
