import { Binary, Utf8 } from "apache-arrow";
import { BinaryColumn, Utf8Column } from "../columns/var-columns.js";
import { badValue } from "./bad-value.js";
import { byteaFromText } from "./bytea.js";
import { namedColumn } from "./named-column.js";
import type { ValueWriter } from "./value-writer.js";
import { wideNumberText } from "./wide-numbers.js";

/**
 * `varchar`: strings as they are; numbers, booleans and integers of any width as their text
 * (`42` -> `"42"`, `true` -> `"true"`; RisingWave's "primary types" rule). Arrays and
 * objects are refused (use `jsonb`).
 */
export class VarcharWriter extends namedColumn(Utf8Column, Utf8) implements ValueWriter {
  write(value: unknown): void {
    switch (typeof value) {
      case "string":
        this.push(value);
        return;
      case "number":
      case "boolean":
      case "bigint":
        this.push(String(value));
        return;
      case "object": {
        const text = wideNumberText(value);
        if (text !== undefined) {
          this.push(text);
          return;
        }
        break;
      }
    }
    if (value === null || value === undefined) this.writeNull();
    else throw badValue(this.path, "expected a string (varchar)", value);
  }

  writeUtf8(source: Uint8Array, start: number, end: number): void {
    this.pushUtf8(source, start, end);
  }
}

/**
 * `bytea`: binary values (MessagePack bin, protobuf bytes) as they are; strings in
 * PostgreSQL's bytea text forms (`"\\xdeadbeef"`, or escape format).
 */
export class ByteaWriter extends namedColumn(BinaryColumn, Binary) implements ValueWriter {
  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    if (value instanceof Uint8Array) {
      this.push(value);
      return;
    }
    if (typeof value === "string") {
      const bytes = byteaFromText(value);
      if (bytes !== undefined) {
        this.push(bytes);
        return;
      }
      throw badValue(this.path, "expected bytea text (\\x followed by hex pairs, or escape format)", value);
    }
    throw badValue(this.path, "expected binary or bytea text", value);
  }
}

/** `jsonb`: any value, stored as its canonical JSON text (a JSON null is SQL NULL). */
export class JsonbWriter extends namedColumn(Utf8Column, Utf8) implements ValueWriter {
  constructor(
    path: string,
    capacity: number,
    private readonly jsonText: (value: unknown) => string,
  ) {
    super(path, capacity);
  }

  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    let text: string;
    try {
      text = this.jsonText(value);
    } catch (cause) {
      throw badValue(this.path, `not representable as JSON (${(cause as Error).message})`, value);
    }
    this.push(text);
  }
}
