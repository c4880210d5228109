import { DateDay, IntervalMonthDayNano, TimeMicrosecond, TimestampMicrosecond } from "apache-arrow";
import { IntervalColumn, Int64Column, NumberColumn } from "../columns/fixed-columns.js";
import { badValue } from "./bad-value.js";
import {
  type EpochUnit,
  epochMicros,
  epochMicrosBig,
  inInt64Range,
  MICROS_PER_DAY,
  type Micros,
  parseDate,
  parseTime,
  parseTimestamp,
  type ZoneRule,
} from "./datetime.js";
import { parseInterval } from "./interval.js";
import { namedColumn } from "./named-column.js";
import type { ValueWriter } from "./value-writer.js";
import { isLong, LongNumber, longToBigInt } from "./wide-numbers.js";

const INTEGER_TEXT = /^[+-]?\d+$/;
const MS_PER_DAY = 86_400_000;

/** `date`: `YYYY-MM-DD` text, an integer count of days since 1970-01-01, or a date-time value (its UTC day). */
export class DateWriter extends namedColumn(NumberColumn, DateDay) implements ValueWriter {
  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    let days: number | undefined;
    if (typeof value === "string") days = parseDate(value);
    else if (typeof value === "number") days = Number.isInteger(value) ? value : undefined;
    else if (typeof value === "bigint") days = Number(value);
    else if (value instanceof Date) days = Math.floor(value.getTime() / MS_PER_DAY);
    else if (typeof value === "object" && isLong(value)) days = value.toNumber();
    if (days === undefined || !(days >= -2147483648 && days <= 2147483647)) {
      throw badValue(this.path, "expected a date (YYYY-MM-DD, or integer days since 1970-01-01)", value);
    }
    this.push(days);
  }
}

/** `time`: `HH:MM[:SS[.ffffff]]` text, or an integer count of microseconds since midnight. */
export class TimeWriter extends namedColumn(Int64Column, TimeMicrosecond) implements ValueWriter {
  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    let micros: number | undefined;
    if (typeof value === "string") micros = parseTime(value);
    else if (typeof value === "number") micros = Number.isInteger(value) ? value : undefined;
    else if (typeof value === "bigint") micros = Number(value);
    else if (typeof value === "object" && isLong(value)) micros = value.toNumber();
    if (micros === undefined || !(micros >= 0 && micros <= MICROS_PER_DAY)) {
      throw badValue(this.path, "expected a time (HH:MM:SS[.ffffff], or integer microseconds since midnight)", value);
    }
    this.pushSafe(micros);
  }
}

/**
 * `timestamp` and `timestamptz`: ISO-8601 / PostgreSQL text, epoch numbers (unit by
 * `numbers`; see `epochMicros`) and date-time values (MessagePack timestamps, in
 * milliseconds). `timestamp` ignores a zone suffix; `timestamptz` applies it and reads
 * text without one as UTC.
 */
export class TimestampWriter extends namedColumn(Int64Column) implements ValueWriter {
  private readonly rule: string;

  constructor(
    path: string,
    capacity: number,
    private readonly zone: ZoneRule,
    private readonly numbers: EpochUnit | "reject",
  ) {
    super(path, capacity, new TimestampMicrosecond(zone === "apply" ? "UTC" : null));
    const name = zone === "apply" ? "timestamptz" : "timestamp";
    this.rule =
      numbers === "reject"
        ? `expected a ${name} (ISO-8601 text)`
        : `expected a ${name} (ISO-8601 text, or epoch ${numbers === "guess" ? "seconds/ms/µs/ns" : numbers === "milli" ? "milliseconds" : numbers === "micro" ? "microseconds" : "seconds"})`;
  }

  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    const micros = this.microsOf(value);
    if (micros === undefined || !inInt64Range(micros)) throw badValue(this.path, this.rule, value);
    this.writeMicros(micros);
  }

  /** Appends microseconds since the epoch (already range-checked). */
  writeMicros(micros: Micros): void {
    if (typeof micros === "number") this.pushSafe(micros);
    else this.pushBigInt(micros);
  }

  private microsOf(value: unknown): Micros | undefined {
    switch (typeof value) {
      case "string":
        return parseTimestamp(value, this.zone);
      case "number":
        return this.numbers === "reject" ? undefined : epochMicros(value, this.numbers);
      case "bigint":
        return this.numbers === "reject" ? undefined : epochMicrosBig(value, this.numbers);
      case "object":
        if (value instanceof Date) {
          const ms = value.getTime();
          return Number.isNaN(ms) ? undefined : ms * 1000;
        }
        if (this.numbers === "reject" || value === null) return undefined;
        if (value instanceof LongNumber) {
          return INTEGER_TEXT.test(value.text)
            ? epochMicrosBig(BigInt(value.text), this.numbers)
            : epochMicros(Number(value.text), this.numbers);
        }
        if (isLong(value)) return epochMicrosBig(longToBigInt(value), this.numbers);
        return undefined;
      default:
        return undefined;
    }
  }
}

/** `interval`: PostgreSQL or ISO-8601 interval text (see `interval.ts`). */
export class IntervalWriter extends namedColumn(IntervalColumn, IntervalMonthDayNano) implements ValueWriter {
  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    const parts = typeof value === "string" ? parseInterval(value) : undefined;
    if (parts === undefined) {
      throw badValue(this.path, "expected an interval ('1 day 02:00:00', 'P1DT2H', '3 hours')", value);
    }
    this.push(parts.months, parts.days, parts.micros);
  }

  /** Appends a duration of `seconds` and `micros` (protobuf Duration): no months or days, like PostgreSQL's `make_interval(secs => ...)`. */
  writeDuration(seconds: number, micros: number): void {
    const total = seconds * 1_000_000 + micros;
    if (Number.isSafeInteger(total)) this.push(0, 0, total);
    else this.pushNanos(0, 0, (BigInt(seconds) * 1_000_000n + BigInt(micros)) * 1000n);
  }
}
