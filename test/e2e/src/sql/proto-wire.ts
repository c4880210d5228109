/**
 * A minimal protobuf wire-format writer for the tests: it encodes messages by hand, independent
 * of the protobuf library the decoder uses, so the two cannot share a mistake.
 */
export class ProtoWriter {
  private readonly bytes: number[] = [];

  /** A varint field (int32, int64, bool, enum): negative values take ten bytes, as int64 two's complement. */
  varint(field: number, value: number | bigint): this {
    this.key(field, 0);
    this.rawVarint(BigInt.asUintN(64, BigInt(value)));
    return this;
  }

  /** A 64-bit little-endian double. */
  double(field: number, value: number): this {
    this.key(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.bytes.push(...b);
    return this;
  }

  /** A string (UTF-8), bytes, or an embedded message. */
  bytesField(field: number, value: string | Uint8Array): this {
    const data = typeof value === "string" ? new TextEncoder().encode(value) : value;
    this.key(field, 2);
    this.rawVarint(BigInt(data.length));
    this.bytes.push(...data);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private key(field: number, wireType: number): void {
    this.rawVarint(BigInt((field << 3) | wireType));
  }

  private rawVarint(v: bigint): void {
    let x = v;
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }
}

/** A `google.protobuf.Timestamp` message. */
export function timestampMessage(seconds: number, nanos: number): Uint8Array {
  const w = new ProtoWriter();
  if (seconds !== 0) w.varint(1, seconds);
  if (nanos !== 0) w.varint(2, nanos);
  return w.finish();
}
