import { Bool, Int16, Int32, Int64, Utf8 } from "apache-arrow";
import { BoolColumn, Int64Column, NumberColumn } from "../columns/fixed-columns.js";
import { Utf8Column } from "../columns/var-columns.js";
import { badValue } from "./bad-value.js";
import { canonicalDecimal, decimalFromNumber } from "./decimal.js";
import { namedColumn } from "./named-column.js";
import type { ValueWriter } from "./value-writer.js";
import { isLong, LongNumber, longToBigInt, wideNumberText } from "./wide-numbers.js";

/** Integer text as Rust's `str::parse::<i64>` takes it (RisingWave's rule): optional sign, digits. */
const INTEGER_TEXT = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `boolean`: JSON/MessagePack booleans only (RisingWave's strict rule: no 0/1, no "true"). */
export class BooleanWriter extends namedColumn(BoolColumn, Bool) implements ValueWriter {
  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    if (typeof value !== "boolean") throw badValue(this.path, "expected a boolean", value);
    this.push(value);
  }
}

/**
 * `smallint` / `integer`: integral numbers in range; integer text (`"42"`, `"-7"`, `"+3"`);
 * BigInts and 64-bit Longs in range. `1.5`, `"1.5"`, `"1e3"` and `" 42"` are refused.
 */
export class SmallIntegerWriter extends namedColumn(NumberColumn) implements ValueWriter {
  private readonly min: number;
  private readonly max: number;
  private readonly typeName: string;

  constructor(path: string, capacity: number, bits: 16 | 32) {
    super(path, capacity, bits === 16 ? new Int16() : new Int32());
    this.max = bits === 16 ? 32767 : 2147483647;
    this.min = -this.max - 1;
    this.typeName = bits === 16 ? "smallint" : "integer";
  }

  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    const n = this.integerOf(value);
    if (n < this.min || n > this.max) {
      throw badValue(this.path, `${this.typeName} out of range (${this.min}..${this.max})`, value);
    }
    this.push(n);
  }

  writeNumber(value: number): void {
    if (Number.isInteger(value) && value >= this.min && value <= this.max) this.push(value);
    else this.write(value);
  }

  private integerOf(value: unknown): number {
    switch (typeof value) {
      case "number":
        if (Number.isInteger(value)) return value;
        break;
      case "string":
        if (INTEGER_TEXT.test(value)) return Number(value);
        break;
      case "bigint":
        return Number(value);
      case "object":
        if (value instanceof LongNumber && INTEGER_TEXT.test(value.text)) return Number(value.text);
        if (value !== null && isLong(value)) return Number(longToBigInt(value));
        break;
    }
    throw badValue(this.path, `expected an integer (${this.typeName})`, value);
  }
}

/**
 * `bigint`: exact 64-bit integers. Numbers must be safe integers (|n| <= 2^53 - 1); longer
 * integers are exact when written as digits (the JSON reader keeps long literals as text),
 * as integer strings, as MessagePack int64 or as protobuf int64.
 */
export class BigIntWriter extends namedColumn(Int64Column, Int64) implements ValueWriter {
  write(value: unknown): void {
    switch (typeof value) {
      case "number":
        if (Number.isSafeInteger(value)) {
          this.pushSafe(value);
          return;
        }
        if (Number.isInteger(value)) {
          throw badValue(this.path, "bigint beyond 2^53 must be written as plain digits to stay exact", value);
        }
        break;
      case "string":
        if (INTEGER_TEXT.test(value)) {
          this.pushText(value, value);
          return;
        }
        break;
      case "bigint":
        this.pushChecked(value, value);
        return;
      case "object":
        if (value instanceof LongNumber) {
          if (INTEGER_TEXT.test(value.text)) {
            this.pushText(value.text, value);
            return;
          }
          break;
        }
        // A Long is written from its halves: no text, no BigInt.
        if (value !== null && isLong(value)) {
          if (value.unsigned && value.high < 0) throw badValue(this.path, "bigint out of range", value);
          this.pushHalves(value.low, value.high);
          return;
        }
        break;
    }
    if (value === null || value === undefined) this.writeNull();
    else throw badValue(this.path, "expected an integer (bigint)", value);
  }

  writeNumber(value: number): void {
    if (Number.isSafeInteger(value)) this.pushSafe(value);
    else this.write(value);
  }

  writeInt64(low: number, high: number, unsigned: boolean): void {
    if (unsigned && high < 0) {
      // The same reason as for the Long: `describe` shows a Long as its digits.
      throw badValue(this.path, "bigint out of range", (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0));
    }
    this.pushHalves(low, high);
  }

  private pushText(text: string, value: unknown): void {
    if (text.length <= 16) {
      const n = Number(text);
      if (Number.isSafeInteger(n)) {
        this.pushSafe(n);
        return;
      }
    }
    this.pushChecked(BigInt(text), value);
  }

  private pushChecked(big: bigint, value: unknown): void {
    if (big < INT64_MIN || big > INT64_MAX) throw badValue(this.path, "bigint out of range", value);
    this.pushBigInt(big);
  }
}

/**
 * `numeric`: stored as canonical decimal text (see `decimal.ts`). Numbers, decimal text
 * (`"12.50"`, `"1e-3"`, `"NaN"`, `"Infinity"`), BigInts, Longs; long JSON literals exactly.
 */
export class NumericWriter extends namedColumn(Utf8Column, Utf8) implements ValueWriter {
  write(value: unknown): void {
    switch (typeof value) {
      case "number":
        this.pushDecimal(decimalFromNumber(value), value);
        return;
      case "string":
        this.pushDecimal(canonicalDecimal(value), value);
        return;
      case "bigint":
        this.push(value.toString());
        return;
      case "object": {
        // A Long's digits are canonical already; checking them again costs little on a rare path.
        const text = wideNumberText(value);
        if (text !== undefined) {
          this.pushDecimal(canonicalDecimal(text), value);
          return;
        }
        break;
      }
    }
    if (value === null || value === undefined) this.writeNull();
    else throw badValue(this.path, "expected a decimal number (numeric)", value);
  }

  private pushDecimal(result: ReturnType<typeof canonicalDecimal>, value: unknown): void {
    if (!result.ok) throw badValue(this.path, result.rule, value);
    this.push(result.text);
  }
}
