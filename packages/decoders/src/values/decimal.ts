/**
 * Canonical decimal text for `numeric` columns (core stores numeric as lossless text):
 * plain notation (no exponent), no `+`, no leading zeros, no trailing fractional zeros,
 * `0` for any zero, and `NaN` / `Infinity` / `-Infinity` for the special values. Equal
 * numbers therefore have equal text, which keeps grouping and upserts on numeric keys right.
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
 * @example canonicalDecimal("-0012.500e1") // { ok: true, text: "-125" }
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
  return canonicalParts(m[1] === "-", whole + fraction, whole.length + exponent);
}

/** Canonical text of a finite JS number (its shortest round-trip decimal). */
export function decimalFromNumber(value: number): DecimalText {
  if (!Number.isFinite(value))
    return { ok: true, text: Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity" };
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return { ok: true, text: value === 0 ? "0" : String(value) };
  return canonicalDecimal(String(value));
}

/** `digits` with the decimal point after `point` digits (may be <= 0 or past the end). */
function canonicalParts(negative: boolean, digits: string, point: number): DecimalText {
  let start = 0;
  while (start < digits.length && digits.charCodeAt(start) === 48) start++;
  if (start === digits.length) return { ok: true, text: "0" };
  let end = digits.length;
  while (digits.charCodeAt(end - 1) === 48) end--;
  const significant = digits.slice(start, end);
  const at = point - start;
  if (at > MAX_INTEGER_DIGITS || significant.length - at > MAX_FRACTION_DIGITS) return OUT_OF_RANGE;
  let body: string;
  if (at <= 0) body = `0.${"0".repeat(-at)}${significant}`;
  else if (at >= significant.length) body = significant + "0".repeat(at - significant.length);
  else body = `${significant.slice(0, at)}.${significant.slice(at)}`;
  return { ok: true, text: negative ? `-${body}` : body };
}
