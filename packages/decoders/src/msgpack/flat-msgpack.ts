import { isUtf8 } from "node:buffer";
import type { ColumnDef } from "@jetflow/core";
import { hasHighByte } from "../ascii.js";
import { FlatColumns, FOLDED_KEY } from "../flat-columns.js";
import type { FlatRow } from "../row-writer.js";

const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
const utf8 = new TextDecoder();
/** Big-endian float bytes are copied here (reversed on little-endian hosts) to read them. */
const scratch = new Uint8Array(8);
const scratch32 = new Float32Array(scratch.buffer, 0, 1);
const scratch64 = new Float64Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const PROTO = new TextEncoder().encode("__proto__");

/** {@link FlatMsgpackReader.columnOf}: a key equal to a column name but for ASCII case, or one msgpackr renames. */
const GENERAL = FOLDED_KEY;

/**
 * Reads the usual MessagePack event, a flat map with string keys and nil, boolean, integer,
 * float or string values, straight from its bytes into one value per column, giving exactly
 * what msgpackr's `unpack` (maps as objects, 64-bit integers as BigInts) followed by the field
 * lookups would: no object per message, and text for `varchar` columns stays UTF-8 bytes.
 * Anything else returns undefined and goes through msgpackr: nested maps and arrays, bin and
 * ext values, keys that are not strings, match a column only ignoring case or are `__proto__`,
 * column text that is not valid UTF-8, truncated data and trailing bytes.
 */
export class FlatMsgpackReader {
  private readonly columns: FlatColumns;
  private at = 0;

  /** For columns that {@link FlatColumns.fits}. */
  constructor(columns: readonly ColumnDef[]) {
    this.columns = new FlatColumns(columns);
  }

  /** The payload's column values (reused by the next call), or undefined when msgpackr must read it. */
  read(b: Uint8Array): FlatRow | undefined {
    const row = this.columns.begin(b);
    const texts = this.columns.texts;
    const n = b.length;
    const t = b[0];
    let count: number;
    let i: number;
    if (t !== undefined && t >= 0x80 && t <= 0x8f) {
      count = t & 0x0f;
      i = 1;
    } else if (t === 0xde && n >= 3) {
      count = (b[1]! << 8) | b[2]!;
      i = 3;
    } else if (t === 0xdf && n >= 5) {
      count = ((b[1]! << 24) | (b[2]! << 16) | (b[3]! << 8) | b[4]!) >>> 0;
      i = 5;
    } else return undefined;
    for (let e = 0; e < count; e++) {
      // The key: a string.
      this.at = i;
      const keyLength = this.stringLength(b, n);
      if (keyLength < 0) return undefined;
      const keyStart = this.at;
      const keyEnd = keyStart + keyLength;
      if (keyEnd > n) return undefined;
      const col = this.columnOf(b, keyStart, keyEnd);
      if (col === GENERAL) return undefined;
      i = keyEnd;
      // The value.
      const v = b[i++];
      if (v === undefined) return undefined;
      if (v <= 0x7f) {
        if (col >= 0) row.setNumber(col, v);
      } else if (v >= 0xe0) {
        if (col >= 0) row.setNumber(col, v - 0x100);
      } else if ((v >= 0xa0 && v <= 0xbf) || v === 0xd9 || v === 0xda || v === 0xdb) {
        this.at = i - 1;
        const length = this.stringLength(b, n);
        if (length < 0) return undefined;
        const start = this.at;
        const end = start + length;
        if (end > n) return undefined;
        i = end;
        if (col < 0) continue;
        const high = hasHighByte(b, start, end);
        if (high && !isUtf8(b.subarray(start, end))) return undefined;
        if (texts[col] === 1) row.setUtf8(col, start, end);
        else row.setValue(col, high ? utf8.decode(b.subarray(start, end)) : latin1Slice.call(b, start, end));
      } else {
        const size = FIXED_SIZE[v - 0xc0]!;
        if (size < 0 || i + size > n) return undefined;
        if (col >= 0) setFixed(row, col, b, i, v);
        i += size;
      }
    }
    return i === n ? row : undefined;
  }

  /** Reads a string header at `this.at`: its byte length (then `this.at` is where the bytes start), or -1. */
  private stringLength(b: Uint8Array, n: number): number {
    const i = this.at;
    const t = b[i];
    if (t === undefined) return -1;
    if (t >= 0xa0 && t <= 0xbf) {
      this.at = i + 1;
      return t & 0x1f;
    }
    if (t === 0xd9 && i + 2 <= n) {
      this.at = i + 2;
      return b[i + 1]!;
    }
    if (t === 0xda && i + 3 <= n) {
      this.at = i + 3;
      return (b[i + 1]! << 8) | b[i + 2]!;
    }
    if (t === 0xdb && i + 5 <= n) {
      this.at = i + 5;
      return ((b[i + 1]! << 24) | (b[i + 2]! << 16) | (b[i + 3]! << 8) | b[i + 4]!) >>> 0;
    }
    return -1;
  }

  /** The column whose name is bytes `start..end` as {@link FlatColumns.match} gives it, or GENERAL. */
  private columnOf(b: Uint8Array, start: number, end: number): number {
    if (hasHighByte(b, start, end)) return GENERAL;
    const length = end - start;
    if (length === PROTO.length && PROTO.every((c, k) => b[start + k] === c)) return GENERAL;
    return this.columns.match(b, start, end); // a case-folded match is GENERAL too
  }
}

/**
 * Bytes after the type byte of the fixed-size values 0xc0..0xdf this reader takes; -1 for
 * the rest (bin, ext, arrays, maps, strings, the never-used 0xc1).
 */
const FIXED_SIZE = new Int8Array(32).fill(-1);
FIXED_SIZE[0xc0 - 0xc0] = 0; // nil
FIXED_SIZE[0xc2 - 0xc0] = 0; // false
FIXED_SIZE[0xc3 - 0xc0] = 0; // true
FIXED_SIZE[0xca - 0xc0] = 4; // float 32
FIXED_SIZE[0xcb - 0xc0] = 8; // float 64
FIXED_SIZE[0xcc - 0xc0] = 1; // uint 8
FIXED_SIZE[0xcd - 0xc0] = 2; // uint 16
FIXED_SIZE[0xce - 0xc0] = 4; // uint 32
FIXED_SIZE[0xcf - 0xc0] = 8; // uint 64
FIXED_SIZE[0xd0 - 0xc0] = 1; // int 8
FIXED_SIZE[0xd1 - 0xc0] = 2; // int 16
FIXED_SIZE[0xd2 - 0xc0] = 4; // int 32
FIXED_SIZE[0xd3 - 0xc0] = 8; // int 64

/** Sets column `col` to the value of fixed-size type `t` whose big-endian bytes start at `i` (as msgpackr reads it). */
function setFixed(row: FlatRow, col: number, b: Uint8Array, i: number, t: number): void {
  switch (t) {
    case 0xc0:
      row.setValue(col, null);
      return;
    case 0xc2:
      row.setValue(col, false);
      return;
    case 0xc3:
      row.setValue(col, true);
      return;
    case 0xca:
      copyBigEndian(b, i, 4);
      row.setNumber(col, scratch32[0]!);
      return;
    case 0xcb:
      copyBigEndian(b, i, 8);
      row.setNumber(col, scratch64[0]!);
      return;
    case 0xcc:
      row.setNumber(col, b[i]!);
      return;
    case 0xcd:
      row.setNumber(col, (b[i]! << 8) | b[i + 1]!);
      return;
    case 0xce:
      row.setNumber(col, uint32(b, i));
      return;
    case 0xcf:
      row.setValue(col, (BigInt(uint32(b, i)) << 32n) | BigInt(uint32(b, i + 4)));
      return;
    case 0xd0:
      row.setNumber(col, (b[i]! << 24) >> 24);
      return;
    case 0xd1:
      row.setNumber(col, (((b[i]! << 8) | b[i + 1]!) << 16) >> 16);
      return;
    case 0xd2:
      row.setNumber(col, uint32(b, i) | 0);
      return;
    default:
      // 0xd3, int 64
      row.setValue(col, BigInt.asIntN(64, (BigInt(uint32(b, i)) << 32n) | BigInt(uint32(b, i + 4))));
  }
}

function uint32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

function copyBigEndian(b: Uint8Array, i: number, size: number): void {
  if (LITTLE_ENDIAN) for (let k = 0; k < size; k++) scratch[k] = b[i + size - 1 - k]!;
  else for (let k = 0; k < size; k++) scratch[k] = b[i + k]!;
}
