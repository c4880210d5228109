/**
 * Interval text in PostgreSQL's forms: verbose (`1 year 2 mons 3 days 04:05:06.5`,
 * `3 hours ago`, `@ 1 minute`) and ISO 8601 (`P1Y2M3DT4H5M6.5S`, `PT0.5S`, `-P1D`).
 * Like PostgreSQL, fractions cascade down: `1.5 years` is 1 year 6 months, `1.5 months`
 * 1 month 15 days, `1.5 days` 1 day 12 hours.
 */

import { MICROS_PER_DAY, MICROS_PER_SECOND } from "./datetime.js";

/** Arrow's MonthDayNano parts, with the sub-day part in microseconds. */
export interface IntervalParts {
  months: number;
  days: number;
  micros: number;
}

type Unit = "microsecond" | "millisecond" | "second" | "minute" | "hour" | "day" | "week" | "month" | "year";

const UNITS: Readonly<Record<string, readonly [Unit, number]>> = {};
function units(unit: Unit, scale: number, ...names: string[]): void {
  for (const n of names) (UNITS as Record<string, readonly [Unit, number]>)[n] = [unit, scale];
}
units("microsecond", 1, "microsecond", "microseconds", "usec", "usecs", "us");
units("millisecond", 1, "millisecond", "milliseconds", "msec", "msecs", "ms");
units("second", 1, "second", "seconds", "sec", "secs", "s");
units("minute", 1, "minute", "minutes", "min", "mins", "m");
units("hour", 1, "hour", "hours", "hr", "hrs", "h");
units("day", 1, "day", "days", "d");
units("week", 1, "week", "weeks", "w");
units("month", 1, "month", "months", "mon", "mons");
units("year", 1, "year", "years", "yr", "yrs", "y");
units("year", 10, "decade", "decades");
units("year", 100, "century", "centuries");
units("year", 1000, "millennium", "millennia", "millenniums");

const MICROS_PER: Readonly<Record<Unit, number>> = {
  microsecond: 1,
  millisecond: 1000,
  second: MICROS_PER_SECOND,
  minute: 60 * MICROS_PER_SECOND,
  hour: 3600 * MICROS_PER_SECOND,
  day: MICROS_PER_DAY,
  week: 7 * MICROS_PER_DAY,
  month: 0,
  year: 0,
};

class Accumulator {
  months = 0;
  days = 0;
  micros = 0;

  add(unit: Unit, amount: number): void {
    if (unit === "year" || unit === "month") {
      const months = unit === "year" ? amount * 12 : amount;
      const whole = Math.trunc(months);
      this.months += whole;
      // PostgreSQL: a fractional year stops at whole months; a fractional month goes on as 30-day days.
      if (unit === "month") this.addDays((months - whole) * 30);
      return;
    }
    if (unit === "day" || unit === "week") {
      this.addDays(unit === "week" ? amount * 7 : amount);
      return;
    }
    this.micros += amount * MICROS_PER[unit];
  }

  private addDays(days: number): void {
    const whole = Math.trunc(days);
    this.days += whole;
    this.micros += (days - whole) * MICROS_PER_DAY;
  }

  result(negate: boolean): IntervalParts | undefined {
    const sign = negate ? -1 : 1;
    const micros = Math.round(this.micros) * sign;
    const months = this.months * sign;
    const days = this.days * sign;
    if (!Number.isSafeInteger(micros) || !isInt32(months) || !isInt32(days)) return undefined;
    // Normalise -0 so equal intervals compare equal.
    return { months: months + 0, days: days + 0, micros: micros + 0 };
  }
}

function isInt32(n: number): boolean {
  return Number.isInteger(n) && n >= -2147483648 && n <= 2147483647;
}

const ISO =
  /^([+-])?P(?!$)(?:([+-]?\d+(?:[.,]\d+)?)Y)?(?:([+-]?\d+(?:[.,]\d+)?)M)?(?:([+-]?\d+(?:[.,]\d+)?)W)?(?:([+-]?\d+(?:[.,]\d+)?)D)?(?:T(?!$)(?:([+-]?\d+(?:[.,]\d+)?)H)?(?:([+-]?\d+(?:[.,]\d+)?)M)?(?:([+-]?\d+(?:[.,]\d+)?)S)?)?$/i;
const ISO_UNITS: readonly Unit[] = ["year", "month", "week", "day", "hour", "minute", "second"];
const CLOCK = /^([+-])?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Parses interval text; undefined when it is not an interval.
 *
 * @example parseInterval("1 day 02:00:00") // { months: 0, days: 1, micros: 7_200_000_000 }
 */
export function parseInterval(text: string): IntervalParts | undefined {
  const trimmed = text.trim();
  if (trimmed.length === 0) return undefined;
  const iso = ISO.exec(trimmed);
  if (iso !== null) return parseIso(iso);
  return parseVerbose(trimmed);
}

function parseIso(m: RegExpExecArray): IntervalParts | undefined {
  const acc = new Accumulator();
  for (let k = 0; k < ISO_UNITS.length; k++) {
    const part = m[k + 2];
    if (part !== undefined) acc.add(ISO_UNITS[k]!, Number(part.replace(",", ".")));
  }
  return acc.result(m[1] === "-");
}

function parseVerbose(text: string): IntervalParts | undefined {
  const tokens = text.toLowerCase().split(/\s+/);
  const acc = new Accumulator();
  let negate = false;
  let i = tokens[0] === "@" ? 1 : 0;
  if (i === tokens.length) return undefined;
  for (; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === "ago" && i === tokens.length - 1 && i > 0) {
      negate = true;
      continue;
    }
    const clock = CLOCK.exec(token);
    if (clock !== null) {
      const sign = clock[1] === "-" ? -1 : 1;
      const minutes = Number(clock[3]);
      if (minutes > 59) return undefined;
      acc.add("hour", sign * Number(clock[2]));
      acc.add("minute", sign * minutes);
      if (clock[4] !== undefined) acc.add("second", sign * Number(clock[4]));
      continue;
    }
    // `5 days`, `5days`, or a bare number (seconds, as in PostgreSQL).
    const glued = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([a-z]+)$/.exec(token);
    let amount: number;
    let unitName: string | undefined;
    if (glued !== null) {
      amount = Number(glued[1]);
      unitName = glued[2];
    } else if (NUMBER.test(token)) {
      amount = Number(token);
      const next = tokens[i + 1];
      if (next !== undefined && UNITS[next] !== undefined) {
        unitName = next;
        i++;
      } else {
        unitName = "second";
      }
    } else {
      return undefined;
    }
    const unit = UNITS[unitName!];
    if (unit === undefined) return undefined;
    acc.add(unit[0], amount * unit[1]);
  }
  return acc.result(negate);
}
