import type { SqlType } from "@jetflow/core";
import { repOf } from "./col.js";
import { cmpDecimal, numericSpecial, parseDecimal } from "./decimal.js";
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

/** numeric text: -Infinity < every finite value < Infinity < NaN (NaN equals NaN), as in PostgreSQL. */
const numericText: Comparator = (a, b) => {
  if (a === b) return 0;
  const x = parseDecimal(a as string);
  const y = parseDecimal(b as string);
  if (x !== undefined && y !== undefined) return cmpDecimal(x, y);
  const rank = (text: string, d: unknown): number | undefined => {
    if (d !== undefined) return 0;
    const special = numericSpecial(text);
    return special === undefined ? undefined : Number.isNaN(special) ? 2 : Math.sign(special);
  };
  const rx = rank(a as string, x);
  const ry = rank(b as string, y);
  if (rx === undefined || ry === undefined) return natural(a, b);
  return rx - ry;
};

/**
 * Text in code point order, which is UTF-8 byte order (PostgreSQL's and RisingWave's C/binary
 * collation). JS compares UTF-16 code units, which differs where a character beyond U+FFFF
 * (a surrogate pair, D800..DFFF) meets one in U+E000..U+FFFF: the fixup moves surrogates above.
 */
const text: Comparator = (a, b) => {
  const x = a as string;
  const y = b as string;
  if (x === y) return 0;
  const n = Math.min(x.length, y.length);
  let i = 0;
  while (i < n && x.charCodeAt(i) === y.charCodeAt(i)) i++;
  if (i === n) return x.length < y.length ? -1 : 1;
  return codePointOrder(x.charCodeAt(i)) < codePointOrder(y.charCodeAt(i)) ? -1 : 1;
};

function codePointOrder(unit: number): number {
  return unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

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
  if (type.kind === "varchar") return text;
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
