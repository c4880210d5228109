import { type RawBatch, scalar, type SqlType, sqlField } from "@jetflow/core";
import type { Data, Field } from "apache-arrow";
import type { IncludeColumn } from "./decoder.js";
import type { Int64Column } from "./columns/fixed-columns.js";
import { equalsIgnoreAsciiCase } from "./values/field-lookup.js";
import { BigIntWriter } from "./values/number-writers.js";
import { ByteaWriter, JsonbWriter, VarcharWriter } from "./values/text-writers.js";
import { TimestampWriter } from "./values/time-writers.js";

/** Fills one INCLUDE column for the good rows of a batch, straight from the raw message columns. */
interface IncludeFiller {
  readonly field: Field;
  fill(raw: RawBatch, rows: Int32Array): Data;
}

type FillerPlan = (column: IncludeColumn) => IncludeFiller;

function filler<W extends { finish(): Data; reserve(n: number): void }>(
  column: IncludeColumn,
  type: SqlType,
  writer: W,
  put: (writer: W, raw: RawBatch, index: number) => void,
): IncludeFiller {
  return {
    field: sqlField(column.name, type),
    fill(raw, rows) {
      writer.reserve(rows.length);
      for (let r = 0; r < rows.length; r++) put(writer, raw, rows[r]!);
      return writer.finish();
    },
  };
}

const name = (c: IncludeColumn) => c.name;
const text = (writer: VarcharWriter, value: string | undefined) =>
  value === undefined ? writer.writeNull() : writer.push(value);

/** The INCLUDE kinds, each with its SQL type and where its value comes from. */
const FILLERS: Readonly<Record<IncludeColumn["kind"], FillerPlan>> = {
  subject: (c) => filler(c, scalar("varchar"), new VarcharWriter(name(c), 0), (w, raw, i) => w.push(raw.subjects[i]!)),
  // RisingWave's NATS partition is the subject.
  partition: (c) =>
    filler(c, scalar("varchar"), new VarcharWriter(name(c), 0), (w, raw, i) => w.push(raw.subjects[i]!)),
  // RisingWave's offset is a string: the stream sequence as text.
  offset: (c) =>
    filler(c, scalar("varchar"), new VarcharWriter(name(c), 0), (w, raw, i) => w.push(String(raw.sequences[i]))),
  payload: (c) => filler(c, scalar("bytea"), new ByteaWriter(name(c), 0), (w, raw, i) => w.push(raw.payloads[i]!)),
  timestamp: (c) =>
    filler(c, scalar("timestamptz"), new TimestampWriter(name(c), 0, "apply", "micro"), (w, raw, i) =>
      w.writeMicros(Math.round(raw.timestampsUs[i]!)),
    ),
  sequence: (c) =>
    filler(c, scalar("bigint"), new BigIntWriter(name(c), 0), (w: Int64Column, raw, i) =>
      w.pushSafe(raw.sequences[i]!),
    ),
  header: (c) => {
    const key = c.key;
    if (key !== undefined) {
      return filler(c, scalar("varchar"), new VarcharWriter(name(c), 0), (w, raw, i) =>
        text(w, headerValue(raw.headers?.[i], key)),
      );
    }
    return filler(c, scalar("jsonb"), new JsonbWriter(name(c), 0, JSON.stringify), (w, raw, i) => {
      const headers = raw.headers?.[i];
      if (headers === undefined) w.writeNull();
      else w.push(JSON.stringify(Object.fromEntries(headers)));
    });
  },
};

/** The first value of header `key`: exact name first, then ignoring ASCII case. */
function headerValue(headers: ReadonlyMap<string, readonly string[]> | undefined, key: string): string | undefined {
  if (headers === undefined) return undefined;
  const exact = headers.get(key);
  if (exact !== undefined) return exact[0];
  for (const [k, values] of headers) if (k.length === key.length && equalsIgnoreAsciiCase(k, key)) return values[0];
  return undefined;
}

/** The INCLUDE columns of a decoder: their fields, and how to build them for a batch. */
export class IncludeColumns {
  private readonly fillers: readonly IncludeFiller[];

  constructor(columns: readonly IncludeColumn[]) {
    this.fillers = columns.map((c) => FILLERS[c.kind](c));
  }

  get fields(): Field[] {
    return this.fillers.map((f) => f.field);
  }

  /** One column per INCLUDE entry, for the messages at `rows` (the good ones). */
  build(raw: RawBatch, rows: Int32Array): Data[] {
    return this.fillers.map((f) => f.fill(raw, rows));
  }
}
