import type { SqlType } from "@jetflow/core";
import { allocValues, andValid, type Col, repOf } from "../columnar/col.js";
import {
  addDecimal,
  type Decimal,
  divDecimal,
  formatDecimal,
  modDecimal,
  mulDecimal,
  negDecimal,
  numericSpecial,
  parseDecimal,
  specialText,
  subDecimal,
} from "../columnar/decimal.js";
import type { EvalWarnings } from "./context.js";
import { addInterval, US_PER_DAY } from "@jetflow/core";

export type ArithOp = "+" | "-" | "*" | "/" | "%";

/** Rows that turned NULL during a kernel: copies the input validity on first use. */
export class NullMarker {
  valid: Uint8Array | undefined;
  private owned = false;
  constructor(
    base: Uint8Array | undefined,
    private readonly n: number,
  ) {
    this.valid = base;
  }
  isNull(i: number): boolean {
    return this.valid !== undefined && this.valid[i] === 0;
  }
  mark(i: number): void {
    if (!this.owned) {
      this.valid = this.valid === undefined ? new Uint8Array(this.n).fill(1) : this.valid.slice();
      this.owned = true;
    }
    (this.valid as Uint8Array)[i] = 0;
  }
}

const INT_LIMITS: Readonly<Record<string, readonly [number, number]>> = {
  i16: [-32768, 32767],
  i32: [-2147483648, 2147483647],
};

/**
 * `a op b` where both columns already have the result type (a number type).
 * Integer division truncates; division by zero and overflow give NULL and are counted.
 */
export function arithNumbers(op: ArithOp, a: Col, b: Col, type: SqlType, w: EvalWarnings): Col {
  const n = a.length;
  const nulls = new NullMarker(andValid(a.valid, b.valid, n), n);
  const rep = repOf(type);
  const out = allocValues(type, n);
  if (rep === "i16" || rep === "i32") {
    const [lo, hi] = INT_LIMITS[rep] as [number, number];
    const x = a.values as Int32Array;
    const y = b.values as Int32Array;
    const o = out as Int32Array;
    for (let i = 0; i < n; i++) {
      if (nulls.isNull(i)) continue;
      const p = x[i] as number;
      const q = y[i] as number;
      let r: number;
      if (op === "+") r = p + q;
      else if (op === "-") r = p - q;
      else if (op === "*") r = p * q;
      else if (q === 0) {
        w.divisionByZero++;
        nulls.mark(i);
        continue;
      } else r = op === "/" ? Math.trunc(p / q) : p % q;
      if (r < lo || r > hi) {
        w.overflow++;
        nulls.mark(i);
        continue;
      }
      o[i] = r;
    }
  } else if (rep === "i64") {
    const x = a.values as BigInt64Array;
    const y = b.values as BigInt64Array;
    const o = out as BigInt64Array;
    for (let i = 0; i < n; i++) {
      if (nulls.isNull(i)) continue;
      const p = x[i] as bigint;
      const q = y[i] as bigint;
      let r: bigint;
      if (op === "+") r = p + q;
      else if (op === "-") r = p - q;
      else if (op === "*") r = p * q;
      else if (q === 0n) {
        w.divisionByZero++;
        nulls.mark(i);
        continue;
      } else r = op === "/" ? p / q : p % q;
      if (BigInt.asIntN(64, r) !== r) {
        w.overflow++;
        nulls.mark(i);
        continue;
      }
      o[i] = r;
    }
  } else if (rep === "f32" || rep === "f64") {
    const x = a.values as Float64Array;
    const y = b.values as Float64Array;
    const o = out as Float64Array;
    const f32 = rep === "f32";
    for (let i = 0; i < n; i++) {
      if (nulls.isNull(i)) continue;
      const p = x[i] as number;
      const q = y[i] as number;
      let r: number;
      if (op === "+") r = p + q;
      else if (op === "-") r = p - q;
      else if (op === "*") r = p * q;
      else if (q === 0 && !Number.isNaN(p)) {
        // PostgreSQL: NaN / 0 is NaN; any other division by zero raises.
        w.divisionByZero++;
        nulls.mark(i);
        continue;
      } else r = op === "/" ? p / q : p % q;
      if (f32) r = Math.fround(r);
      // PostgreSQL raises on float overflow, and on underflow of * and / to zero.
      const underflow = r === 0 && p !== 0 && ((op === "*" && q !== 0) || (op === "/" && Number.isFinite(q)));
      if ((!Number.isFinite(r) && Number.isFinite(p) && Number.isFinite(q)) || underflow) {
        w.overflow++;
        nulls.mark(i);
        continue;
      }
      o[i] = r;
    }
  } else {
    const x = a.values as string[];
    const y = b.values as string[];
    const o = out as string[];
    for (let i = 0; i < n; i++) {
      if (nulls.isNull(i)) continue;
      const p = parseDecimal(x[i] as string);
      const q = parseDecimal(y[i] as string);
      if (p === undefined || q === undefined) {
        const r = specialNumericOp(op, x[i] as string, y[i] as string, p, q);
        if (r === undefined || r === DIV0) {
          if (r === DIV0) w.divisionByZero++;
          else w.invalidInput++;
          nulls.mark(i);
        } else o[i] = r;
        continue;
      }
      const r = decimalOp(op, p, q);
      if (r === undefined) {
        w.divisionByZero++;
        nulls.mark(i);
        continue;
      }
      o[i] = formatDecimal(r);
    }
  }
  return { type, length: n, values: out, valid: nulls.valid };
}

const DIV0 = Symbol("division by zero");

/**
 * `a op b` for numerics where a side is NaN or ±Infinity (a side that parsed is passed as `p`/`q`),
 * as PostgreSQL computes it: NaN wins (even over a zero divisor), then division by zero raises,
 * then IEEE rules on the signs (Infinity - Infinity and 0 * Infinity are NaN); a finite value
 * divided by ±Infinity is 0 and its remainder is itself. Undefined when a side is not a number.
 */
function specialNumericOp(
  op: ArithOp,
  a: string,
  b: string,
  p: Decimal | undefined,
  q: Decimal | undefined,
): string | typeof DIV0 | undefined {
  // A finite side only matters by its sign (its magnitude cannot change an infinite result).
  const x = p === undefined ? numericSpecial(a) : Math.sign(Number(p.u));
  const y = q === undefined ? numericSpecial(b) : Math.sign(Number(q.u));
  if (x === undefined || y === undefined) return undefined;
  if (Number.isNaN(x) || Number.isNaN(y)) return "NaN";
  if ((op === "/" || op === "%") && y === 0) return DIV0;
  if (op === "%" && p !== undefined) return formatDecimal(p);
  if (op === "/" && p !== undefined) return "0";
  const r = op === "+" ? x + y : op === "-" ? x - y : op === "*" ? x * y : op === "/" ? x / y : x % y;
  return specialText(r);
}

function decimalOp(op: ArithOp, p: Decimal, q: Decimal): Decimal | undefined {
  switch (op) {
    case "+":
      return addDecimal(p, q);
    case "-":
      return subDecimal(p, q);
    case "*":
      return mulDecimal(p, q);
    case "/":
      return divDecimal(p, q);
    case "%":
      return modDecimal(p, q);
  }
}

/** Unary minus of a number or interval column. */
export function negate(a: Col, w: EvalWarnings): Col {
  const n = a.length;
  const rep = repOf(a.type);
  const nulls = new NullMarker(a.valid, n);
  const out = allocValues(a.type, n);
  if (rep === "str") {
    for (let i = 0; i < n; i++) {
      if (nulls.isNull(i)) continue;
      const text = (a.values as string[])[i] as string;
      const d = parseDecimal(text);
      const special = d === undefined ? numericSpecial(text) : undefined;
      if (d !== undefined) (out as string[])[i] = formatDecimal(negDecimal(d));
      else if (special !== undefined) (out as string[])[i] = specialText(-special);
      else nulls.mark(i);
    }
  } else if (rep === "interval") {
    const x = a.values as Int32Array;
    const o = out as Int32Array;
    for (let i = 0; i < n; i++) {
      const ns = -((BigInt(x[4 * i + 3] as number) << 32n) | BigInt((x[4 * i + 2] as number) >>> 0));
      o[4 * i] = -(x[4 * i] as number);
      o[4 * i + 1] = -(x[4 * i + 1] as number);
      o[4 * i + 2] = Number(BigInt.asIntN(32, ns));
      o[4 * i + 3] = Number(BigInt.asIntN(32, ns >> 32n));
    }
  } else {
    const x = a.values as Float64Array;
    const o = out as Float64Array;
    const min = rep === "i16" ? -32768 : rep === "i32" ? -2147483648 : rep === "i64" ? -(2n ** 63n) : undefined;
    for (let i = 0; i < n; i++) {
      if (nulls.isNull(i)) continue;
      if (x[i] === min) {
        w.overflow++;
        nulls.mark(i);
        continue;
      }
      o[i] = -(x[i] as number);
    }
  }
  return { type: a.type, length: n, values: out, valid: nulls.valid };
}

/** Months, days and nanoseconds of row `i` of an interval column. */
export function intervalParts(v: Int32Array, i: number): [number, number, bigint] {
  return [
    v[4 * i] as number,
    v[4 * i + 1] as number,
    (BigInt(v[4 * i + 3] as number) << 32n) | BigInt((v[4 * i + 2] as number) >>> 0),
  ];
}

/** timestamp(tz) ± interval, and date ± interval (as timestamp): `sign` is +1 or -1. */
export function timestampPlusInterval(ts: Col, iv: Col, sign: 1 | -1, type: SqlType, w: EvalWarnings): Col {
  const n = ts.length;
  const nulls = new NullMarker(andValid(ts.valid, iv.valid, n), n);
  const out = new BigInt64Array(n);
  const isDate = ts.type.kind === "date";
  const x = ts.values as BigInt64Array | Int32Array;
  const y = iv.values as Int32Array;
  for (let i = 0; i < n; i++) {
    if (nulls.isNull(i)) continue;
    const [m, d, ns] = intervalParts(y, i);
    const base = isDate ? BigInt(x[i] as number) * US_PER_DAY : (x[i] as bigint);
    const r = addInterval(base, sign * m, sign * d, BigInt(sign) * ns);
    if (BigInt.asIntN(64, r) !== r) {
      w.overflow++;
      nulls.mark(i);
      continue;
    }
    out[i] = r;
  }
  return { type, length: n, values: out, valid: nulls.valid };
}

/** timestamp - timestamp: an interval of days and the remaining time, like PostgreSQL. */
export function timestampDiff(a: Col, b: Col, type: SqlType): Col {
  const n = a.length;
  const valid = andValid(a.valid, b.valid, n);
  const out = new Int32Array(4 * n);
  const x = a.values as BigInt64Array;
  const y = b.values as BigInt64Array;
  for (let i = 0; i < n; i++) {
    const diff = (x[i] as bigint) - (y[i] as bigint);
    const days = diff / US_PER_DAY;
    const ns = (diff % US_PER_DAY) * 1000n;
    out[4 * i + 1] = Number(days);
    out[4 * i + 2] = Number(BigInt.asIntN(32, ns));
    out[4 * i + 3] = Number(BigInt.asIntN(32, ns >> 32n));
  }
  return { type, length: n, values: out, valid };
}

/** date ± integer days -> date; date - date -> integer days. */
export function dateArith(op: "+" | "-", a: Col, b: Col, type: SqlType): Col {
  const n = a.length;
  const valid = andValid(a.valid, b.valid, n);
  const out = new Int32Array(n);
  const x = a.values as Int32Array;
  const y = b.values as Int32Array;
  for (let i = 0; i < n; i++)
    out[i] = op === "+" ? (x[i] as number) + (y[i] as number) : (x[i] as number) - (y[i] as number);
  return { type, length: n, values: out, valid };
}

/** interval ± interval, field by field. */
export function intervalArith(op: "+" | "-", a: Col, b: Col, type: SqlType): Col {
  const n = a.length;
  const valid = andValid(a.valid, b.valid, n);
  const out = new Int32Array(4 * n);
  const x = a.values as Int32Array;
  const y = b.values as Int32Array;
  const s = op === "+" ? 1 : -1;
  for (let i = 0; i < n; i++) {
    const [am, ad, an] = intervalParts(x, i);
    const [bm, bd, bn] = intervalParts(y, i);
    const ns = an + BigInt(s) * bn;
    out[4 * i] = am + s * bm;
    out[4 * i + 1] = ad + s * bd;
    out[4 * i + 2] = Number(BigInt.asIntN(32, ns));
    out[4 * i + 3] = Number(BigInt.asIntN(32, ns >> 32n));
  }
  return { type, length: n, values: out, valid };
}
