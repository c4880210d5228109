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

/**
 * What a {@link FlatRow} slot holds, one byte per column: kept apart from the values so a number
 * stays an unboxed double and text stays bytes (no heap number, no string per row).
 */
export const SlotKind = {
  /** The key was not in the message: written as `undefined` (SQL NULL). */
  absent: 0,
  /** Any JS value, in `values[c]`. */
  value: 1,
  /** UTF-8 text at `source[starts[c]..ends[c])`, for a column whose writer takes bytes (`writeUtf8`). */
  utf8: 2,
  /** A JS number, in `numbers[c]`. */
  number: 3,
  /** A signed 64-bit integer as two's-complement halves `starts[c]` (low), `ends[c]` (high): protobuf's Long. */
  int64: 4,
  /** {@link SlotKind.int64}, unsigned. */
  uint64: 5,
} as const;

/** protobufjs's `Long` constructor, for a 64-bit slot written to a column that takes no halves. */
export type LongConstructor = new (low: number, high: number, unsigned: boolean) => object;

/**
 * A message already split into one value per payload column by a reader that knows the
 * columns (the flat JSON, MessagePack and protobuf readers): written without field lookups,
 * numbers and text straight from typed slots into the column builders (see {@link SlotKind}).
 */
export class FlatRow {
  readonly kinds: Uint8Array;
  readonly values: unknown[];
  readonly numbers: Float64Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  source: Uint8Array = new Uint8Array(0);
  /** Builds the value of a 64-bit slot for {@link valueAt}; set by the reader that writes such slots. */
  long: LongConstructor | undefined;

  constructor(columns: number) {
    this.kinds = new Uint8Array(columns);
    this.values = new Array<unknown>(columns).fill(undefined);
    this.numbers = new Float64Array(columns);
    this.starts = new Int32Array(columns);
    this.ends = new Int32Array(columns);
  }

  /** Starts reading `source` into this row: every column absent until a key sets it. */
  begin(source: Uint8Array): void {
    const kinds = this.kinds;
    for (let c = 0; c < kinds.length; c++) kinds[c] = SlotKind.absent;
    this.source = source;
  }

  setValue(c: number, value: unknown): void {
    this.kinds[c] = SlotKind.value;
    this.values[c] = value;
  }

  setNumber(c: number, value: number): void {
    this.kinds[c] = SlotKind.number;
    this.numbers[c] = value;
  }

  setUtf8(c: number, start: number, end: number): void {
    this.kinds[c] = SlotKind.utf8;
    this.starts[c] = start;
    this.ends[c] = end;
  }

  setInt64(c: number, low: number, high: number, unsigned: boolean): void {
    this.kinds[c] = unsigned ? SlotKind.uint64 : SlotKind.int64;
    this.starts[c] = low;
    this.ends[c] = high;
  }

  /**
   * Column `c`'s value as the general path would give it (a string for UTF-8 text, a Long for
   * 64-bit halves): for writers without a typed entry point, and for tests.
   */
  valueAt(c: number): unknown {
    switch (this.kinds[c]) {
      case SlotKind.value:
        return this.values[c];
      case SlotKind.utf8:
        return utf8Text.decode(this.source.subarray(this.starts[c], this.ends[c]));
      case SlotKind.number:
        return this.numbers[c];
      case SlotKind.int64:
      case SlotKind.uint64:
        return new (this.long as LongConstructor)(this.starts[c]!, this.ends[c]!, this.kinds[c] === SlotKind.uint64);
      default:
        return undefined;
    }
  }
}

const utf8Text = new TextDecoder();

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

  /**
   * One switch per column on the slot's kind: numbers, text bytes and 64-bit halves reach the
   * writer's typed entry point when it has one (no boxing, no string), the rest goes through `write`.
   */
  private writeFlat(row: FlatRow): void {
    const children = this.children;
    const kinds = row.kinds;
    for (let c = 0; c < children.length; c++) {
      const writer = children[c]!.writer;
      switch (kinds[c]) {
        case SlotKind.number:
          if (writer.writeNumber !== undefined) writer.writeNumber(row.numbers[c]!);
          else writer.write(row.numbers[c]);
          break;
        case SlotKind.utf8:
          if (writer.writeUtf8 !== undefined) writer.writeUtf8(row.source, row.starts[c]!, row.ends[c]!);
          else writer.write(row.valueAt(c));
          break;
        case SlotKind.value:
          writer.write(row.values[c]);
          break;
        case SlotKind.absent:
          writer.write(undefined);
          break;
        default:
          if (writer.writeInt64 !== undefined) {
            writer.writeInt64(row.starts[c]!, row.ends[c]!, kinds[c] === SlotKind.uint64);
          } else writer.write(row.valueAt(c));
      }
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
