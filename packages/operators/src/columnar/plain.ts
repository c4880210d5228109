import { arrowTypeOf, type ChangeBatch, type SqlType } from "@jetflow/core";
import { type Data, makeData } from "apache-arrow";
import { allocValues, type Col, fromArrow, type Rep, repOf, toArrow } from "./col.js";
import { columnOf } from "./columns-change.js";

/**
 * Plain values: how operator state keeps row values (KeyedStore values must be plain data).
 * - boolean -> boolean; smallint, integer, real, double precision, date (days) -> number
 * - bigint -> bigint; time, timestamp, timestamptz -> bigint microseconds
 * - numeric, varchar, jsonb -> string; bytea -> Uint8Array (a copy, never a view of a batch)
 * - interval -> [months, days, nanoseconds as bigint]
 * - struct -> plain object by field name; list -> array; NULL -> null
 */
export type Plain = unknown;

/** Every row of a column as plain values. */
export function plainValues(col: Col): Plain[] {
  const n = col.length;
  const out = new Array<Plain>(n);
  const valid = col.valid;
  switch (repOf(col.type)) {
    case "bool": {
      const v = col.values as Uint8Array;
      for (let i = 0; i < n; i++) out[i] = v[i] === 1;
      break;
    }
    case "bytes": {
      const v = col.values as Uint8Array[];
      for (let i = 0; i < n; i++) out[i] = (v[i] as Uint8Array).slice();
      break;
    }
    case "interval": {
      const v = col.values as Int32Array;
      for (let i = 0; i < n; i++) out[i] = intervalAt(v, i);
      break;
    }
    case "nested":
      return nestedPlain(col);
    default: {
      const v = col.values as ArrayLike<unknown>;
      for (let i = 0; i < n; i++) out[i] = v[i];
    }
  }
  if (valid !== undefined) for (let i = 0; i < n; i++) if (valid[i] === 0) out[i] = null;
  return out;
}

/**
 * Single rows of columns as plain values (what {@link plainValues} gives, one row at a time),
 * for operators that keep only some rows of a batch: no plain array per column.
 */
export class PlainRowReader {
  private readonly reps: readonly Rep[];
  private readonly nested: (Plain[] | undefined)[];

  constructor(private readonly cols: readonly Col[]) {
    this.reps = cols.map((c) => repOf(c.type));
    this.nested = cols.map(() => undefined);
  }

  /** Row `i`, every column. */
  row(i: number): Plain[] {
    const w = this.cols.length;
    const row = new Array<Plain>(w);
    for (let c = 0; c < w; c++) row[c] = this.at(c, i);
    return row;
  }

  /** Column `c` of row `i`. */
  at(c: number, i: number): Plain {
    const col = this.cols[c] as Col;
    if (col.valid !== undefined && col.valid[i] === 0) return null;
    switch (this.reps[c]) {
      case "bool":
        return (col.values as Uint8Array)[i] === 1;
      case "bytes":
        return ((col.values as Uint8Array[])[i] as Uint8Array).slice();
      case "interval":
        return intervalAt(col.values as Int32Array, i);
      case "nested": {
        let values = this.nested[c];
        if (values === undefined) {
          values = plainValues(col);
          this.nested[c] = values;
        }
        return values[i];
      }
      default:
        return (col.values as ArrayLike<Plain>)[i];
    }
  }
}

/** The interval at row `i` of a 4-ints-per-row interval array, as `[months, days, nanos]`. */
export function intervalAt(v: Int32Array, i: number): [number, number, bigint] {
  const lo = BigInt((v[4 * i + 2] as number) >>> 0);
  const hi = BigInt(v[4 * i + 3] as number);
  return [v[4 * i] as number, v[4 * i + 1] as number, (hi << 32n) | lo];
}

function nestedPlain(col: Col): Plain[] {
  const data = col.values as Data;
  const type = col.type;
  const n = col.length;
  const out = new Array<Plain>(n);
  if (type.kind === "struct") {
    const children = type.fields.map((f, j) => plainValues(fromArrow(data.children[j] as Data, f.type)));
    for (let i = 0; i < n; i++) {
      const row: Record<string, Plain> = {};
      type.fields.forEach((f, j) => {
        row[f.name] = (children[j] as Plain[])[i];
      });
      out[i] = row;
    }
  } else if (type.kind === "list") {
    const offsets = data.valueOffsets as Int32Array;
    const items = plainValues(fromArrow(data.children[0] as Data, type.element));
    for (let i = 0; i < n; i++) out[i] = items.slice(offsets[i] as number, offsets[i + 1] as number);
  }
  if (col.valid !== undefined) for (let i = 0; i < n; i++) if (col.valid[i] === 0) out[i] = null;
  return out;
}

/** Builds a column from plain values (see {@link Plain}); the inverse of {@link plainValues}. */
export function fromPlain(values: readonly Plain[], type: SqlType): Col {
  const n = values.length;
  let valid: Uint8Array | undefined;
  for (let i = 0; i < n; i++) {
    if (values[i] === null || values[i] === undefined) {
      valid ??= new Uint8Array(n).fill(1);
      valid[i] = 0;
    }
  }
  const rep = repOf(type);
  if (rep === "nested") return { type, length: n, valid, values: nestedData(values, type, valid) };
  const out = allocValues(type, n);
  switch (rep) {
    case "bool": {
      const o = out as Uint8Array;
      for (let i = 0; i < n; i++) o[i] = values[i] === true ? 1 : 0;
      break;
    }
    case "interval": {
      const o = out as Int32Array;
      for (let i = 0; i < n; i++) {
        const v = values[i] as [number, number, bigint] | null;
        if (v === null || v === undefined) continue;
        o[4 * i] = v[0];
        o[4 * i + 1] = v[1];
        o[4 * i + 2] = Number(BigInt.asIntN(32, v[2]));
        o[4 * i + 3] = Number(BigInt.asIntN(32, v[2] >> 32n));
      }
      break;
    }
    case "str":
    case "bytes": {
      const o = out as unknown[];
      for (let i = 0; i < n; i++) if (values[i] !== null && values[i] !== undefined) o[i] = values[i];
      break;
    }
    case "i64":
    case "micros": {
      const o = out as BigInt64Array;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v !== null && v !== undefined) o[i] = typeof v === "bigint" ? v : BigInt(v as number);
      }
      break;
    }
    default: {
      const o = out as Float64Array;
      for (let i = 0; i < n; i++) o[i] = (values[i] as number | null) ?? 0;
    }
  }
  return { type, length: n, valid, values: out };
}

function nestedData(values: readonly Plain[], type: SqlType, valid: Uint8Array | undefined): Data {
  const n = values.length;
  const arrowType = arrowTypeOf(type);
  let nullCount = 0;
  if (valid !== undefined) for (let i = 0; i < n; i++) nullCount += 1 - (valid[i] as number);
  const nullBitmap =
    nullCount > 0
      ? toArrow({ type: { kind: "boolean" }, length: n, valid: undefined, values: valid as Uint8Array }).values
      : undefined;
  const base = { type: arrowType, length: n, nullCount, ...(nullBitmap === undefined ? {} : { nullBitmap }) };
  if (type.kind === "struct") {
    const children = type.fields.map((f) => {
      const column = new Array<Plain>(n);
      for (let i = 0; i < n; i++) {
        const row = values[i] as Record<string, Plain> | null | undefined;
        column[i] = row === null || row === undefined ? null : (row[f.name] ?? null);
      }
      return toArrow(fromPlain(column, f.type));
    });
    return makeData({ ...base, children } as never);
  }
  if (type.kind !== "list") throw new TypeError(`${type.kind} is not nested`);
  const valueOffsets = new Int32Array(n + 1);
  const items: Plain[] = [];
  for (let i = 0; i < n; i++) {
    const list = values[i] as Plain[] | null | undefined;
    if (list !== null && list !== undefined) for (const item of list) items.push(item);
    valueOffsets[i + 1] = items.length;
  }
  return makeData({ ...base, valueOffsets, child: toArrow(fromPlain(items, type.element)) } as never);
}

/** A column of `n` copies of one value (or NULLs when `value` is null). */
export function constantCol(type: SqlType, n: number, value: unknown): Col {
  if (value === null || value === undefined) {
    if (repOf(type) === "nested") return fromPlain(new Array(n).fill(null), type);
    return { type, length: n, values: allocValues(type, n), valid: new Uint8Array(n) };
  }
  const values = allocValues(type, n);
  switch (repOf(type)) {
    case "bool":
      (values as Uint8Array).fill(value ? 1 : 0);
      break;
    case "interval": {
      const iv = value as Int32Array;
      const out = values as Int32Array;
      for (let i = 0; i < n; i++) out.set(iv, 4 * i);
      break;
    }
    default:
      (values as unknown[]).fill(value as never);
  }
  return { type, length: n, values, valid: undefined };
}

/** Every column of a change as plain values (see plain.ts), taken as made from a {@link ColumnsChange}. */
export function plainColumns(change: ChangeBatch, types: readonly SqlType[]): Plain[][] {
  return types.map((t, c) => plainValues(columnOf(change, c, t)));
}
