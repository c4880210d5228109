/**
 * Exact decimal arithmetic for `numeric` (kept as decimal text in Arrow, see core's type map):
 * a value is an unscaled BigInt and a scale, `u / 10^s`, like PostgreSQL's display scale.
 * Results follow PostgreSQL: add/sub keep the larger scale, mul adds scales, division picks
 * its scale with PostgreSQL's `select_div_scale` (at least 16 significant digits) and rounds
 * half away from zero, so `avg` prints the same digits as PostgreSQL.
 */
export interface Decimal {
  readonly u: bigint;
  readonly s: number;
}

const POW10: bigint[] = [1n];
function pow10(n: number): bigint {
  for (let i = POW10.length; i <= n; i++) POW10.push((POW10[i - 1] as bigint) * 10n);
  return POW10[n] as bigint;
}

const DECIMAL_RE = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/** Parses decimal text (`12`, `-1.50`, `.5`, `1e3`); undefined when it is not a finite decimal. */
export function parseDecimal(text: string): Decimal | undefined {
  const m = DECIMAL_RE.exec(text);
  if (m === null) return undefined;
  const int = m[2] ?? "";
  const frac = m[3] ?? "";
  if (int === "" && frac === "") return undefined;
  let u = BigInt(int + frac || "0");
  let s = frac.length;
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  if (exp > 0) {
    if (exp >= s) {
      u *= pow10(exp - s);
      s = 0;
    } else s -= exp;
  } else if (exp < 0) s -= exp;
  if (m[1] === "-") u = -u;
  return { u, s };
}

/**
 * numeric's special values (PostgreSQL 14+) as doubles: `NaN`, `Infinity`, `-Infinity` (also
 * `inf`, any case); undefined for any other text. Called only where {@link parseDecimal} failed,
 * so finite values pay nothing for it.
 */
export function numericSpecial(text: string): number | undefined {
  switch (text.trim().toLowerCase()) {
    case "nan":
      return Number.NaN;
    case "infinity":
    case "+infinity":
    case "inf":
    case "+inf":
      return Number.POSITIVE_INFINITY;
    case "-infinity":
    case "-inf":
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

/** The numeric text of NaN or ±Infinity, as PostgreSQL prints it. */
export function specialText(x: number): string {
  return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
}

/** Decimal text with exactly `d.s` fractional digits, as PostgreSQL prints numeric. */
export function formatDecimal(d: Decimal): string {
  const neg = d.u < 0n;
  const digits = (neg ? -d.u : d.u).toString();
  if (d.s === 0) return neg ? `-${digits}` : digits;
  const padded = digits.padStart(d.s + 1, "0");
  const text = `${padded.slice(0, padded.length - d.s)}.${padded.slice(padded.length - d.s)}`;
  return neg ? `-${text}` : text;
}

/** Same value at scale `s` (`s` >= d.s). */
function rescale(d: Decimal, s: number): bigint {
  return s === d.s ? d.u : d.u * pow10(s - d.s);
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const s = Math.max(a.s, b.s);
  return { u: rescale(a, s) + rescale(b, s), s };
}

export function subDecimal(a: Decimal, b: Decimal): Decimal {
  const s = Math.max(a.s, b.s);
  return { u: rescale(a, s) - rescale(b, s), s };
}

export function mulDecimal(a: Decimal, b: Decimal): Decimal {
  return { u: a.u * b.u, s: a.s + b.s };
}

export function negDecimal(a: Decimal): Decimal {
  return { u: -a.u, s: a.s };
}

export function cmpDecimal(a: Decimal, b: Decimal): number {
  const s = Math.max(a.s, b.s);
  const x = rescale(a, s);
  const y = rescale(b, s);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `num / den` rounded half away from zero. */
function divRound(num: bigint, den: bigint): bigint {
  const neg = num < 0n !== den < 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  let q = n / d;
  if ((n % d) * 2n >= d) q += 1n;
  return neg ? -q : q;
}

/** PostgreSQL's weight (base-10000 digit position) and first base-10000 digit of a nonzero value. */
function weightAndFirstDigit(d: Decimal): [number, bigint] {
  if (d.u === 0n) return [0, 0n];
  const abs = d.u < 0n ? -d.u : d.u;
  const p = abs.toString().length - 1 - d.s; // position of the leading decimal digit
  const weight = Math.floor(p / 4);
  const shift = d.s + 4 * weight;
  const group = shift >= 0 ? abs / pow10(shift) : abs * pow10(-shift);
  return [weight, group % 10000n];
}

/** `a / b` at PostgreSQL's result scale; undefined when `b` is zero. */
export function divDecimal(a: Decimal, b: Decimal): Decimal | undefined {
  if (b.u === 0n) return undefined;
  const [w1, f1] = weightAndFirstDigit(a);
  const [w2, f2] = weightAndFirstDigit(b);
  let qweight = w1 - w2;
  if (f1 <= f2) qweight--;
  const s = Math.min(1000, Math.max(16 - qweight * 4, a.s, b.s, 0));
  return { u: divRound(a.u * pow10(b.s + s), b.u * pow10(a.s)), s };
}

/** `a % b` like PostgreSQL (sign of `a`, scale max); undefined when `b` is zero. */
export function modDecimal(a: Decimal, b: Decimal): Decimal | undefined {
  if (b.u === 0n) return undefined;
  const s = Math.max(a.s, b.s);
  return { u: rescale(a, s) % rescale(b, s), s };
}

/** Rounds to `scale` fractional digits, half away from zero (negative scale rounds left of the point). */
export function roundDecimal(d: Decimal, scale: number): Decimal {
  if (scale >= d.s) return { u: rescale(d, scale), s: scale };
  const q = divRound(d.u, pow10(d.s - scale));
  return scale >= 0 ? { u: q, s: scale } : { u: q * pow10(-scale), s: 0 };
}

/** Floor or ceiling to an integer (scale 0). */
export function floorDecimal(d: Decimal, ceil: boolean): Decimal {
  if (d.s === 0) return d;
  const p = pow10(d.s);
  let q = d.u / p; // truncates toward zero
  const r = d.u % p;
  if (r !== 0n && ceil === d.u > 0n) q += ceil ? 1n : -1n;
  return { u: q, s: 0 };
}

/** Canonical text without trailing fractional zeros: equal numbers give equal keys (1.0 = 1.00). */
export function normalizeDecimalText(text: string): string {
  const d = parseDecimal(text);
  if (d === undefined) return text;
  let { u, s } = d;
  while (s > 0 && u % 10n === 0n) {
    u /= 10n;
    s--;
  }
  return formatDecimal({ u, s });
}

export function decimalFromBigInt(v: bigint): Decimal {
  return { u: v, s: 0 };
}

/**
 * A double as numeric, with the 15 significant digits PostgreSQL's float8 -> numeric cast keeps
 * (`%.15g`): rounded from the double's exact binary value, ties to even as C's printf does
 * (`toPrecision` rounds ties away from zero: -9007199254740985 would end in 990, not 980).
 */
export function decimalFromDouble(v: number): Decimal | undefined {
  if (!Number.isFinite(v)) return undefined;
  if (v === 0) return { u: 0n, s: 0 };
  const exact = exactDecimalOfDouble(v);
  const digits = (exact.u < 0n ? -exact.u : exact.u).toString().length;
  let { u, s } = roundHalfEven(exact, exact.s - (digits - 15));
  while (s > 0 && u % 10n === 0n) {
    u /= 10n;
    s--;
  }
  return { u, s };
}

export function decimalToNumber(d: Decimal): number {
  return Number(formatDecimal(d));
}

/** Integer part, rounded half away from zero like PostgreSQL's numeric -> int casts. */
export function decimalToBigInt(d: Decimal): bigint {
  return roundDecimal(d, 0).u;
}

/** The exact decimal value of a finite double (every double is m * 2^e, so a finite decimal). */
function exactDecimalOfDouble(v: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  const signed = negative ? -mantissa : mantissa;
  if (exponent >= 0) return { u: signed << BigInt(exponent), s: 0 };
  // m / 2^k = m * 5^k / 10^k
  return { u: signed * 5n ** BigInt(-exponent), s: -exponent };
}

/** Rounds to `scale` fractional digits (negative: to tens, hundreds, ...), ties to even. */
function roundHalfEven(d: Decimal, scale: number): Decimal {
  if (scale >= d.s) return d;
  const p = pow10(d.s - scale);
  const neg = d.u < 0n;
  const a = neg ? -d.u : d.u;
  let q = a / p;
  const r = a % p;
  const twice = 2n * r;
  if (twice > p || (twice === p && q % 2n === 1n)) q += 1n;
  const u = neg ? -q : q;
  return scale >= 0 ? { u, s: scale } : { u: u * pow10(-scale), s: 0 };
}
