/**
 * A JSON number literal that a JS number cannot hold exactly (more than 15 significant
 * digits, or an integer beyond 2^53), kept as its source text. See `precise-json.ts`.
 */
export class LongNumber {
  constructor(readonly text: string) {}
  /** Serializes through a sentinel string that `jsonText` turns back into the literal. */
  toJSON(): string {
    return LONG_NUMBER_SENTINEL + this.text;
  }
}

/** Prefix of the placeholder strings standing for long number literals inside JSON text. */
export const LONG_NUMBER_SENTINEL = "\u0000#jetflow-number:";

/**
 * True when number text is beyond a double's range: it overflows (reads as Infinity), or it
 * is not zero yet reads as 0. PostgreSQL's float8in refuses both; `0e-999` is a zero.
 */
export function isBeyondDouble(text: string): boolean {
  const n = Number(text);
  if (n !== 0) return n === Number.POSITIVE_INFINITY || n === Number.NEGATIVE_INFINITY;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x65 || c === 0x45) return false; // "e": only the digits before it count
    if (c >= 0x31 && c <= 0x39) return true;
  }
  return false;
}

/** protobufjs's 64-bit integer (long.js `Long`), recognised by shape so no import is needed. */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
  toString(): string;
  toNumber(): number;
}

export function isLong(value: object): value is LongLike {
  const v = value as Partial<LongLike>;
  return typeof v.low === "number" && typeof v.high === "number" && typeof v.unsigned === "boolean";
}

/**
 * The decimal text of a wide number: a `LongNumber`'s literal as written, a Long's digits;
 * `undefined` for null and any other object. For columns that keep numbers as text.
 */
export function wideNumberText(value: object | null): string | undefined {
  if (value instanceof LongNumber) return value.text;
  if (value !== null && isLong(value)) return value.toString();
  return undefined;
}

/** A Long as a BigInt, respecting its signedness. */
export function longToBigInt(value: LongLike): bigint {
  const big = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned ? big : BigInt.asIntN(64, big);
}
