import type { Data, DataType } from "apache-arrow";
import { BadValue } from "../values/bad-value.js";
import { ListWriter, StructWriter } from "../values/nested-writers.js";
import type { IntervalWriter, TimestampWriter } from "../values/time-writers.js";
import type { ValueWriter } from "../values/value-writer.js";
import { isLong, type LongLike } from "../values/wide-numbers.js";

/**
 * Writers for protobuf values that the schema-driven writers cannot take as they are:
 * each wraps the column's writer and converts the protobufjs value first. They are chosen
 * once per field by the planner (`proto-plan.ts`).
 */
abstract class DelegatingWriter<W extends ValueWriter = ValueWriter> implements ValueWriter {
  constructor(protected readonly inner: W) {}
  get length(): number {
    return this.inner.length;
  }
  abstract write(value: unknown): void;
  writeNull(): void {
    this.inner.writeNull();
  }
  truncate(length: number): void {
    this.inner.truncate(length);
  }
  reserve(capacity: number): void {
    this.inner.reserve(capacity);
  }
  finish(): Data {
    return this.inner.finish();
  }
}

/** An enum field into a text column: the value's name (an unknown number, open enums, as its digits). */
export class EnumNameWriter extends DelegatingWriter {
  constructor(
    inner: ValueWriter,
    private readonly names: Readonly<Record<number, string>>,
  ) {
    super(inner);
  }

  write(value: unknown): void {
    this.inner.write(typeof value === "number" ? (this.names[value] ?? String(value)) : value);
  }
}

const EMPTY = new Uint8Array(0);

/** A bytes field: protobufjs leaves an unset one as an empty array, which is empty bytes. */
export class BytesFieldWriter extends DelegatingWriter {
  write(value: unknown): void {
    this.inner.write(Array.isArray(value) ? EMPTY : value);
  }
}

function wholeNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "object" && value !== null && isLong(value)) return value.toNumber();
  return 0;
}

/** `google.protobuf.Timestamp` into timestamp / timestamptz: seconds and nanos (truncated to µs). */
export class ProtoTimestampWriter extends DelegatingWriter<TimestampWriter> {
  constructor(
    inner: TimestampWriter,
    private readonly path: string,
  ) {
    super(inner);
  }

  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.inner.writeNull();
      return;
    }
    const message = value as { seconds?: unknown; nanos?: unknown };
    const seconds = wholeNumber(message.seconds);
    const nanos = wholeNumber(message.nanos);
    const total = seconds * 1_000_000 + Math.trunc(nanos / 1000);
    if (Number.isSafeInteger(total)) {
      this.inner.writeMicros(total);
      return;
    }
    if (!Number.isSafeInteger(seconds)) {
      throw new BadValue(`column "${this.path}": google.protobuf.Timestamp out of range`);
    }
    this.inner.writeMicros(BigInt(seconds) * 1_000_000n + BigInt(Math.trunc(nanos / 1000)));
  }
}

/** `google.protobuf.Duration` into interval: seconds and nanos (truncated to µs), no months or days. */
export class ProtoDurationWriter extends DelegatingWriter<IntervalWriter> {
  write(value: unknown): void {
    if (value === null || value === undefined) {
      this.inner.writeNull();
      return;
    }
    const message = value as { seconds?: unknown; nanos?: unknown };
    this.inner.writeDuration(wholeNumber(message.seconds), Math.trunc(wholeNumber(message.nanos) / 1000));
  }
}

/** A struct of two children (key, value) written from one protobuf map entry. */
export class PairWriter extends StructWriter {
  writePair(key: unknown, value: unknown): void {
    this.children[0]!.writer.write(key);
    this.children[1]!.writer.write(value);
    this.validSlot();
  }
}

/** Converts a protobufjs map key (always a string property name) back to its key type. */
export type MapKeyReader = (key: string) => unknown;

/** A map field into `struct<key K, value V>[]`: one entry per key, in the map's order. */
export class MapEntriesWriter extends ListWriter {
  constructor(
    type: DataType,
    path: string,
    private readonly pairs: PairWriter,
    private readonly readKey: MapKeyReader,
  ) {
    super(type, path, pairs);
  }

  override write(value: unknown): void {
    if (value === null || value === undefined) {
      this.writeNull();
      return;
    }
    const map = value as Record<string, unknown>;
    for (const key of Object.keys(map)) this.pairs.writePair(this.readKey(key), map[key]);
    this.closeSlot();
  }
}

/** protobufjs keys 64-bit maps by an 8-character hash of the value; `fromHash` undoes it. */
export function longKeyReader(fromHash: (hash: string) => LongLike): MapKeyReader {
  return (key) => fromHash(key);
}
