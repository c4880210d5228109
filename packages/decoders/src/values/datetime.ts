/**
 * Text and epoch-number readers for date, time, timestamp and timestamptz, without `Date`
 * objects (which stop at milliseconds) — values are microseconds, like PostgreSQL.
 */

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_DAY = 86_400_000_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A microsecond count: a JS number when it is a safe integer, else a BigInt. */
export type Micros = number | bigint;

const DATE = /^([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})$/;
const TIME = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,12}))?)?$/;
const TIMESTAMP =
  /^([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})(?:[Tt ]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,12}))?)?\s*(Z|z|UTC|GMT|[+-]\d{1,2}(?::?\d{2}){0,2})?)?$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function civilDays(y: string, mo: string, d: string): number | undefined {
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day);
}

/** `HH:MM[:SS[.ffffff]]` parts to microseconds of the day; fractions round to the microsecond. */
function timeOfDay(h: string, mi: string, s: string | undefined, fraction: string | undefined): number | undefined {
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (minute > 59 || second > 59) return undefined;
  const micros = fraction === undefined ? 0 : Math.round(Number(`0.${fraction}`) * MICROS_PER_SECOND);
  if (hour > 24 || (hour === 24 && (minute > 0 || second > 0 || micros > 0))) return undefined;
  return ((hour * 60 + minute) * 60 + second) * MICROS_PER_SECOND + micros;
}

/** `YYYY-MM-DD` to days since the epoch. */
export function parseDate(text: string): number | undefined {
  const m = DATE.exec(text);
  return m === null ? undefined : civilDays(m[1]!, m[2]!, m[3]!);
}

/** `HH:MM[:SS[.ffffff]]` (up to `24:00:00`) to microseconds since midnight. */
export function parseTime(text: string): number | undefined {
  const m = TIME.exec(text);
  return m === null ? undefined : timeOfDay(m[1]!, m[2]!, m[3], m[4]);
}

/** How a timestamp text's zone is treated. */
export type ZoneRule =
  /** `timestamp`: a zone suffix is accepted and ignored (PostgreSQL keeps the wall-clock time). */
  | "ignore"
  /** `timestamptz`: the instant is shifted by the zone; text without a zone is UTC. */
  | "apply";

/**
 * `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][zone]` to microseconds since the epoch. The zone is `Z`,
 * `UTC`, `GMT`, or `±HH[:MM[:SS]]` / `±HHMM`.
 */
export function parseTimestamp(text: string, zone: ZoneRule): Micros | undefined {
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const days = civilDays(m[1]!, m[2]!, m[3]!);
  if (days === undefined) return undefined;
  const time = m[4] === undefined ? 0 : timeOfDay(m[4], m[5]!, m[6], m[7]);
  if (time === undefined) return undefined;
  let offset = 0;
  if (zone === "apply" && m[8] !== undefined) {
    const z = zoneOffsetSeconds(m[8]);
    if (z === undefined) return undefined;
    offset = z;
  }
  return micros(days * 86_400 - offset, time);
}

function zoneOffsetSeconds(zone: string): number | undefined {
  const sign = zone[0];
  if (sign !== "+" && sign !== "-") return 0;
  const digits = zone.slice(1).replaceAll(":", "");
  const parts = digits.length <= 2 ? [digits] : [digits.slice(0, 2), digits.slice(2, 4), digits.slice(4, 6)];
  const [h = 0, m = 0, s = 0] = parts.map(Number);
  if (h > 15 || m > 59 || s > 59) return undefined;
  const seconds = h * 3600 + m * 60 + s;
  return sign === "-" ? -seconds : seconds;
}

/** `seconds * 1e6 + micros` exactly, as a number when safe. */
export function micros(seconds: number, extraMicros: number): Micros {
  const total = seconds * MICROS_PER_SECOND + extraMicros;
  if (Number.isSafeInteger(total)) return total;
  return BigInt(seconds) * 1_000_000n + BigInt(extraMicros);
}

/** True when a microsecond count fits the signed 64-bit column. */
export function inInt64Range(value: Micros): boolean {
  return typeof value === "number" || (value >= INT64_MIN && value <= INT64_MAX);
}

/** The unit of an epoch number in a timestamp column. */
export type EpochUnit = "guess" | "second" | "milli" | "micro";

const E11 = 100_000_000_000;
const E14 = 100_000_000_000_000;
const E17 = 100_000_000_000_000_000;

/**
 * An epoch number to microseconds. `guess` reads the unit from the magnitude like
 * RisingWave: below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else
 * nanoseconds — right for every instant from 1973-03-03 to 5138-11-16. Fractions round to
 * the microsecond; nanoseconds truncate (like RisingWave).
 */
export function epochMicros(value: number, unit: EpochUnit): Micros | undefined {
  if (!Number.isFinite(value)) return undefined;
  const factor = unitFactor(Math.abs(value), unit);
  const us = factor >= 1 ? Math.round(value * factor) : Math.trunc(value / 1000);
  if (Number.isSafeInteger(us)) return us;
  // Integral seconds/millis times 10^k are exact doubles; beyond 2^53 go through BigInt.
  return Number.isInteger(us) ? BigInt(us) : undefined;
}

/** The BigInt form of {@link epochMicros}, for integers beyond 2^53 (long literals, int64). */
export function epochMicrosBig(value: bigint, unit: EpochUnit): bigint {
  const abs = value < 0n ? -value : value;
  const factor = unitFactor(abs < BigInt(E17) ? Number(abs) : E17, unit);
  return factor >= 1 ? value * BigInt(factor) : value / 1000n;
}

/** Multiplier to microseconds; 0 means nanoseconds (divide by 1000). */
function unitFactor(magnitude: number, unit: EpochUnit): number {
  switch (unit) {
    case "second":
      return MICROS_PER_SECOND;
    case "milli":
      return 1000;
    case "micro":
      return 1;
    case "guess":
      return magnitude < E11 ? MICROS_PER_SECOND : magnitude < E14 ? 1000 : magnitude < E17 ? 1 : 0;
  }
}
