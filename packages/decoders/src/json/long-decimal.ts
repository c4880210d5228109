/**
 * Decimal literals of 16 to 19 significant digits (a double's full 17-digit form, as
 * `JSON.stringify` writes most non-integral doubles: `1712345678901.7144`) read from their
 * bytes to the double `Number(text)` gives, without making the text. Their mantissa is past
 * 2^53, so the one-operation fast path (Clinger's) does not apply. Here the mantissa is held
 * exactly as two doubles, divided once, and the quotient checked exactly with error-free
 * products (Dekker): a candidate that is not clearly the nearest double (a tie, a power of
 * two, more than one step off) is left undecided (NaN), and the caller parses the text.
 */

/** Exact powers of ten, 10^0..10^22. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** Veltkamp's splitting constant for doubles: 2^27 + 1. */
const SPLIT = 134217729;
const TWO_26 = 67108864;
/** Each power of ten split into two halves of at most 26 bits (Dekker's product needs them). */
const POW10_HIGH = POW10.map((p) => {
  const c = SPLIT * p;
  return c - (c - p);
});
const POW10_LOW = POW10.map((p, k) => p - POW10_HIGH[k]!);
/** A decision needs |residual| this far (relative) from half an ulp; the residual's own error is ~2^-49 of it. */
const MARGIN = 2 ** -20;

const float = new Float64Array(1);
const words = new Uint32Array(float.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HIGH = LITTLE_ENDIAN ? 1 : 0;
const LOW = 1 - HIGH;

/**
 * The double nearest to the decimal literal at `b[start..end)` (optional minus sign, digits
 * with an optional point, no exponent part: `e10` is the exponent it stands for, i.e. its
 * exponent part minus the digits after the point), read without a string; NaN when not
 * decided here (more than 19 significant digits, `e10` outside -22..0, a value this check
 * cannot settle): parse the text then. The sign is ignored; the caller applies it.
 *
 * @example
 * ```ts
 * const b = new TextEncoder().encode("1712345678901.7144");
 * longDecimal(b, 0, b.length, -4); // 1712345678901.7144, as Number("1712345678901.7144")
 * ```
 */
export function longDecimal(b: Uint8Array, start: number, end: number, e10: number): number {
  if (e10 > 0 || e10 < -22) return Number.NaN;
  // The significant digits as a * 10^k + low, each part exact: a < 10^15, low < 10^k, k <= 4.
  let a = 0;
  let low = 0;
  let k = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) continue; // the sign and the point
    if (a < 1e14) a = a * 10 + d;
    else {
      if (k === 4) return Number.NaN;
      low = low * 10 + d;
      k++;
    }
  }
  // m = x + y exactly: a's high part times 10^k times 2^26 has at most 38 bits, the rest at most 41.
  const scale = POW10[k]!;
  const aHigh = Math.floor(a / TWO_26);
  const x = aHigh * scale * TWO_26;
  const y = (a - aHigh * TWO_26) * scale + low;
  // m = s + t exactly (Knuth's two-sum); t is a small integer.
  const s = x + y;
  const v = s - x;
  const t = x - (s - v) + (y - v);
  const f = -e10;
  const p = POW10[f]!;
  let q = s / p;
  float[0] = q;
  const high = words[HIGH]!;
  // Below a power of two the spacing halves: leave that rare case (and a q exactly there) to the text.
  if ((high & 0xfffff) === 0 && words[LOW] === 0) return Number.NaN;
  // Half an ulp of q, times 10^f: the largest |m - q * 10^f| for which q is the nearest double.
  words[HIGH] = (((high >>> 20) & 0x7ff) - 53) << 20;
  words[LOW] = 0;
  const h = float[0] * p;
  let r = residual(s, t, q, f);
  if (Math.abs(r) < h * (1 - MARGIN)) return q;
  if (Math.abs(r) <= h * (1 + MARGIN)) return Number.NaN; // a tie, or too close to tell
  // One step toward m / 10^f (s / 10^f was at most about one ulp away), then the same check.
  float[0] = q;
  if (r > 0) {
    if (words[LOW] === 0xffffffff) return Number.NaN;
    words[LOW]!++;
  } else {
    if (words[LOW] === 0) return Number.NaN;
    words[LOW]!--;
  }
  if ((words[HIGH]! & 0xfffff) === 0 && words[LOW] === 0) return Number.NaN; // a power of two now: see above
  q = float[0];
  r = residual(s, t, q, f);
  return Math.abs(r) < h * (1 - MARGIN) ? q : Number.NaN;
}

/**
 * m - q * 10^f for m = s + t, with q * 10^f as an exact sum of two doubles (Dekker's product):
 * s minus the rounded product is exact (they are within a factor of two: Sterbenz), so only
 * the last two additions round, far below the half-ulp threshold it is compared with.
 */
function residual(s: number, t: number, q: number, f: number): number {
  const product = q * POW10[f]!;
  const c = SPLIT * q;
  const qHigh = c - (c - q);
  const qLow = q - qHigh;
  const pHigh = POW10_HIGH[f]!;
  const pLow = POW10_LOW[f]!;
  const error = qHigh * pHigh - product + qHigh * pLow + qLow * pHigh + qLow * pLow;
  return s - product - error + t;
}
