import { type ColumnDef, parseSqlType, type RawBatch, type SqlType, sqlField, sqlTypeOfField } from "@jetflow/core";
import { type Data, type RecordBatch, Schema } from "apache-arrow";
import fc from "fast-check";
import { expect } from "vitest";
import { BatchDecoder, type PayloadParser } from "./batch-decoder.js";
import type { Decoder } from "./decoder.js";
import { IncludeColumns } from "./include-columns.js";
import { type FlatRow, type RowWriter, SlotKind } from "./row-writer.js";

/**
 * Helpers for this package's tests: raw batches as the connector hands them over, and
 * decoded batches read back as plain values (bigint-width integers as BigInt, timestamps as
 * BigInt microseconds, intervals as { months, days, nanos }), so tests compare exactly; and
 * what the fast-path properties share: decoders built from an encoding's parts, damaged payloads.
 */

const encoder = new TextEncoder();

export interface RawMessage {
  payload: Uint8Array | string;
  subject?: string;
  sequence?: number;
  timestampUs?: number;
  headers?: ReadonlyMap<string, readonly string[]>;
}

/** A RawBatch of messages; strings are UTF-8 encoded; sequences default to 1, 2, 3, ... */
export function rawBatch(messages: readonly (RawMessage | Uint8Array | string)[]): RawBatch {
  const list = messages.map((m) => (typeof m === "string" || m instanceof Uint8Array ? { payload: m } : m));
  const sequences = new Float64Array(list.map((m, i) => m.sequence ?? i + 1));
  const anyHeaders = list.some((m) => m.headers !== undefined);
  return {
    length: list.length,
    payloads: list.map((m) => (typeof m.payload === "string" ? encoder.encode(m.payload) : m.payload)),
    subjects: list.map((m) => m.subject ?? "events"),
    sequences,
    timestampsUs: new Float64Array(list.map((m) => m.timestampUs ?? 1_700_000_000_000_000)),
    headers: anyHeaders ? list.map((m) => m.headers) : undefined,
    offsets: new Map([["c", sequences.length === 0 ? 0 : sequences[sequences.length - 1]!]]),
  };
}

/** The columns of a batch, as rows of plain values keyed by column name. */
export function rowsOf(batch: RecordBatch): Record<string, unknown>[] {
  const fields = batch.schema.fields;
  const columns = fields.map((f, c) => ({ name: f.name, type: sqlTypeOfField(f), data: batch.data.children[c]! }));
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < batch.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const c of columns) row[c.name] = valueAt(c.data, c.type, i);
    rows.push(row);
  }
  return rows;
}

/** One column of a batch as plain values. */
export function columnOf(batch: RecordBatch, name: string): unknown[] {
  return rowsOf(batch).map((r) => r[name]);
}

/** The value at `i` of Arrow data built for `type`. */
export function valueAt(data: Data, type: SqlType, i: number): unknown {
  const at = data.offset + i;
  if (data.nullBitmap !== undefined && data.nullBitmap.length > 0 && data.nullCount > 0) {
    if ((data.nullBitmap[at >> 3]! & (1 << (at & 7))) === 0) return null;
  }
  const values = data.values as unknown as ArrayLike<number | bigint>;
  switch (type.kind) {
    case "struct": {
      const out: Record<string, unknown> = {};
      type.fields.forEach((f, k) => {
        out[f.name] = valueAt(data.children[k]!, f.type, i);
      });
      return out;
    }
    case "list": {
      const offsets = data.valueOffsets as Int32Array;
      const out: unknown[] = [];
      for (let j = offsets[at]!; j < offsets[at + 1]!; j++) out.push(valueAt(data.children[0]!, type.element, j));
      return out;
    }
    case "boolean":
      return ((data.values as Uint8Array)[at >> 3]! & (1 << (at & 7))) !== 0;
    case "varchar":
    case "numeric":
    case "jsonb":
    case "bytea": {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = (data.values as Uint8Array).subarray(offsets[at]!, offsets[at + 1]!);
      return type.kind === "bytea" ? Uint8Array.from(bytes) : new TextDecoder().decode(bytes);
    }
    case "interval": {
      const v = data.values as Int32Array;
      const lo = BigInt(v[at * 4 + 2]! >>> 0);
      const hi = BigInt(v[at * 4 + 3]!);
      return { months: v[at * 4]!, days: v[at * 4 + 1]!, nanos: (hi << 32n) + lo };
    }
    default:
      return values[at];
  }
}

/** Column definitions shorthand: `cols({ id: "bigint", tags: "varchar[]" })` via core's parser. */
export function cols(spec: Record<string, SqlType>): ColumnDef[] {
  return Object.entries(spec).map(([name, type]) => ({ name, type }));
}

/** Column definitions from SQL type text: `columnsOf({ id: "bigint", tags: "varchar[]" })`. */
/** A flat reader's row as plain values: UTF-8 text slots as `{ utf8: text }`, the rest as `valueAt` gives them. */
export function flatValues(row: FlatRow): unknown[] {
  return Array.from(row.kinds, (kind, c) => (kind === SlotKind.utf8 ? { utf8: row.valueAt(c) } : row.valueAt(c)));
}

export function columnsOf(spec: Record<string, string>): ColumnDef[] {
  return Object.entries(spec).map(([name, type]) => ({ name, type: parseSqlType(type, name) }));
}

/** The first columns of the flat readers' tests (JSON, MessagePack), in this order: one of each kind a flat event fills. */
export const FLAT_EVENT_COLUMNS: Readonly<Record<string, string>> = {
  id: "bigint",
  name: "varchar",
  score: "double precision",
  amount: "numeric",
  flag: "boolean",
  n: "integer",
  doc: "jsonb",
};

/** A decoder of these payload columns (no INCLUDE columns) from an encoding's parser and row writer. */
export function payloadDecoder(
  columns: readonly ColumnDef[],
  encoding: string,
  parser: PayloadParser,
  rows: RowWriter,
): BatchDecoder {
  const schema = new Schema(columns.map((c) => sqlField(c.name, c.type)));
  return new BatchDecoder(schema, encoding, parser, rows, new IncludeColumns([]));
}

/** How {@link damaged} spoils a payload at a position: a byte set, inserted or cut, or the rest cut. */
export type Damage = "set" | "insert" | "cut" | "truncate";

/** Payloads of `payload` spoiled one of these ways at one position (malformed, truncated, invalid text...). */
export function damaged(
  payload: fc.Arbitrary<Uint8Array>,
  ways: readonly Damage[] = ["set", "insert", "cut"],
): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(payload, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom(...ways))
    .map(([bytes, at, byte, how]) => {
      const b = [...bytes];
      const i = b.length === 0 ? 0 : at % b.length;
      if (how === "set") b[i] = byte;
      else if (how === "insert") b.splice(i, 0, byte);
      else if (how === "cut") b.splice(i, 1);
      else b.length = i;
      return Uint8Array.from(b);
    });
}

/**
 * The property of a fast path: for batches of up to `maxBatch` payloads, the decoder with it
 * (`fast`) and the one without (`general`), each made fresh per batch, give the same rows and
 * the same bad messages.
 */
export function sameDecoding(
  fast: () => Decoder,
  general: () => Decoder,
  payload: fc.Arbitrary<Uint8Array>,
  maxBatch = 8,
): fc.IPropertyWithHooks<[Uint8Array[]]> {
  return fc.property(fc.array(payload, { minLength: 1, maxLength: maxBatch }), (payloads) => {
    const a = fast().decode(rawBatch(payloads));
    const b = general().decode(rawBatch(payloads));
    expect(a.bad).toEqual(b.bad);
    expect(rowsOf(a.batch)).toEqual(rowsOf(b.batch));
  });
}
