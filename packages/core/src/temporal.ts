/**
 * Calendar arithmetic on microsecond timestamps and day numbers, without Date objects
 * (proleptic Gregorian, UTC: jetflow's session time zone is UTC, like RisingWave's default),
 * and the PostgreSQL text of dates, times, timestamps and intervals: one place for what the
 * operators (casts, rows()) and the CLI's output print.
 */

export const US_PER_SECOND = 1_000_000n;
export const US_PER_DAY = 86_400_000_000n;
const US_PER_DAY_N = 86_400_000_000;

/** Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** [year, month 1-12, day 1-31] of a day number. */
export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [y + (m <= 2 ? 1 : 0), m, d];
}

/** Splits microseconds into [day number, microseconds into the day]. */
export function splitMicros(us: bigint): [number, number] {
  let days = us / US_PER_DAY;
  let rem = us % US_PER_DAY;
  if (rem < 0n) {
    rem += US_PER_DAY;
    days -= 1n;
  }
  return [Number(days), Number(rem)];
}

export function joinMicros(days: number, usOfDay: number): bigint {
  return BigInt(days) * US_PER_DAY + BigInt(usOfDay);
}

function daysInMonth(y: number, m: number): number {
  return daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - daysFromCivil(y, m, 1);
}

/** Adds an interval (months, days, nanoseconds) to a timestamp, PostgreSQL-style (months clamp the day). */
export function addInterval(us: bigint, months: number, days: number, nanos: bigint): bigint {
  let [day, usOfDay] = splitMicros(us);
  if (months !== 0) {
    const [y, m, d] = civilFromDays(day);
    const total = y * 12 + (m - 1) + months;
    const ny = Math.floor(total / 12);
    const nm = total - ny * 12 + 1;
    day = daysFromCivil(ny, nm, Math.min(d, daysInMonth(ny, nm)));
  }
  day += days;
  return joinMicros(day, usOfDay) + nanos / 1000n;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function formatYear(y: number): string {
  return y > 0 ? pad(y, 4) : `${pad(1 - y, 4)}`;
}

export function formatDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${formatYear(y)}-${pad(m, 2)}-${pad(d, 2)}${y > 0 ? "" : " BC"}`;
}

/** `HH:MM:SS[.ffffff]` as PostgreSQL prints a time (fraction without trailing zeros). */
export function formatTimeOfDay(us: number): string {
  const h = Math.floor(us / 3_600_000_000);
  const mi = Math.floor(us / 60_000_000) % 60;
  const s = Math.floor(us / 1_000_000) % 60;
  const f = us % 1_000_000;
  const frac = f === 0 ? "" : `.${pad(f, 6).replace(/0+$/, "")}`;
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}`;
}

/** PostgreSQL text of a timestamp; with `tz`, the UTC offset `+00` is appended. */
export function formatTimestamp(us: bigint, tz: boolean): string {
  const [day, usOfDay] = splitMicros(us);
  const [y, m, d] = civilFromDays(day);
  const bc = y > 0 ? "" : " BC";
  return `${formatYear(y)}-${pad(m, 2)}-${pad(d, 2)} ${formatTimeOfDay(usOfDay)}${tz ? "+00" : ""}${bc}`;
}

/**
 * ISO-8601 text with always 6 fractional digits (`2024-01-01T00:00:00.000000Z`): lossless for
 * microseconds, and fixed-width so the texts sort like the instants (for years 0000-9999).
 */
export function isoTimestamp(us: bigint, tz: boolean): string {
  const [day, usOfDay] = splitMicros(us);
  const [y, m, d] = civilFromDays(day);
  const h = Math.floor(usOfDay / 3_600_000_000);
  const mi = Math.floor(usOfDay / 60_000_000) % 60;
  const s = Math.floor(usOfDay / 1_000_000) % 60;
  const f = usOfDay % 1_000_000;
  const frac = pad(f, 6);
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? "-" : "+") + pad(Math.abs(y), 6);
  return `${year}-${pad(m, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${frac}${tz ? "Z" : ""}`;
}

/**
 * PostgreSQL's default (`postgres` style) interval text, e.g. `1 year 2 mons 3 days 04:05:06`,
 * as its EncodeInterval writes it: a unit is plural unless the value is exactly 1 (`-1 days`),
 * and a field after a negative one carries an explicit `+` (`-1 days +02:00:00`).
 */
export function formatInterval(months: number, days: number, nanos: bigint): string {
  const parts: string[] = [];
  let before = false; // the previous field was negative
  const field = (value: number, unit: string) => {
    if (value === 0) return;
    parts.push(`${before && value > 0 ? "+" : ""}${value} ${unit}${value === 1 ? "" : "s"}`);
    before = value < 0;
  };
  field(Math.trunc(months / 12), "year");
  field(months % 12, "mon");
  field(days, "day");
  const us = nanos / 1000n;
  if (us !== 0n || parts.length === 0) {
    const neg = us < 0n;
    const abs = Number(neg ? -us : us);
    const h = Math.floor(abs / 3_600_000_000);
    const rest = formatTimeOfDay(abs % 3_600_000_000).slice(2);
    parts.push(`${neg ? "-" : before ? "+" : ""}${pad(h, 2)}${rest}`);
  }
  return parts.join(" ");
}

const DATE_RE = /^\s*(\d{1,6})-(\d{1,2})-(\d{1,2})/;
const TIME_RE = /^[T\s]\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?/;
const ZONE_RE = /^\s*(?:(Z|UTC|GMT)|([+-])(\d{1,2})(?::?(\d{2}))?)\s*$/i;

/** Parses `HH:MM[:SS[.ffffff]]`; microseconds of the day, or undefined. */
export function parseTimeOfDay(text: string): number | undefined {
  const m = TIME_RE.exec(` ${text.trim()}`);
  if (m === null || m[0].length !== text.trim().length + 1) return undefined;
  return timeOfDay(m);
}

function timeOfDay(m: RegExpExecArray): number | undefined {
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const s = m[3] === undefined ? 0 : Number(m[3]);
  const f = m[4] === undefined ? 0 : Math.round(Number(`0.${m[4]}`) * 1e6);
  if (h > 24 || mi > 59 || s > 60) return undefined;
  return ((h * 60 + mi) * 60 + s) * 1e6 + f;
}

/** Parses `YYYY-MM-DD`; a day number, or undefined. */
export function parseDate(text: string): number | undefined {
  const m = DATE_RE.exec(text);
  if (m === null || text.slice(m[0].length).trim() !== "") return undefined;
  return validDays(Number(m[1]), Number(m[2]), Number(m[3]));
}

function validDays(y: number, mo: number, d: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  return daysFromCivil(y, mo, d);
}

/**
 * Parses `YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|±HH[:MM]]` into microseconds since the epoch.
 * A zone offset shifts to UTC when `tz`; a plain timestamp ignores it, as PostgreSQL does.
 */
export function parseTimestamp(text: string, tz: boolean): bigint | undefined {
  const dm = DATE_RE.exec(text);
  if (dm === null) return undefined;
  const days = validDays(Number(dm[1]), Number(dm[2]), Number(dm[3]));
  if (days === undefined) return undefined;
  let rest = text.slice(dm[0].length);
  let us = 0;
  const tm = TIME_RE.exec(rest);
  if (tm !== null) {
    const t = timeOfDay(tm);
    if (t === undefined) return undefined;
    us = t;
    rest = rest.slice(tm[0].length);
  }
  let offsetUs = 0;
  if (rest.trim() !== "") {
    const zm = ZONE_RE.exec(rest);
    if (zm === null) return undefined;
    if (zm[2] !== undefined) {
      const sign = zm[2] === "-" ? -1 : 1;
      offsetUs = sign * (Number(zm[3]) * 3600 + Number(zm[4] ?? 0) * 60) * 1e6;
    }
  }
  return joinMicros(days, us) - BigInt(tz ? offsetUs : 0);
}

const INTERVAL_UNITS: Readonly<Record<string, [kind: "m" | "d" | "us", factor: number]>> = {
  microsecond: ["us", 1],
  millisecond: ["us", 1000],
  second: ["us", 1e6],
  sec: ["us", 1e6],
  s: ["us", 1e6],
  minute: ["us", 60e6],
  min: ["us", 60e6],
  m: ["us", 60e6],
  hour: ["us", 3600e6],
  hr: ["us", 3600e6],
  h: ["us", 3600e6],
  day: ["d", 1],
  d: ["d", 1],
  week: ["d", 7],
  w: ["d", 7],
  month: ["m", 1],
  mon: ["m", 1],
  year: ["m", 12],
  yr: ["m", 12],
  y: ["m", 12],
  decade: ["m", 120],
  century: ["m", 1200],
};

/**
 * Parses PostgreSQL interval text: `1 day`, `2 hours 30 minutes`, `-1 year`, `00:05:00`,
 * `1 day 02:00:00`. Returns [months, days, nanoseconds] or undefined.
 */
export function parseInterval(text: string): [number, number, bigint] | undefined {
  let months = 0;
  let days = 0;
  let us = 0;
  const tokens = text.trim().toLowerCase().replace(/,/g, " ").split(/\s+/);
  if (tokens.length === 0 || tokens[0] === "") return undefined;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i] as string;
    const hms = /^([+-]?)(\d+):(\d{2})(?::(\d{2}(?:\.\d+)?))?$/.exec(tok);
    if (hms !== null) {
      const sign = hms[1] === "-" ? -1 : 1;
      us += sign * ((Number(hms[2]) * 60 + Number(hms[3])) * 60 + Number(hms[4] ?? 0)) * 1e6;
      continue;
    }
    const num = /^([+-]?\d+(?:\.\d+)?)([a-z]*)$/.exec(tok);
    if (num === null) return undefined;
    let unitText = num[2] as string;
    if (unitText === "") {
      unitText = tokens[++i] ?? "second";
    }
    const unit = INTERVAL_UNITS[unitText.replace(/s$/, "")] ?? INTERVAL_UNITS[unitText];
    if (unit === undefined) return undefined;
    const v = Number(num[1]) * unit[1];
    if (unit[0] === "m") months += v;
    else if (unit[0] === "d") days += v;
    else us += v;
  }
  // Fractions cascade down like PostgreSQL: 1.5 months = 1 month 15 days, 1.5 days = 1 day 12 hours.
  const wholeMonths = Math.trunc(months);
  days += (months - wholeMonths) * 30;
  const wholeDays = Math.trunc(days);
  us += (days - wholeDays) * US_PER_DAY_N;
  return [wholeMonths, wholeDays, BigInt(Math.round(us)) * 1000n];
}
