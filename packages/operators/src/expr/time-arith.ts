import type { SqlType } from "@jetflow/core";
import { andValid, type Col } from "../columnar/col.js";
import { intervalParts, NullMarker } from "./arith.js";
import { I64_MAX, I64_MIN, rint } from "./cast.js";
import type { EvalWarnings } from "./context.js";
import { US_PER_DAY } from "@jetflow/core";

/**
 * Date, time and interval arithmetic beyond timestamp ± interval (arith.ts): date + time,
 * time ± interval, time - time, interval * and / a number, as PostgreSQL computes them.
 */

/** date + time -> timestamp (the time of day on that date). */
export function datePlusTime(date: Col, time: Col, type: SqlType): Col {
  const n = date.length;
  const valid = andValid(date.valid, time.valid, n);
  const out = new BigInt64Array(n);
  const d = date.values as Int32Array;
  const t = time.values as BigInt64Array;
  for (let i = 0; i < n; i++) out[i] = BigInt(d[i] as number) * US_PER_DAY + (t[i] as bigint);
  return { type, length: n, values: out, valid };
}

/**
 * time ± interval -> time, wrapping around midnight. Like PostgreSQL only the interval's time
 * part counts (`TIME '23:00' + INTERVAL '1 day 2 hours'` is 01:00).
 */
export function timePlusInterval(time: Col, iv: Col, sign: 1 | -1, type: SqlType): Col {
  const n = time.length;
  const valid = andValid(time.valid, iv.valid, n);
  const out = new BigInt64Array(n);
  const t = time.values as BigInt64Array;
  const y = iv.values as Int32Array;
  for (let i = 0; i < n; i++) {
    const us = intervalParts(y, i)[2] / 1000n;
    let r = ((t[i] as bigint) + BigInt(sign) * us) % US_PER_DAY;
    if (r < 0n) r += US_PER_DAY;
    out[i] = r;
  }
  return { type, length: n, values: out, valid };
}

/** time - time -> interval (microseconds, no days). */
export function timeDiff(a: Col, b: Col, type: SqlType): Col {
  const n = a.length;
  const valid = andValid(a.valid, b.valid, n);
  const out = new Int32Array(4 * n);
  const x = a.values as BigInt64Array;
  const y = b.values as BigInt64Array;
  for (let i = 0; i < n; i++) {
    const ns = ((x[i] as bigint) - (y[i] as bigint)) * 1000n;
    out[4 * i + 2] = Number(BigInt.asIntN(32, ns));
    out[4 * i + 3] = Number(BigInt.asIntN(32, ns >> 32n));
  }
  return { type, length: n, values: out, valid };
}

const DAYS_PER_MONTH = 30;
const SECS_PER_DAY = 86_400;
const INT32_MAX = 2147483647;
/** PostgreSQL's TSROUND: to the microsecond of a value in seconds or days. */
const tsRound = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * interval * double and interval / double, as PostgreSQL's interval_mul / interval_div: months and
 * days scale as whole numbers and their fractions cascade down (a month is 30 days, a day
 * 86400 s). Division by zero and results beyond the interval range are NULL (counted); so is a
 * time part beyond int64 nanoseconds, which PostgreSQL's microseconds would still hold.
 */
export function intervalScale(iv: Col, factor: Col, divide: boolean, type: SqlType, w: EvalWarnings): Col {
  const n = iv.length;
  const nulls = new NullMarker(andValid(iv.valid, factor.valid, n), n);
  const out = new Int32Array(4 * n);
  const x = iv.values as Int32Array;
  const f = factor.values as Float64Array;
  for (let i = 0; i < n; i++) {
    if (nulls.isNull(i)) continue;
    const k = f[i] as number;
    if (divide && k === 0) {
      w.divisionByZero++;
      nulls.mark(i);
      continue;
    }
    const [m, d, ns] = intervalParts(x, i);
    const scale = (v: number) => (divide ? v / k : v * k);
    const monthD = scale(m);
    const dayD = scale(d);
    if (!Number.isFinite(k) || Math.abs(monthD) > INT32_MAX || Math.abs(dayD) > INT32_MAX) {
      w.overflow++;
      nulls.mark(i);
      continue;
    }
    const month = Math.trunc(monthD);
    let day = Math.trunc(dayD);
    const monthRemainderDays = tsRound((monthD - month) * DAYS_PER_MONTH);
    let secRemainder = tsRound((dayD - day + monthRemainderDays - Math.trunc(monthRemainderDays)) * SECS_PER_DAY);
    if (Math.abs(secRemainder) >= SECS_PER_DAY) {
      const whole = Math.trunc(secRemainder / SECS_PER_DAY);
      day += whole;
      secRemainder -= whole * SECS_PER_DAY;
    }
    day += Math.trunc(monthRemainderDays);
    const us = rint(scale(Number(ns / 1000n)) + secRemainder * 1e6);
    // Past 2^53 the double is still a whole number, as PostgreSQL's int64 cast takes it.
    const outNs = Number.isFinite(us) ? BigInt(us) * 1000n : undefined;
    // The time part is int64 nanoseconds (Arrow's MonthDayNano): ±292 years, where PostgreSQL's µs reach ±292,000.
    if (outNs === undefined || outNs > I64_MAX || outNs < I64_MIN || Math.abs(day) > INT32_MAX) {
      w.overflow++;
      nulls.mark(i);
      continue;
    }
    out[4 * i] = month;
    out[4 * i + 1] = day;
    out[4 * i + 2] = Number(BigInt.asIntN(32, outNs));
    out[4 * i + 3] = Number(BigInt.asIntN(32, outNs >> 32n));
  }
  return { type, length: n, values: out, valid: nulls.valid };
}
