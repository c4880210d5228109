import { type Data, type DataType, makeData } from "apache-arrow";
import { Column } from "./column.js";

/** Bytes reserved per row of a new text column (grows as needed). */
const BYTES_PER_ROW = 16;
/** Strings shorter than this are encoded by a JS loop when ASCII; longer ones by one native call. */
const SHORT_STRING = 64;
/** `Buffer#write` without its argument juggling: (string, offset, length) -> bytes written. */
const utf8Write = Buffer.prototype.utf8Write as (this: Buffer, text: string, offset: number, length: number) => number;

/**
 * A UTF-8 column (varchar, numeric text, jsonb text), written as bytes as values arrive:
 * strings are encoded into one growing buffer (short ASCII ones by a plain loop, others by
 * one native UTF-8 write), and readers that hold the UTF-8 bytes already (the JSON fast path) copy
 * them in without making a string at all.
 */
export abstract class Utf8Column extends Column {
  private bytes: Buffer;
  private offsets: Int32Array;
  /** Bytes of the last finished batch, to size the next one. */
  private used = 0;

  constructor(type: DataType, capacity: number) {
    super(type, capacity);
    this.bytes = Buffer.allocUnsafe(this.capacity * BYTES_PER_ROW);
    this.offsets = new Int32Array(this.capacity + 1);
  }

  push(value: string): void {
    const i = this.validSlot();
    const n = value.length;
    let at = this.offsets[i]!;
    if (at + 3 * n > this.bytes.length) this.growBytes(at + 3 * n, at);
    const bytes = this.bytes;
    if (n < SHORT_STRING) {
      const start = at;
      for (let k = 0; k < n; k++) {
        const c = value.charCodeAt(k);
        if (c >= 0x80) {
          at = start + utf8Write.call(bytes, value, start, bytes.length - start);
          break;
        }
        bytes[at++] = c;
      }
    } else {
      // A UTF-16 unit is at most 3 UTF-8 bytes and the room was made, so nothing is cut off.
      at += utf8Write.call(bytes, value, at, bytes.length - at);
    }
    this.offsets[i + 1] = at;
  }

  /** Appends bytes `start..end` of `source`, which must be valid UTF-8. */
  pushUtf8(source: Uint8Array, start: number, end: number): void {
    const i = this.validSlot();
    let at = this.offsets[i]!;
    const n = end - start;
    if (at + n > this.bytes.length) this.growBytes(at + n, at);
    const bytes = this.bytes;
    if (n < SHORT_STRING) {
      // Four bytes a step: about half the time of a plain loop for the usual 10-60 byte values.
      let k = start;
      for (; k + 4 <= end; k += 4, at += 4) {
        bytes[at] = source[k]!;
        bytes[at + 1] = source[k + 1]!;
        bytes[at + 2] = source[k + 2]!;
        bytes[at + 3] = source[k + 3]!;
      }
      for (; k < end; k++) bytes[at++] = source[k]!;
    } else {
      bytes.set(source.subarray(start, end), at);
      at += n;
    }
    this.offsets[i + 1] = at;
  }

  protected resize(capacity: number): void {
    const offsets = new Int32Array(capacity + 1);
    offsets.set(this.offsets.subarray(0, this.length + 1));
    this.offsets = offsets;
  }
  protected fillNull(index: number): void {
    this.offsets[index + 1] = this.offsets[index]!;
  }
  protected build(length: number, nullCount: number, nullBitmap: Uint8Array | undefined): Data {
    const end = this.offsets[length]!;
    this.used = end;
    const data = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, end);
    const valueOffsets = this.offsets.subarray(0, length + 1);
    return makeData({ type: this.type, length, nullCount, nullBitmap, valueOffsets, data } as never);
  }
  protected reset(): void {
    // The finished Data keeps the old buffers; the next batch gets buffers sized like this one.
    this.bytes = Buffer.allocUnsafe(Math.max(this.capacity * BYTES_PER_ROW, this.used));
    this.offsets = new Int32Array(this.capacity + 1);
  }

  private growBytes(needed: number, keep: number): void {
    const bytes = Buffer.allocUnsafe(Math.max(needed, 2 * this.bytes.length));
    this.bytes.copy(bytes, 0, 0, keep);
    this.bytes = bytes;
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
