import type { ColumnDef } from "@jetflow/core";
import type { Data } from "apache-arrow";
import { BadValue, describe } from "./values/bad-value.js";
import { FieldKey } from "./values/field-lookup.js";
import { isRecord, type StructChild } from "./values/nested-writers.js";
import { planWriter } from "./values/plan.js";
import type { ValueWriter, WriterContext } from "./values/value-writer.js";

/**
 * Writes whole decoded messages as rows of the payload columns. `writeRow` throws a
 * `BadValue` when the message does not fit; the caller then truncates back to the rows
 * written before it.
 */
export interface RowWriter {
  /** Complete rows written. */
  readonly length: number;
  reserve(rows: number): void;
  writeRow(value: unknown): void;
  truncate(rows: number): void;
  /** One Arrow column per payload column, in order. */
  finish(): Data[];
}

/** Marks a {@link FlatRow} value that is UTF-8 text at `source[starts[c]..ends[c])`. */
export const UTF8_TEXT: unique symbol = Symbol("utf8 text");

/**
 * A message already split into one value per payload column by a reader that knows the
 * columns (the JSON fast path): written without field lookups. A value may be
 * {@link UTF8_TEXT}, for a column whose writer takes UTF-8 bytes (`writeUtf8`).
 */
export class FlatRow {
  readonly values: unknown[];
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  source: Uint8Array = new Uint8Array(0);

  constructor(columns: number) {
    this.values = new Array<unknown>(columns).fill(undefined);
    this.starts = new Int32Array(columns);
    this.ends = new Int32Array(columns);
  }

  /** Starts reading `source` into this row: every column absent (undefined) until a key sets it. */
  begin(source: Uint8Array): unknown[] {
    const values = this.values;
    values.fill(undefined);
    this.source = source;
    return values;
  }
}

/** The rows of a schema-driven encoding: the message is an object, each column one of its fields. */
export class RecordRowWriter implements RowWriter {
  length = 0;

  /**
   * @param children one per payload column: where its value is in the message, and its writer
   * @param what the encoding's name for an object, used in the reason when a payload is not one
   */
  constructor(
    private readonly children: readonly StructChild[],
    private readonly what: string,
  ) {}

  /** The row writer of a schema-driven encoding: each column planned from its SQL type. */
  static forColumns(columns: readonly ColumnDef[], ctx: WriterContext, what: string): RecordRowWriter {
    const children = columns.map((c) => ({ key: new FieldKey(c.name), writer: planWriter(c.type, c.name, 1024, ctx) }));
    return new RecordRowWriter(children, what);
  }

  reserve(rows: number): void {
    for (const child of this.children) child.writer.reserve(rows);
  }

  writeRow(value: unknown): void {
    if (value instanceof FlatRow) {
      this.writeFlat(value);
      return;
    }
    if (!isRecord(value)) throw new BadValue(`payload is not ${this.what} (got ${describe(value)})`);
    const children = this.children;
    for (let c = 0; c < children.length; c++) {
      const child = children[c]!;
      child.writer.write(child.key.get(value));
    }
    this.length++;
  }

  private writeFlat(row: FlatRow): void {
    const children = this.children;
    const values = row.values;
    for (let c = 0; c < children.length; c++) {
      const writer = children[c]!.writer;
      const v = values[c];
      if (v === UTF8_TEXT)
        (writer.writeUtf8 as NonNullable<ValueWriter["writeUtf8"]>)(row.source, row.starts[c]!, row.ends[c]!);
      else writer.write(v);
    }
    this.length++;
  }

  truncate(rows: number): void {
    for (const child of this.children) child.writer.truncate(rows);
    this.length = Math.min(this.length, rows);
  }

  finish(): Data[] {
    this.length = 0;
    return this.children.map((c) => c.writer.finish());
  }
}
