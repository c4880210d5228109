import { isAscii } from "node:buffer";
import { arrowTypeOf, type SqlType } from "@jetflow/core";
import { type Data, type DataType, makeData, RecordBatch, type Schema, Struct } from "apache-arrow";

/**
 * A column while expressions work on it: values in a JS typed array (or a plain array for
 * strings and bytes) indexed from 0, plus a validity array. Arrow's bit-packed, offset-shifted
 * buffers are unpacked once at the edge ({@link fromArrow}) and packed once on the way out
 * ({@link toArrow}), so every kernel in between is a plain indexed loop.
 *
 * Representation by SQL kind:
 * - boolean: Uint8Array of 0/1
 * - smallint Int16Array, integer Int32Array, bigint BigInt64Array, real Float32Array, double Float64Array
 * - numeric, varchar, jsonb: string[] (numeric as decimal text)
 * - bytea: Uint8Array[]
 * - date: Int32Array (days since 1970-01-01)
 * - time, timestamp, timestamptz: BigInt64Array (microseconds)
 * - interval: Int32Array, 4 per row: months, days, nanoseconds low 32 bits, high 32 bits
 * - struct, list: the Arrow Data itself (only moved around, never computed on)
 */
export interface Col {
  readonly type: SqlType;
  readonly length: number;
  readonly values: ColValues;
  /** 1 = value present, 0 = NULL; undefined = no NULLs. */
  readonly valid: Uint8Array | undefined;
}

export type ColValues =
  | Uint8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[]
  | Uint8Array[]
  | Data;

/** The kind of representation a SQL type uses, to pick a kernel. */
export type Rep =
  | "bool"
  | "i16"
  | "i32"
  | "i64"
  | "f32"
  | "f64"
  | "str"
  | "bytes"
  | "date"
  | "micros"
  | "interval"
  | "nested";

const REP: Readonly<Record<string, Rep>> = {
  boolean: "bool",
  smallint: "i16",
  integer: "i32",
  bigint: "i64",
  real: "f32",
  "double precision": "f64",
  numeric: "str",
  varchar: "str",
  jsonb: "str",
  bytea: "bytes",
  date: "date",
  time: "micros",
  timestamp: "micros",
  timestamptz: "micros",
  interval: "interval",
  struct: "nested",
  list: "nested",
};

export function repOf(type: SqlType): Rep {
  return REP[type.kind] as Rep;
}

/** Whether row `i` of `col` is NULL. */
export function isNull(col: Col, i: number): boolean {
  return col.valid !== undefined && col.valid[i] === 0;
}

/** An empty typed array / array of the representation of `type`, `n` long. */
export function allocValues(type: SqlType, n: number): ColValues {
  const rep = repOf(type);
  switch (rep) {
    case "str":
      return new Array<string>(n).fill("");
    case "bytes":
      return new Array<Uint8Array>(n).fill(EMPTY_BYTES);
    case "nested":
      throw new TypeError(`cannot allocate a computed ${type.kind} column`);
    default:
      return fixedValues(rep, n) as FixedValues;
  }
}

/** The typed array values of fixed-width representations. */
export type FixedValues = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array | BigInt64Array;

/** Zeroed typed-array values for `n` rows of a fixed-width representation; undefined for the others (text, bytes, nested). */
export function fixedValues(rep: Rep, n: number): FixedValues | undefined {
  switch (rep) {
    case "bool":
      return new Uint8Array(n);
    case "i16":
      return new Int16Array(n);
    case "i32":
    case "date":
      return new Int32Array(n);
    case "i64":
    case "micros":
      return new BigInt64Array(n);
    case "f32":
      return new Float32Array(n);
    case "f64":
      return new Float64Array(n);
    case "interval":
      return new Int32Array(4 * n);
    default:
      return undefined;
  }
}

const EMPTY_BYTES = new Uint8Array(0);
const utf8Decoder = new TextDecoder();

/**
 * A column of `n` NULLs (not for nested types, which have no allocatable values): zeroed
 * buffers made at once, with no pass over the rows.
 */
export function nullData(type: SqlType, n: number): Data {
  const rep = repOf(type);
  const nullBitmap = new Uint8Array(((n + 63) & ~63) >> 3);
  const base = { type: arrowTypeOf(type), length: n, nullCount: n, nullBitmap };
  // Every value empty: offsets all 0, no bytes.
  if (rep === "str" || rep === "bytes") {
    return makeData({ ...base, valueOffsets: new Int32Array(n + 1), data: new Uint8Array(0) } as never);
  }
  if (rep === "bool") return makeData({ ...base, data: new Uint8Array(nullBitmap.length) } as never);
  return makeData({ ...base, data: allocValues(type, n) } as never);
}

/** Unpacks one Arrow column (a RecordBatch child) into a {@link Col}. */
export function fromArrow(data: Data, type: SqlType): Col {
  const n = data.length;
  const valid = data.nullCount > 0 ? unpackBits(data.nullBitmap as Uint8Array, data.offset, n) : undefined;
  switch (repOf(type)) {
    case "bool":
      return { type, length: n, valid, values: unpackBits(data.values as Uint8Array, data.offset, n) };
    case "str":
      return { type, length: n, valid, values: decodeStrings(data) };
    case "bytes": {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const out = new Array<Uint8Array>(n);
      for (let i = 0; i < n; i++) out[i] = bytes.subarray(offsets[i] as number, offsets[i + 1] as number);
      return { type, length: n, valid, values: out };
    }
    case "interval":
      return { type, length: n, valid, values: (data.values as Int32Array).subarray(0, 4 * n) };
    case "nested":
      return { type, length: n, valid, values: data };
    default:
      // Fixed-width values are already sliced to start at row 0 (Arrow slices them, not the bitmap).
      return { type, length: n, valid, values: (data.values as Int32Array).subarray(0, n) };
  }
}

/**
 * Utf8 column to JS strings. In ASCII text (the common case) short strings are cut from one
 * decode of the whole column. Longer ones are copied out one by one: V8 makes a substring of 13
 * characters or more a view into its parent (a SlicedString), so a stored value would keep the
 * whole column's text alive as long as it is stored, and a table with long text and many keys
 * would hold on to the text of every batch that still has a row in it.
 */
function decodeStrings(data: Data): string[] {
  const n = data.length;
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const out = new Array<string>(n);
  if (n === 0) return out;
  const start = offsets[0] as number;
  const end = offsets[n] as number;
  const text = bytes.subarray(start, end);
  if (isAscii(text)) {
    let all: string | undefined;
    for (let i = 0; i < n; i++) {
      const from = offsets[i] as number;
      const to = offsets[i + 1] as number;
      if (to - from < SLICED_STRING_MIN) {
        // Short text is interned: equal values decode to one string object, stored once.
        const h = hashBytes(bytes, from, to);
        const known = interned[h] as string;
        if (sameAscii(known, bytes, from, to)) out[i] = known;
        else {
          all ??= utf8Decoder.decode(text);
          const made = all.slice(from - start, to - start);
          interned[h] = made;
          out[i] = made;
        }
      } else out[i] = latin1Slice.call(bytes, from, to);
    }
  } else {
    for (let i = 0; i < n; i++)
      out[i] = utf8Decoder.decode(bytes.subarray(offsets[i] as number, offsets[i + 1] as number));
  }
  return out;
}

/**
 * A direct-mapped cache of short ASCII strings by their bytes (a hash picks the one slot to
 * look in; a new string takes the slot). Values that repeat across rows and batches (a region,
 * a status, a country) then come out as the same string object: a table that stores them keeps
 * one copy, not one per row, and a hit allocates nothing. Values that do not repeat just pass
 * through. Strings are immutable, so sharing them between operators is safe.
 */
const INTERN_BITS = 12;
const interned: string[] = new Array<string>(1 << INTERN_BITS).fill("");

function hashBytes(bytes: Uint8Array, from: number, to: number): number {
  let h = to - from;
  for (let k = from; k < to; k++) h = Math.imul(h ^ (bytes[k] as number), 0x9e3779b1);
  return h >>> (32 - INTERN_BITS);
}

function sameAscii(s: string, bytes: Uint8Array, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) !== bytes[from + k]) return false;
  return true;
}

/** The shortest substring V8 makes a view into its parent instead of a copy (`SlicedString::kMinLength`). */
const SLICED_STRING_MIN = 13;
const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

function unpackBits(bits: Uint8Array, offset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = offset + i;
    out[i] = ((bits[j >> 3] as number) >> (j & 7)) & 1;
  }
  return out;
}

function packBits(bytes: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(((n + 63) & ~63) >> 3);
  for (let i = 0; i < n; i++) if (bytes[i] !== 0) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7));
  return out;
}

/** Packs a {@link Col} into Arrow Data of the type {@link arrowTypeOf} gives its SQL type. */
export function toArrow(col: Col): Data {
  const rep = repOf(col.type);
  if (rep === "nested") return col.values as Data;
  const type: DataType = arrowTypeOf(col.type);
  const n = col.length;
  let nullCount = 0;
  if (col.valid !== undefined) for (let i = 0; i < n; i++) nullCount += 1 - (col.valid[i] as number);
  const nullBitmap = nullCount > 0 ? packBits(col.valid as Uint8Array, n) : undefined;
  const base = { type, length: n, nullCount, ...(nullBitmap === undefined ? {} : { nullBitmap }) };
  switch (rep) {
    case "bool":
      return makeData({ ...base, data: packBits(col.values as Uint8Array, n) } as never);
    case "str": {
      const { valueOffsets, data } = encodeStrings(col.values as string[], n);
      return makeData({ ...base, valueOffsets, data } as never);
    }
    case "bytes": {
      const values = col.values as Uint8Array[];
      const valueOffsets = new Int32Array(n + 1);
      let size = 0;
      for (let i = 0; i < n; i++) {
        size += (values[i] as Uint8Array).length;
        valueOffsets[i + 1] = size;
      }
      const data = new Uint8Array(size);
      for (let i = 0; i < n; i++) data.set(values[i] as Uint8Array, valueOffsets[i] as number);
      return makeData({ ...base, valueOffsets, data } as never);
    }
    default:
      return makeData({ ...base, data: col.values } as never);
  }
}

/**
 * Strings to Arrow UTF-8 buffers: one join and one native encode per column (no per-string
 * view or call). All-ASCII text (the usual case) has one byte per UTF-16 unit, so the offsets
 * are the string lengths; otherwise each string's byte length is measured.
 */
function encodeStrings(values: string[], n: number): { valueOffsets: Int32Array; data: Uint8Array } {
  const valueOffsets = new Int32Array(n + 1);
  const joined = values.length === n ? values.join("") : values.slice(0, n).join("");
  let data = Buffer.from(joined, "utf8");
  const ascii = data.length === joined.length;
  let end = 0;
  for (let i = 0; i < n; i++) {
    const s = values[i] as string;
    end += ascii ? s.length : Buffer.byteLength(s, "utf8");
    valueOffsets[i + 1] = end;
  }
  // A lone surrogate ending one string and one starting the next would pair up in the joined
  // text (4 bytes instead of 3 + 3): then encode string by string.
  if (end !== data.length) {
    data = Buffer.allocUnsafe(end);
    for (let i = 0; i < n; i++) data.write(values[i] as string, valueOffsets[i] as number, "utf8");
  }
  return { valueOffsets, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A RecordBatch of `schema` from Data columns, all of length `n`. */
export function batchOf(schema: Schema, columns: readonly Data[], n: number): RecordBatch {
  const struct = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children: columns as Data[] });
  return new RecordBatch(schema, struct);
}

/** AND of two validity arrays (undefined = all valid). */
export function andValid(a: Uint8Array | undefined, b: Uint8Array | undefined, n: number): Uint8Array | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (a[i] as number) & (b[i] as number);
  return out;
}
