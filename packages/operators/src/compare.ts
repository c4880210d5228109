import type { SqlType } from "@jetflow/core";
import { repOf } from "./col.js";
import { cmpDecimal, parseDecimal } from "./decimal.js";
import type { Plain } from "./plain.js";
import { keyPart } from "./row-key.js";

/** Orders two non-NULL plain values of one SQL type; negative, zero or positive. */
export type Comparator = (a: Plain, b: Plain) => number;

/**
 * Numbers, bigints, booleans and text (by UTF-16 code unit, i.e. a binary "C" collation).
 * NaN equals NaN and sorts above every other number, as in PostgreSQL.
 */
const natural: Comparator = (a, b) => {
  if ((a as number) < (b as number)) return -1;
  if ((a as number) > (b as number)) return 1;
  if (a === b) return 0;
  const an = Number.isNaN(a);
  return an === Number.isNaN(b) ? 0 : an ? 1 : -1;
};

const numericText: Comparator = (a, b) => {
  if (a === b) return 0;
  const x = parseDecimal(a as string);
  const y = parseDecimal(b as string);
  if (x === undefined || y === undefined) return natural(a, b);
  return cmpDecimal(x, y);
};

const bytes: Comparator = (a, b) => Buffer.compare(a as Uint8Array, b as Uint8Array);

/** Intervals compare as PostgreSQL does: a month is 30 days, a day 24 hours. */
const interval: Comparator = (a, b) => {
  const [am, ad, an] = a as [number, number, bigint];
  const [bm, bd, bn] = b as [number, number, bigint];
  const x = (BigInt(am) * 30n + BigInt(ad)) * 86_400_000_000_000n + an;
  const y = (BigInt(bm) * 30n + BigInt(bd)) * 86_400_000_000_000n + bn;
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The comparator for values of `type`. */
export function comparatorOf(type: SqlType): Comparator {
  if (type.kind === "numeric") return numericText;
  switch (repOf(type)) {
    case "bytes":
      return bytes;
    case "interval":
      return interval;
    case "nested":
      return (a, b) => natural(keyPart(a, type, true), keyPart(b, type, true));
    default:
      return natural;
  }
}
