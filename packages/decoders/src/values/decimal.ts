/**
 * Canonical decimal text for `numeric` columns (core stores numeric as lossless text):
 * plain notation (no exponent), no `+`, no leading zeros, no minus on a zero, and `NaN` /
 * `Infinity` / `-Infinity` for the special values. Trailing fractional zeros are kept as
 * PostgreSQL keeps them (its display scale: `12.50` stays `12.50`, `1.50e1` is `15.0`), since
 * the scale decides how many digits a division or an avg shows; equal numbers with different
 * scales (`1.0`, `1.00`) are one key wherever the operators group or upsert by numeric.
 */

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** PostgreSQL's numeric limits: 131072 digits before the point, 16383 after. */
const MAX_INTEGER_DIGITS = 131072;
const MAX_FRACTION_DIGITS = 16383;

const SPECIALS: Readonly<Record<string, string>> = {
  nan: "NaN",
  infinity: "Infinity",
  "+infinity": "Infinity",
  "-infinity": "-Infinity",
  inf: "Infinity",
  "+inf": "Infinity",
  "-inf": "-Infinity",
  // Debezium writes these for PostgreSQL's special numerics; RisingWave accepts them too.
  positive_infinity: "Infinity",
  negative_infinity: "-Infinity",
};

/** Result of reading decimal text: the canonical text, or why it is not a number. */
export type DecimalText = { ok: true; text: string } | { ok: false; rule: string };

const NOT_A_NUMBER: DecimalText = { ok: false, rule: "expected a decimal number" };
const OUT_OF_RANGE: DecimalText = {
  ok: false,
  rule: `numeric out of range (at most ${MAX_INTEGER_DIGITS} digits before and ${MAX_FRACTION_DIGITS} after the point)`,
};

/**
 * Reads decimal text (`-12.50`, `1e3`, `.5`, `NaN`, `Infinity`) into canonical form.
 *
 * @example canonicalDecimal("-0012.500e1") // { ok: true, text: "-125.00" }
 */
export function canonicalDecimal(text: string): DecimalText {
  const m = DECIMAL.exec(text);
  if (m === null) {
    const special = SPECIALS[text.toLowerCase()];
    return special === undefined ? NOT_A_NUMBER : { ok: true, text: special };
  }
  const whole = m[2]!;
  const fraction = m[3] ?? "";
  if (whole.length === 0 && fraction.length === 0) return NOT_A_NUMBER;
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  // PostgreSQL's display scale: the fraction digits written, less the exponent, at least 0.
  const scale = Math.max(0, fraction.length - exponent);
  return canonicalParts(m[1] === "-", whole + fraction, whole.length + exponent, scale);
}

/** Canonical text of a finite JS number (its shortest round-trip decimal). */
export function decimalFromNumber(value: number): DecimalText {
  if (!Number.isFinite(value))
    return { ok: true, text: Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity" };
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return { ok: true, text: value === 0 ? "0" : String(value) };
  return canonicalDecimal(String(value));
}

/**
 * `digits` with the decimal point after `point` digits (may be <= 0 or past the end), shown
 * with `scale` fraction digits (`scale` >= the digits after the point that are not zeros).
 */
function canonicalParts(negative: boolean, digits: string, point: number, scale: number): DecimalText {
  if (scale > MAX_FRACTION_DIGITS) return OUT_OF_RANGE;
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 48) start++;
  const zero = start === digits.length;
  const at = point - start;
  if (!zero && at > MAX_INTEGER_DIGITS) return OUT_OF_RANGE;
  const significant = digits.slice(start);
  let int: string;
  let frac: string;
  if (zero) {
    int = "0";
    frac = "";
  } else if (at <= 0) {
    int = "0";
    frac = "0".repeat(-at) + significant;
  } else if (at >= significant.length) {
    int = significant + "0".repeat(at - significant.length);
    frac = "";
  } else {
    int = significant.slice(0, at);
    frac = significant.slice(at);
  }
  // The digits after the point are the written fraction (less the exponent): pad or cut zeros to `scale`.
  frac = frac.length > scale ? frac.slice(0, scale) : frac.padEnd(scale, "0");
  const body = scale === 0 ? int : `${int}.${frac}`;
  return { ok: true, text: negative && !zero ? `-${body}` : body };
}
