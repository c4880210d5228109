import type { ChangeBatch, SqlType } from "@jetflow/core";
import { takeChange } from "@jetflow/operators";
import {
  Field,
  Int8,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  tableFromIPC,
  type Data,
  DataType,
} from "apache-arrow";

/** The column of an exchange message that carries each row's op (1 insert, -1 retract). */
export const OP_COLUMN = "__op";

/**
 * A change as exchange messages: Arrow IPC stream bytes, each one RecordBatch of the change's
 * columns (their fields and SQL type metadata as they are) plus a last, non-null `Int8` column
 * `__op`. A change whose bytes exceed `maxBytes` is split by rows into parts that fit (a single
 * row larger than that is one message of its own).
 *
 * @example
 * ```ts
 * const [bytes] = encodeChange(change, types, 1_000_000);
 * decodeChange(bytes).ops; // change.ops, or all 1
 * ```
 */
export function encodeChange(change: ChangeBatch, types: readonly SqlType[], maxBytes: number): Uint8Array[] {
  const rows = change.batch.numRows;
  const bytes = encodeOne(change);
  if (bytes.length <= maxBytes || rows <= 1) return [bytes];
  const parts = Math.min(rows, Math.ceil(bytes.length / maxBytes) + 1);
  const out: Uint8Array[] = [];
  for (let k = 0; k < parts; k++) {
    const from = Math.floor((k * rows) / parts);
    const to = Math.floor(((k + 1) * rows) / parts);
    const idx = Int32Array.from({ length: to - from }, (_, j) => from + j);
    out.push(...encodeChange(takeChange(change, change.batch.schema, types, idx), types, maxBytes));
  }
  return out;
}

function encodeOne(change: ChangeBatch): Uint8Array {
  const { batch } = change;
  const n = batch.numRows;
  const ops = change.ops?.subarray(0, n) ?? new Int8Array(n).fill(1);
  const schema = new Schema([...batch.schema.fields, new Field(OP_COLUMN, new Int8(), false)], batch.schema.metadata);
  const opData = makeData({ type: new Int8(), length: n, nullCount: 0, data: ops });
  const struct = makeData({
    type: new Struct(schema.fields),
    length: n,
    nullCount: 0,
    children: [...batch.data.children, opData],
  });
  return RecordBatchStreamWriter.writeAll([new RecordBatch(schema, struct)]).toUint8Array(true);
}

/**
 * An exchange message back as the change it holds: the same fields (SQL types in their
 * metadata), ops from `__op`. Throws a `TypeError` naming what is wrong with bytes that are not
 * one.
 */
export function decodeChange(bytes: Uint8Array): ChangeBatch {
  const table = tableFromIPC(bytes);
  const batch = table.batches[0];
  const last = table.schema.fields.at(-1);
  if (table.batches.length !== 1 || batch === undefined || last?.name !== OP_COLUMN || !isInt8(last.type)) {
    throw new TypeError(`not an exchange message: expected one record batch whose last column is Int8 "${OP_COLUMN}"`);
  }
  const n = batch.numRows;
  const children = batch.data.children;
  const ops = Int8Array.from((children.at(-1) as Data<Int8>).values.subarray(0, n));
  const schema = new Schema(table.schema.fields.slice(0, -1), table.schema.metadata);
  const struct = makeData({
    type: new Struct(schema.fields),
    length: n,
    nullCount: 0,
    children: children.slice(0, -1),
  });
  return { batch: new RecordBatch(schema, struct), ops };
}

/** IPC reads an Int8 column back as `Int_` of 8 signed bits, not as the `Int8` class. */
function isInt8(type: DataType): boolean {
  return DataType.isInt(type) && type.bitWidth === 8 && type.isSigned;
}
