import { type Data, type DataType, makeData } from "apache-arrow";
import { Column, grown, packBits } from "./column.js";

type NumberArray = Int16Array | Int32Array | Float32Array | Float64Array;

/** A column of one JS number per slot: smallint, integer, real, double, date (days). */
export abstract class NumberColumn extends Column {
  protected values: NumberArray;

  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.values = new type.ArrayType(this.capacity) as NumberArray;
  }

  /** Appends a value already checked to fit the array type. */
  push(value: number): void {
    const i = this.validSlot();
    this.values[i] = value;
  }

  protected resize(capacity: number): void {
    this.values = grown(this.values, capacity, this.length);
  }
  protected fillNull(index: number): void {
    this.values[index] = 0;
  }
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    return makeData({ type: this.type, length, nullCount, nullBitmap, data: this.values.subarray(0, length) } as never);
  }
  protected reset(): void {
    this.values = new this.type.ArrayType(this.capacity) as NumberArray;
  }
}

/** A boolean column: one byte per slot while writing, packed to bits at the end. */
export abstract class BoolColumn extends Column {
  protected values: Uint8Array;

  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.values = new Uint8Array(this.capacity);
  }

  push(value: boolean): void {
    const i = this.validSlot();
    this.values[i] = value ? 1 : 0;
  }

  protected resize(capacity: number): void {
    this.values = grown(this.values, capacity, this.length);
  }
  protected fillNull(index: number): void {
    this.values[index] = 0;
  }
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    return makeData({ type: this.type, length, nullCount, nullBitmap, data: packBits(this.values, length) } as never);
  }
  protected reset(): void {
    this.values = new Uint8Array(this.capacity);
  }
}

const TWO_32 = 4294967296;
/** Int64 slots are written as two 32-bit halves (no BigInt allocation) on little-endian hosts. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A column of 64-bit integers: bigint, and the microsecond counts of time, timestamp and
 * timestamptz. Safe JS integers are stored without allocating a BigInt.
 */
export abstract class Int64Column extends Column {
  protected values: BigInt64Array;
  private words: Uint32Array;

  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.values = new BigInt64Array(this.capacity);
    this.words = new Uint32Array(this.values.buffer);
  }

  /** Appends a safe integer (caller checked `Number.isSafeInteger`). */
  pushSafe(value: number): void {
    const i = this.validSlot();
    if (LITTLE_ENDIAN) {
      const hi = Math.floor(value / TWO_32);
      this.words[2 * i] = value - hi * TWO_32;
      this.words[2 * i + 1] = hi >>> 0;
    } else {
      this.values[i] = BigInt(value);
    }
  }

  /** Appends a value already known to be within the signed 64-bit range. */
  pushBigInt(value: bigint): void {
    const i = this.validSlot();
    this.values[i] = value;
  }

  /** Appends the two's-complement halves of a 64-bit value (protobuf's Long). */
  pushHalves(low: number, high: number): void {
    const i = this.validSlot();
    if (LITTLE_ENDIAN) {
      this.words[2 * i] = low >>> 0;
      this.words[2 * i + 1] = high >>> 0;
    } else {
      this.values[i] = BigInt.asIntN(64, (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0));
    }
  }

  protected resize(capacity: number): void {
    this.values = grown(this.values, capacity, this.length);
    this.words = new Uint32Array(this.values.buffer);
  }
  protected fillNull(index: number): void {
    this.values[index] = 0n;
  }
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    return makeData({ type: this.type, length, nullCount, nullBitmap, data: this.values.subarray(0, length) } as never);
  }
  protected reset(): void {
    this.values = new BigInt64Array(this.capacity);
    this.words = new Uint32Array(this.values.buffer);
  }
}

/** An interval column: Arrow's MonthDayNano layout, four int32 words per slot. */
export abstract class IntervalColumn extends Column {
  protected values: Int32Array;

  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.values = new Int32Array(this.capacity * 4);
  }

  /** Appends months, days and microseconds (stored as nanoseconds). */
  push(months: number, days: number, micros: number): void {
    const nanos = micros * 1000;
    if (!Number.isSafeInteger(nanos)) {
      this.pushNanos(months, days, BigInt(micros) * 1000n);
      return;
    }
    const i = this.validSlot() * 4;
    this.values[i] = months;
    this.values[i + 1] = days;
    const hi = Math.floor(nanos / TWO_32);
    this.values[i + 2] = nanos - hi * TWO_32;
    this.values[i + 3] = hi;
  }

  /** Appends months, days and a nanosecond count beyond 2^53. */
  pushNanos(months: number, days: number, nanos: bigint): void {
    const i = this.validSlot() * 4;
    this.values[i] = months;
    this.values[i + 1] = days;
    const bits = BigInt.asUintN(64, nanos);
    this.values[i + 2] = Number(bits & 0xffffffffn);
    this.values[i + 3] = Number(bits >> 32n);
  }

  protected resize(capacity: number): void {
    this.values = grown(this.values, capacity * 4, this.length * 4);
  }
  protected fillNull(index: number): void {
    this.values.fill(0, index * 4, index * 4 + 4);
  }
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    return makeData({
      type: this.type,
      length,
      nullCount,
      nullBitmap,
      data: this.values.subarray(0, length * 4),
    } as never);
  }
  protected reset(): void {
    this.values = new Int32Array(this.capacity * 4);
  }
}
