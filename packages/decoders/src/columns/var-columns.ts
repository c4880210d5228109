import { type Data, type DataType, makeData } from "apache-arrow";
import { Column } from "./column.js";

/**
 * A UTF-8 column (varchar, numeric text, jsonb text). Strings are kept as JS strings while
 * writing and encoded once per batch: one `Buffer.from` of the joined text, so a batch costs
 * one native call instead of one per value.
 */
export abstract class Utf8Column extends Column {
  private strings: string[] = [];

  constructor(type: DataType, capacity: number) {
    super(type, capacity);
  }

  push(value: string): void {
    const i = this.validSlot();
    this.strings[i] = value;
  }

  override truncate(length: number): void {
    super.truncate(length);
    if (this.strings.length > length) this.strings.length = length;
  }

  protected resize(): void {}
  protected fillNull(index: number): void {
    this.strings[index] = "";
  }
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    const strings = this.strings.length === length ? this.strings : this.strings.slice(0, length);
    const joined = strings.join("");
    const data = Buffer.from(joined, "utf8");
    const valueOffsets = new Int32Array(length + 1);
    // All-ASCII text (the usual case) has one byte per UTF-16 unit: offsets are string lengths.
    const ascii = data.length === joined.length;
    let end = 0;
    for (let i = 0; i < length; i++) {
      const s = strings[i]!;
      end += ascii ? s.length : Buffer.byteLength(s, "utf8");
      valueOffsets[i + 1] = end;
    }
    return makeData({ type: this.type, length, nullCount, nullBitmap, valueOffsets, data } as never);
  }
  protected reset(): void {
    this.strings = [];
  }
}

const EMPTY = new Uint8Array(0);

/**
 * A binary (bytea) column. Values are referenced while writing and copied into one buffer
 * at {@link finish}, which runs before `decode` returns, so payload views are never kept.
 */
export abstract class BinaryColumn extends Column {
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  constructor(type: DataType, capacity: number) {
    super(type, capacity);
  }

  push(value: Uint8Array): void {
    const i = this.validSlot();
    this.chunks[i] = value;
    this.bytes += value.length;
  }

  override truncate(length: number): void {
    if (length >= this.length) return;
    for (let i = length; i < this.length; i++) this.bytes -= this.chunks[i]!.length;
    this.chunks.length = length;
    super.truncate(length);
  }

  protected resize(): void {}
  protected fillNull(index: number): void {
    this.chunks[index] = EMPTY;
  }
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    const data = new Uint8Array(this.bytes);
    const valueOffsets = new Int32Array(length + 1);
    let end = 0;
    for (let i = 0; i < length; i++) {
      const chunk = this.chunks[i]!;
      data.set(chunk, end);
      end += chunk.length;
      valueOffsets[i + 1] = end;
    }
    return makeData({ type: this.type, length, nullCount, nullBitmap, valueOffsets, data } as never);
  }
  protected reset(): void {
    this.chunks = [];
    this.bytes = 0;
  }
}
