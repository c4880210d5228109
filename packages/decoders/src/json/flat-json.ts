import { isUtf8 } from "node:buffer";
import type { ColumnDef } from "@jetflow/core";
import { FlatColumns, FOLDED_KEY } from "../flat-columns.js";
import type { FlatRow } from "../row-writer.js";
import { longDecimal } from "./long-decimal.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
/** 2^53: integers below it are exact doubles. */
const EXACT = 9007199254740992;
/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
const utf8 = new TextDecoder();

/** 1 for the bytes that end a plain run inside a string: controls, quote, backslash, non-ASCII. */
const STOP = new Uint8Array(256);
for (let c = 0; c < 256; c++) STOP[c] = c < 0x20 || c === QUOTE || c === BACKSLASH || c >= 0x80 ? 1 : 0;

/**
 * Reads the usual JSON event, a flat object of strings, numbers, booleans and nulls, straight
 * from its bytes into one value per column: no text decode, no object, no key strings, and
 * text for `varchar` columns stays UTF-8 bytes. A repeated key keeps its last value, as with
 * `JSON.parse`. Anything else is left to the general parser (`JSON.parse` plus the long-number
 * protection) by returning undefined, so the rows written are exactly the ones it would give:
 * nested values, escapes in strings or keys, keys that match a column only ignoring case, long
 * number literals outside double columns, literals beyond a double's range, invalid UTF-8, and
 * malformed JSON all take that path.
 */
export class FlatJsonReader {
  private readonly columns: FlatColumns;
  /** 1 for the `double precision` columns, which read long literals as doubles too. */
  private readonly doubles: Uint8Array;

  /** For columns that {@link FlatColumns.fits}. */
  constructor(columns: readonly ColumnDef[]) {
    this.columns = new FlatColumns(columns);
    this.doubles = Uint8Array.from(columns, (c) => (c.type.kind === "double precision" ? 1 : 0));
  }

  /** The payload's column values (reused by the next call), or undefined when the general parser must read it. */
  read(b: Uint8Array): FlatRow | undefined {
    const row = this.columns.begin(b);
    const texts = this.columns.texts;
    const n = b.length;
    let high = false;
    let i = skipSpace(b, 0, n);
    if (b[i] !== OPEN) return undefined;
    i = skipSpace(b, i + 1, n);
    if (b[i] === CLOSE) i++;
    else {
      for (;;) {
        if (b[i] !== QUOTE) return undefined;
        const keyStart = i + 1;
        let j = keyStart;
        for (; j < n; j++) {
          const c = b[j]!;
          if (c === QUOTE) break;
          if (c === BACKSLASH || c < 0x20 || c >= 0x80) return undefined;
        }
        if (j >= n) return undefined;
        // A key equal to a column name but for ASCII case: the general path decides which field the column reads.
        const col = this.columns.match(b, keyStart, j);
        if (col === FOLDED_KEY) return undefined;
        i = skipSpace(b, j + 1, n);
        if (b[i] !== COLON) return undefined;
        i = skipSpace(b, i + 1, n);
        const c = b[i];
        if (c === QUOTE) {
          const start = i + 1;
          let k = start;
          for (;;) {
            // Four bytes a step while none is a quote, backslash, control or non-ASCII byte.
            while (k + 4 <= n && (STOP[b[k]!]! | STOP[b[k + 1]!]! | STOP[b[k + 2]!]! | STOP[b[k + 3]!]!) === 0) k += 4;
            while (k < n && STOP[b[k]!] === 0) k++;
            const d = b[k];
            if (d === QUOTE) break;
            if (d === undefined || d < 0x80) return undefined; // the end, a backslash or a control character
            high = true;
            k++;
          }
          if (col >= 0) {
            if (texts[col] === 1) row.setUtf8(col, start, k);
            else row.setValue(col, high ? utf8.decode(b.subarray(start, k)) : latin1Slice.call(b, start, k));
          }
          i = k + 1;
        } else if (c === MINUS || (c !== undefined && c >= ZERO && c <= NINE)) {
          const end = this.number(b, i, col);
          if (end < 0) return undefined;
          if (col >= 0) row.setNumber(col, this.value);
          i = end;
        } else if (c === 0x74 && b[i + 1] === 0x72 && b[i + 2] === 0x75 && b[i + 3] === 0x65) {
          if (col >= 0) row.setValue(col, true);
          i += 4;
        } else if (c === 0x66 && b[i + 1] === 0x61 && b[i + 2] === 0x6c && b[i + 3] === 0x73 && b[i + 4] === 0x65) {
          if (col >= 0) row.setValue(col, false);
          i += 5;
        } else if (c === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) {
          if (col >= 0) row.setValue(col, null);
          i += 4;
        } else return undefined;
        i = skipSpace(b, i, n);
        if (b[i] === COMMA) {
          i = skipSpace(b, i + 1, n);
          continue;
        }
        if (b[i] !== CLOSE) return undefined;
        i++;
        break;
      }
    }
    if (skipSpace(b, i, n) !== n) return undefined;
    // JSON.parse would have decoded the whole text first, refusing invalid UTF-8 anywhere.
    if (high && !isUtf8(b)) return undefined;
    return row;
  }

  /** The value of the last number read for a column. */
  private value = 0;

  /**
   * Reads the JSON number at `i` in one pass: where it ends, or -1 when it is not a valid JSON
   * number or the general path must read it. For a column (`col` >= 0) `value` is the double
   * it reads as (what JSON.parse gives); the general path reads literals of more than 15 digits
   * for other than double columns, and those beyond a double's range, to keep their digits.
   */
  private number(b: Uint8Array, i: number, col: number): number {
    const start = i;
    let c = b[i];
    const negative = c === MINUS;
    if (negative) c = b[++i];
    let m = 0;
    let digits = 0;
    let fraction = 0;
    if (c === ZERO) {
      c = b[++i];
      digits = 1;
    } else if (c !== undefined && c > ZERO && c <= NINE) {
      do {
        m = m * 10 + (c - ZERO);
        digits++;
        c = b[++i];
      } while (c !== undefined && c >= ZERO && c <= NINE);
    } else return -1;
    if (c === DOT) {
      c = b[++i];
      if (c === undefined || c < ZERO || c > NINE) return -1;
      do {
        m = m * 10 + (c - ZERO);
        digits++;
        fraction++;
        c = b[++i];
      } while (c !== undefined && c >= ZERO && c <= NINE);
    }
    const mantissaEnd = i;
    let exponent = 0;
    if (c === 0x65 || c === 0x45) {
      c = b[++i];
      let sign = 1;
      if (c === MINUS) {
        sign = -1;
        c = b[++i];
      } else if (c === 0x2b) c = b[++i];
      if (c === undefined || c < ZERO || c > NINE) return -1;
      do {
        if (exponent < 1e6) exponent = exponent * 10 + (c - ZERO);
        c = b[++i];
      } while (c !== undefined && c >= ZERO && c <= NINE);
      exponent *= sign;
    }
    if (col < 0) return i;
    if (digits > 15 && this.doubles[col] !== 1) return -1;
    const e10 = exponent - fraction;
    // Clinger's fast path: an exact mantissa and an exact power of ten make one correctly
    // rounded operation, the double closest to the literal.
    if (m < EXACT && e10 >= -22 && e10 <= 22) {
      const value = e10 < 0 ? m / POW10[-e10]! : m * POW10[e10]!;
      this.value = negative ? -value : value;
      return i;
    }
    // 16 to 19 digits (a double's shortest text often has 17): read exactly from the bytes.
    const long = longDecimal(b, start, mantissaEnd, e10);
    if (!Number.isNaN(long)) {
      this.value = negative ? -long : long;
      return i;
    }
    const value = Number(latin1Slice.call(b, start, i));
    // A literal beyond a double's range, overflowing or not zero (m) yet reading as 0, reaches
    // its column as written on the general path (refused naming it), not as Infinity or 0.
    if (!Number.isFinite(value) || (value === 0 && m !== 0)) return -1;
    this.value = value;
    return i;
  }
}

/** Skips JSON whitespace (space, tab, LF, CR). */
function skipSpace(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    // Anything above a space is no whitespace: one compare for compact JSON.
    if (c > 0x20 || (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09)) break;
    i++;
  }
  return i;
}
