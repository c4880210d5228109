import type { Data } from "apache-arrow";
import type { PayloadParser } from "../batch-decoder.js";
import type { RowWriter } from "../row-writer.js";
import { ByteaWriter } from "../values/text-writers.js";

/** `ENCODE BYTES`: the payload as is. */
class IdentityParser implements PayloadParser {
  parse(payload: Uint8Array): unknown {
    return payload;
  }
}

/** The single bytea column of `ENCODE BYTES`. */
class BytesRowWriter implements RowWriter {
  private readonly column: ByteaWriter;

  constructor(name: string) {
    this.column = new ByteaWriter(name, 1024);
  }

  get length(): number {
    return this.column.length;
  }
  reserve(rows: number): void {
    this.column.reserve(rows);
  }
  writeRow(value: unknown): void {
    this.column.push(value as Uint8Array);
  }
  truncate(rows: number): void {
    this.column.truncate(rows);
  }
  finish(): Data[] {
    return [this.column.finish()];
  }
}

/** The parser and row writer of `ENCODE BYTES` for its one column. */
export function bytesParts(column: string) {
  return { parser: new IdentityParser(), rows: new BytesRowWriter(column) };
}
