import type { ChangeBatch, SqlType } from "@jetflow/core";
import type { Data, RecordBatch, Schema } from "apache-arrow";
import { batchOf, type Col, fromArrow, nullData, toArrow } from "./col.js";

/**
 * One column of a {@link ColumnsChange}: unpacked ({@link Col}), still Arrow (`Data`, passed
 * through untouched), or `undefined` for a column nobody reads (NULLs if the batch is built).
 */
export type ChangeColumn = Col | Data | undefined;

/**
 * A change batch as an operator made it: its columns in whatever form they are in. The operator
 * downstream reads them as they are ({@link columnOf}, `changeContext`), so text made by one
 * operator reaches the next as strings, with no UTF-8 encode and decode between them. The Arrow
 * batch is built only when something reads `batch` (a view, `changes$`, a sink), once.
 *
 * @example
 * ```ts
 * const out = new ColumnsChange(schema, types, [amounts, regions], n, undefined);
 * columnOf(out, 1); // the regions Col, as made
 * out.batch; // Arrow, built now
 * ```
 */
export class ColumnsChange implements ChangeBatch {
  private built: RecordBatch | undefined;

  constructor(
    readonly schema: Schema,
    readonly types: readonly SqlType[],
    readonly columns: readonly ChangeColumn[],
    readonly length: number,
    readonly ops: Int8Array | undefined,
  ) {}

  get batch(): RecordBatch {
    this.built ??= batchOf(
      this.schema,
      this.columns.map((c, i) => arrowColumn(c, this.types[i] as SqlType, this.length)),
      this.length,
    );
    return this.built;
  }
}

function arrowColumn(c: ChangeColumn, type: SqlType, n: number): Data {
  if (c === undefined) return nullData(type, n);
  return isCol(c) ? toArrow(c) : c;
}

/** Arrow Data always has `children`; a Col never does. */
function isCol(c: Col | Data): c is Col {
  return !("children" in c);
}

/** Rows in a change, without building the Arrow batch of a {@link ColumnsChange}. */
export function rowsIn(change: ChangeBatch): number {
  return change instanceof ColumnsChange ? change.length : change.batch.numRows;
}

/** Column `index` of a change unpacked, taken as made when the change is a {@link ColumnsChange}. */
export function columnOf(change: ChangeBatch, index: number, type: SqlType): Col {
  if (change instanceof ColumnsChange) {
    const c = change.columns[index];
    if (c === undefined) return fromArrow(nullData(type, change.length), type);
    return isCol(c) ? c : fromArrow(c, type);
  }
  return fromArrow(change.batch.data.children[index] as Data, type);
}

/** Column `index` of a change when an operator made it unpacked (a {@link Col}); else undefined. */
export function madeCol(change: ChangeBatch, index: number): Col | undefined {
  const c = change instanceof ColumnsChange ? change.columns[index] : undefined;
  return c !== undefined && isCol(c) ? c : undefined;
}

/** Column `index` of a change in the form it is in (to pass it on untouched). */
export function columnAsIs(change: ChangeBatch, index: number): ChangeColumn {
  return change instanceof ColumnsChange ? change.columns[index] : change.batch.data.children[index];
}
