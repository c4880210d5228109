import { Float32, Float64 } from "apache-arrow";
import { NumberColumn } from "../columns/fixed-columns.js";
import { badValue } from "./bad-value.js";
import { namedColumn } from "./named-column.js";
import type { ValueWriter } from "./value-writer.js";
import { isBeyondDouble, isLong, LongNumber } from "./wide-numbers.js";

/** Float text: decimal or exponent notation. */
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FLOAT_SPECIALS: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  "+nan": Number.NaN,
  "-nan": Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  "+inf": Number.POSITIVE_INFINITY,
  "-inf": Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  "+infinity": Number.POSITIVE_INFINITY,
  "-infinity": Number.NEGATIVE_INFINITY,
};

/**
 * `real` / `double precision`: any number (integers too); float text including `NaN`,
 * `Infinity`, `inf`; BigInts and Longs (rounded). Out of range, as PostgreSQL has it: a
 * literal beyond a double's range (`"1e400"`, `"1e-400"`: overflowing, or not zero yet
 * rounding to zero; the JSON parser hands such number literals over as written), and for
 * `real` a value float4 cannot hold (finite but rounding to infinity, or not zero but
 * rounding to zero: `1e39`, `1e-50`). Infinity and NaN as values stay.
 */
export class FloatWriter extends namedColumn(NumberColumn) implements ValueWriter {
  private readonly single: boolean;
  /** The rule an out-of-range value breaks, worded as PostgreSQL's error. */
  private readonly outOfRange: string;

  constructor(path: string, capacity: number, bits: 32 | 64) {
    super(path, capacity, bits === 32 ? new Float32() : new Float64());
    this.single = bits === 32;
    this.outOfRange = `out of range for type ${bits === 32 ? "real" : "double precision"}`;
  }

  write(value: unknown): void {
    if (typeof value === "number") this.pushFloat(value, value);
    else if (value === null || value === undefined) this.writeNull();
    else this.pushFloat(this.numberOf(value), value);
  }

  writeNumber(value: number): void {
    this.pushFloat(value, value);
  }

  /** Pushes `n`, read from `value`; for `real`, only when float4 holds it (PostgreSQL's float8 to float4 cast). */
  private pushFloat(n: number, value: unknown): void {
    if (this.single) {
      const f = Math.fround(n);
      if ((f === 0 && n !== 0) || (!Number.isFinite(f) && Number.isFinite(n))) {
        throw badValue(this.path, this.outOfRange, value);
      }
    }
    this.push(n);
  }

  private numberOf(value: unknown): number {
    switch (typeof value) {
      case "string": {
        if (FLOAT_TEXT.test(value)) return this.ofDigits(value, value);
        const special = FLOAT_SPECIALS[value.toLowerCase()];
        if (special !== undefined) return special;
        break;
      }
      case "bigint":
        return Number(value);
      case "object":
        if (value instanceof LongNumber) return this.ofDigits(value.text, value);
        if (value !== null && isLong(value)) return value.toNumber();
        break;
    }
    throw badValue(this.path, `expected a number (${this.single ? "real" : "double precision"})`, value);
  }

  /** The double of number text, refused beyond a double's range. */
  private ofDigits(text: string, value: unknown): number {
    if (isBeyondDouble(text)) throw badValue(this.path, this.outOfRange, value);
    return Number(text);
  }
}
