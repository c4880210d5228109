import type { ColumnDef } from "@jetflow/core";
import type { PayloadParser } from "../batch-decoder.js";
import { equalsIgnoreAsciiCase, FieldKey } from "../values/field-lookup.js";
import { isBeyondDouble, LONG_NUMBER_SENTINEL, LongNumber } from "../values/wide-numbers.js";

/**
 * JSON payloads to JS values without losing digits. `JSON.parse` reads every number as a
 * double, so `9007199254740993` would silently become `...992`. A number literal a double
 * cannot hold exactly (more than 15 significant digits, unless it is a safe integer) must
 * reach its column as a {@link LongNumber} with its exact text: it is handed to `JSON.parse`
 * as a placeholder string and revived.
 *
 * That precise parse (a lexer pass plus `JSON.parse` with a reviver) is ~4x slower than a
 * plain `JSON.parse`, and most long literals are ordinary doubles (`1763714818123.521`, a
 * time in ms) bound for `double precision` columns, where a LongNumber becomes the very same
 * double. So the payload is parsed plainly first, and the precise parse runs only when a long
 * literal may land anywhere else: every run of digits/dots with 16+ digits in the payload
 * (each long literal has one) must be matched by a `double precision` column of the message whose value
 * needs 16+ significant digits (so its literal was long too). Otherwise, a long literal may
 * sit in another column, a string or an unknown field, and the precise parse decides.
 *
 * A literal beyond a double's range (`1e400`, or `1e-400`, not zero yet read as 0) is kept too,
 * so a column refuses it by name as PostgreSQL does, or keeps it (numeric, varchar, jsonb),
 * rather than taking Infinity or a silent 0. It has either a run of 16+ digits or an exponent
 * of 3+ digits ({@link WIDE_EXPONENT}, one regular-expression scan of the text).
 */
export class PreciseJsonParser implements PayloadParser {
  private readonly utf8 = new TextDecoder("utf-8", { fatal: true });
  private readonly doubles: readonly FieldKey[];

  /** @param columns the payload columns; without them every long literal is kept exact. */
  constructor(columns: readonly ColumnDef[] = []) {
    this.doubles = doubleFields(columns);
  }

  parse(payload: Uint8Array): unknown {
    const text = this.utf8.decode(payload);
    const runs = countLongDigitRuns(payload);
    const value = JSON.parse(text);
    if (!WIDE_EXPONENT.test(text) && (runs === 0 || runs <= this.longDoubles(value, runs))) return value;
    const protectedText = protectLongNumbers(text);
    return protectedText === undefined ? value : JSON.parse(protectedText, reviveLongNumber);
  }

  /** How many double columns of `value` hold a number that needs 16+ significant digits (counting stops at `enough`). */
  private longDoubles(value: unknown, enough: number): number {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return 0;
    const doubles = this.doubles;
    let found = 0;
    for (let i = 0; i < doubles.length && found < enough; i++) {
      const v = doubles[i]!.get(value as Record<string, unknown>);
      if (typeof v === "number" && needsSixteenDigits(v)) found++;
    }
    return found;
  }
}

/**
 * The fields of the `double precision` columns, each read by no other column: two columns
 * whose names differ only in case may read one field, which would then be counted twice.
 */
function doubleFields(columns: readonly ColumnDef[]): FieldKey[] {
  return columns
    .filter(
      (c) =>
        c.type.kind === "double precision" &&
        columns.every((o) => o === c || o.name.length !== c.name.length || !equalsIgnoreAsciiCase(o.name, c.name)),
    )
    .map((c) => new FieldKey(c.name));
}

/**
 * True when the shortest text of `n` has 16+ significant digits: then no literal of fewer
 * digits reads as `n`, so the literal it came from held a run of 16+ digits.
 */
export function needsSixteenDigits(n: number): boolean {
  if (Number.isSafeInteger(n) && n < 1e15 && n > -1e15) return false;
  if (!Number.isFinite(n)) return false;
  const fits = fitsFifteenDigits(Math.abs(n));
  return fits === undefined ? significantDigits(String(n)) >= 16 : !fits;
}

/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * Whether a positive double has a decimal form of at most 15 significant digits, without
 * printing it (V8 prints most 17-digit doubles on a slow bignum path). `m`, the value scaled
 * to 15 integer digits and rounded, is that form if there is one (the scaling errs by far less
 * than 0.5 at that size); `m / 10^k` and `m * 10^k` are correctly rounded (both operands are
 * exact), so they give back `a` exactly when it is.
 * undefined outside the exponents where 10^k is exact.
 */
function fitsFifteenDigits(a: number): boolean | undefined {
  let k = 14 - Math.floor(Math.log10(a));
  for (let tries = 0; tries < 3; tries++) {
    if (k > 22 || k < -22) return undefined;
    const p = POW10[k < 0 ? -k : k] as number;
    const scaled = k >= 0 ? a * p : a / p;
    // log10 can be off by one next to a power of ten: rescale until `scaled` has 15 integer digits.
    if (scaled >= 1e15) k--;
    else if (scaled < 1e14) k++;
    else {
      const m = Math.round(scaled);
      return (k >= 0 ? m / p : m * p) === a;
    }
  }
  return undefined;
}

function significantDigits(text: string): number {
  let digits = 0;
  let zeros = 0;
  let leading = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 101) break; // "e": the exponent is not part of the digits
    if (c < 48 || c > 57) continue;
    if (c === 48) {
      if (!leading) zeros++;
      continue;
    }
    leading = false;
    digits += zeros + 1;
    zeros = 0;
  }
  return digits;
}

const RUN = 16;

function isNumberByte(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46;
}

/**
 * How many maximal runs of digits and dots in the bytes hold 16+ digits (each number literal
 * that may need protection has one). Such a run is 16+ bytes long, so it covers one of every
 * 16th position: only those are probed and expanded, ~n/16 reads for the usual payload.
 */
export function countLongDigitRuns(bytes: Uint8Array): number {
  const n = bytes.length;
  let runs = 0;
  let i = RUN - 1;
  while (i < n) {
    if (!isNumberByte(bytes[i]!)) {
      i += RUN;
      continue;
    }
    let start = i;
    while (start > 0 && isNumberByte(bytes[start - 1]!)) start--;
    let end = i + 1;
    while (end < n && isNumberByte(bytes[end]!)) end++;
    if (end - start >= RUN) {
      let digits = 0;
      for (let j = start; j < end; j++) if (bytes[j] !== 46) digits++;
      if (digits >= RUN) runs++;
    }
    // The next probe past this run: a later run starts after `end`, so it covers one of these.
    i += RUN * Math.ceil((end - i) / RUN);
  }
  return runs;
}

/** True when the bytes hold a run of digits and dots with 16+ digits. */
export function hasLongDigitRun(bytes: Uint8Array): boolean {
  return countLongDigitRuns(bytes) > 0;
}

/**
 * A number's exponent of 3+ digits. Only such a literal, or one with 16+ digits, can be beyond
 * a double's range: with a 2-digit exponent it needs 200+ digits to get past 1e308 or 1e-324.
 */
const WIDE_EXPONENT = /\d[eE][+-]?\d\d\d/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PLACEHOLDER_PREFIX = `"${JSON.stringify(LONG_NUMBER_SENTINEL).slice(1, -1)}`;

/**
 * True for a valid JSON number literal that a double does not hold exactly: one of 16+ digits
 * (but a safe integer), or one beyond a double's range (see {@link isBeyondDouble}).
 */
function needsProtection(literal: string): boolean {
  let digits = 0;
  let integer = true;
  let exponent = false;
  for (let i = 0; i < literal.length; i++) {
    const c = literal.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 101 || c === 69) {
      exponent = true;
      break;
    } else if (c === 46) integer = false;
  }
  if (digits <= 15) return exponent && isBeyondDouble(literal) && JSON_NUMBER.test(literal);
  if (integer && !exponent && Number.isSafeInteger(Number(literal))) return false;
  return JSON_NUMBER.test(literal);
}

/**
 * Rewrites the long number literals of JSON text as placeholder strings; undefined when
 * there are none. Strings are skipped (their digits are not numbers).
 */
export function protectLongNumbers(text: string): string | undefined {
  let out = "";
  let copied = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip a string literal, honouring escapes.
      i++;
      while (i < n) {
        const s = text.charCodeAt(i);
        if (s === 92) i += 2;
        else if (s === 34) {
          i++;
          break;
        } else i++;
      }
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const start = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) i++;
        else break;
      }
      const literal = text.slice(start, i);
      if (needsProtection(literal)) {
        out += `${text.slice(copied, start)}${PLACEHOLDER_PREFIX}${literal}"`;
        copied = i;
      }
    } else {
      i++;
    }
  }
  return copied === 0 ? undefined : out + text.slice(copied);
}

function reviveLongNumber(_key: string, value: unknown): unknown {
  return typeof value === "string" && value.startsWith(LONG_NUMBER_SENTINEL)
    ? new LongNumber(value.slice(LONG_NUMBER_SENTINEL.length))
    : value;
}
