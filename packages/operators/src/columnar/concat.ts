import type { ChangeBatch, SqlType } from "@jetflow/core";
import { type Data, makeData, type Schema } from "apache-arrow";
import { allocValues, batchOf, type Col, fromArrow, repOf, toArrow } from "./col.js";
import { fromPlain, plainValues } from "./plain.js";

/**
 * Concatenates columns of one SQL type into one Arrow Data. Text and bytes are joined as bytes
 * (no UTF-8 decode and re-encode); fixed-width values as typed arrays.
 */
export function concatData(parts: readonly Data[], type: SqlType): Data {
  if (parts.length === 1) return parts[0] as Data;
  const rep = repOf(type);
  if (rep === "str" || rep === "bytes") return concatVarBinary(parts);
  const cols = parts.map((p) => fromArrow(p, type));
  return toArrow(concatCols(cols, type));
}

/**
 * The rows of several changes of one schema as one change, in order (ops concatenated; all
 * inserts when none carries ops).
 *
 * @example
 * ```ts
 * concatChanges([a, b], schema, types).batch.numRows; // a's rows + b's rows
 * ```
 */
export function concatChanges(changes: readonly ChangeBatch[], schema: Schema, types: readonly SqlType[]): ChangeBatch {
  if (changes.length === 1) return changes[0] as ChangeBatch;
  const n = changes.reduce((a, c) => a + c.batch.numRows, 0);
  const columns = types.map((t, k) =>
    concatData(
      changes.map((c) => c.batch.data.children[k] as Data),
      t,
    ),
  );
  let ops: Int8Array | undefined;
  if (changes.some((c) => c.ops !== undefined)) {
    ops = new Int8Array(n).fill(1);
    let at = 0;
    for (const c of changes) {
      if (c.ops !== undefined) ops.set(c.ops.subarray(0, c.batch.numRows), at);
      at += c.batch.numRows;
    }
  }
  return { batch: batchOf(schema, columns, n), ops };
}

function concatValid(cols: readonly Col[], n: number): Uint8Array | undefined {
  if (cols.every((c) => c.valid === undefined)) return undefined;
  const valid = new Uint8Array(n).fill(1);
  let at = 0;
  for (const c of cols) {
    if (c.valid !== undefined) valid.set(c.valid, at);
    at += c.length;
  }
  return valid;
}

/** Concatenates columns of one SQL type (unpacked). */
export function concatCols(cols: readonly Col[], type: SqlType): Col {
  const n = cols.reduce((a, c) => a + c.length, 0);
  const valid = concatValid(cols, n);
  const rep = repOf(type);
  if (rep === "nested") return fromPlain(cols.flatMap(plainValues), type);
  const out = allocValues(type, n) as unknown as unknown[] | Int32Array;
  const stride = rep === "interval" ? 4 : 1;
  let at = 0;
  for (const c of cols) {
    const v = c.values as unknown as ArrayLike<unknown>;
    if (Array.isArray(out)) for (let i = 0; i < c.length; i++) out[at + i] = v[i];
    else (out as Int32Array).set((c.values as Int32Array).subarray(0, c.length * stride), at * stride);
    at += c.length;
  }
  return { type, length: n, values: out as never, valid };
}

function concatVarBinary(parts: readonly Data[]): Data {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const valueOffsets = new Int32Array(n + 1);
  let size = 0;
  for (const p of parts)
    size += ((p.valueOffsets as Int32Array)[p.length] as number) - ((p.valueOffsets as Int32Array)[0] as number);
  const bytes = new Uint8Array(size);
  let row = 0;
  let pos = 0;
  let nullCount = 0;
  const nulls = parts.some((p) => p.nullCount > 0) ? new Uint8Array(((n + 63) & ~63) >> 3) : undefined;
  for (const p of parts) {
    const offsets = p.valueOffsets as Int32Array;
    const base = offsets[0] as number;
    bytes.set((p.values as Uint8Array).subarray(base, offsets[p.length] as number), pos);
    const bits = p.nullCount > 0 ? (p.nullBitmap as Uint8Array) : undefined;
    for (let i = 0; i < p.length; i++) {
      valueOffsets[row + 1] = pos + (offsets[i + 1] as number) - base;
      if (nulls !== undefined) {
        const k = p.offset + i;
        if (bits === undefined || (((bits[k >> 3] as number) >> (k & 7)) & 1) === 1) {
          nulls[row >> 3] = (nulls[row >> 3] as number) | (1 << (row & 7));
        } else nullCount++;
      }
      row++;
    }
    pos += (offsets[p.length] as number) - base;
  }
  const type = (parts[0] as Data).type;
  return makeData({
    type,
    length: n,
    nullCount,
    valueOffsets,
    data: bytes,
    ...(nulls === undefined || nullCount === 0 ? {} : { nullBitmap: nulls }),
  } as never);
}
