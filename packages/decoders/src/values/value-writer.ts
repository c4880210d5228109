import type { Data } from "apache-arrow";
import type { EpochUnit } from "./datetime.js";

/**
 * Writes decoded values of one SQL type into one Arrow column. `write` converts a value the
 * way the column's rule says (see the package README) or throws a `BadValue` naming the
 * column and the rule, without touching the column; `null` and `undefined` are SQL NULL.
 * Nested writers may have written part of a value when a child throws: the row is then
 * rolled back with `truncate`.
 */
export interface ValueWriter {
  readonly length: number;
  write(value: unknown): void;
  /**
   * Writes text given as UTF-8 bytes `start..end` of `source` (valid UTF-8), exactly as
   * `write` would write the string they encode. Only text columns have it.
   */
  writeUtf8?(source: Uint8Array, start: number, end: number): void;
  /** Writes a JS number exactly as `write(value)` would, without boxing it. Only numeric columns have it. */
  writeNumber?(value: number): void;
  /**
   * Writes a 64-bit integer given as two's-complement halves exactly as `write` would write
   * protobufjs's `Long` of them, without building one. Only `bigint` columns have it.
   */
  writeInt64?(low: number, high: number, unsigned: boolean): void;
  writeNull(): void;
  truncate(length: number): void;
  reserve(capacity: number): void;
  finish(): Data;
}

/** What a writer plan depends on besides the SQL type. */
export interface WriterContext {
  /**
   * How an epoch number in a `timestamptz` column is read (`timestamptz.handling.mode`);
   * `reject` refuses numbers.
   */
  readonly timestamptzNumbers: EpochUnit | "reject";
  /** Canonical JSON text of a decoded value, for `jsonb` columns. */
  readonly jsonText: (value: unknown) => string;
}
