import { type Data, type DataType, makeData } from "apache-arrow";
import { Column, grown, NESTED_CAPACITY } from "../columns/column.js";
import { badValue } from "./bad-value.js";
import type { FieldKey, FieldReader } from "./field-lookup.js";
import type { ValueWriter } from "./value-writer.js";
import { isLong, LongNumber } from "./wide-numbers.js";

/** A struct field: where to find it in an object, and the writer of its column. */
export interface StructChild {
  readonly key: FieldReader;
  readonly writer: ValueWriter;
}

/** True for a decoded object that can hold named fields (not an array, binary, date or wide number). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof Date) &&
    !(value instanceof LongNumber) &&
    !isLong(value)
  );
}

/**
 * `struct<...>`: an object whose fields are matched by name (see {@link FieldKey}); missing
 * fields are NULL, extra ones ignored. Like RisingWave, a string holding a JSON object is
 * parsed and accepted too.
 */
export class StructWriter extends Column implements ValueWriter {
  constructor(
    type: DataType,
    private readonly path: string,
    protected readonly children: readonly StructChild[],
    capacity = NESTED_CAPACITY,
  ) {
    super(type, capacity);
  }

  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    let record = value;
    if (typeof value === "string") {
      try {
        record = JSON.parse(value);
      } catch {
        throw badValue(this.path, "expected an object (or a string holding a JSON object)", value);
      }
    }
    if (!isRecord(record)) throw badValue(this.path, "expected an object", value);
    for (const child of this.children) child.writer.write(child.key.get(record));
    this.validSlot();
  }

  /** A NULL struct still gives each child a (NULL) slot: Arrow children share the parent's length. */
  protected fillNull(): void {
    for (const child of this.children) child.writer.writeNull();
  }

  /** Children may be ahead of this column when a field failed mid-row: always cut them too. */
  override truncate(length: number): void {
    super.truncate(length);
    for (const child of this.children) child.writer.truncate(this.length);
  }

  override reserve(capacity: number): void {
    super.reserve(capacity);
    for (const child of this.children) child.writer.reserve(capacity);
  }

  protected resize(): void {}
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    const children = this.children.map((c) => c.writer.finish());
    return makeData({ type: this.type, length, nullCount, nullBitmap, children } as never);
  }
  protected reset(): void {}
}

/** `T[]`: an array, each element written by the element writer (JSON null elements are NULL). */
export class ListWriter extends Column implements ValueWriter {
  private offsets: Int32Array;

  constructor(
    type: DataType,
    private readonly path: string,
    private readonly element: ValueWriter,
    capacity = NESTED_CAPACITY,
  ) {
    super(type, capacity);
    this.offsets = new Int32Array(this.capacity + 1);
  }

  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    if (!Array.isArray(value)) throw badValue(this.path, "expected an array", value);
    for (let i = 0; i < value.length; i++) this.element.write(value[i]);
    this.closeSlot();
  }

  /** Ends a list value whose elements a subclass wrote to the element writer itself (map entries). */
  protected closeSlot(): void {
    const i = this.validSlot();
    this.offsets[i + 1] = this.element.length;
  }

  protected fillNull(index: number): void {
    this.offsets[index + 1] = this.offsets[index]!;
  }

  /** Elements may be ahead of the offsets when an element failed mid-row: always cut them too. */
  override truncate(length: number): void {
    super.truncate(length);
    this.element.truncate(this.offsets[this.length]!);
  }

  protected resize(capacity: number): void {
    this.offsets = grown(this.offsets, capacity + 1, this.length + 1);
  }
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    const child = this.element.finish();
    const valueOffsets = this.offsets.subarray(0, length + 1);
    return makeData({ type: this.type, length, nullCount, nullBitmap, valueOffsets, child } as never);
  }
  protected reset(): void {
    this.offsets = new Int32Array(this.capacity + 1);
  }
}
