import type { ColumnDef } from "@jetflow/core";
import type { Data } from "apache-arrow";
import { BadValue, describe } from "./values/bad-value.js";
import { FieldKey } from "./values/field-lookup.js";
import { isRecord, type StructChild } from "./values/nested-writers.js";
import { planWriter } from "./values/plan.js";
import type { WriterContext } from "./values/value-writer.js";

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
    if (!isRecord(value)) throw new BadValue(`payload is not ${this.what} (got ${describe(value)})`);
    const children = this.children;
    for (let c = 0; c < children.length; c++) {
      const child = children[c]!;
      child.writer.write(child.key.get(value));
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
