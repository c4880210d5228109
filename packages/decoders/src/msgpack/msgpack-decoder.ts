import type { ColumnDef } from "@jetflow/core";
import { Unpackr } from "msgpackr";
import type { PayloadParser } from "../batch-decoder.js";
import { RecordRowWriter } from "../row-writer.js";
import type { EpochUnit } from "../values/datetime.js";
import { jsonTextOfValue } from "../values/jsonb.js";
import { FlatMsgpackReader } from "./flat-msgpack.js";
import { FlatColumns } from "../flat-columns.js";

/**
 * MessagePack payloads to JS values: maps as plain objects, 64-bit integers as BigInts (exact),
 * bin as bytes, the timestamp extension as a `Date` (milliseconds; msgpackr drops finer digits).
 * Truncated data and trailing bytes are errors.
 */
class MsgpackParser implements PayloadParser {
  private readonly unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "bigint" });
  /** Flat maps straight from their bytes, to the same values (see {@link FlatMsgpackReader}). */
  private readonly flat: FlatMsgpackReader | undefined;

  constructor(columns: readonly ColumnDef[]) {
    this.flat = FlatColumns.fits(columns) ? new FlatMsgpackReader(columns) : undefined;
  }

  parse(payload: Uint8Array): unknown {
    return this.flat?.read(payload) ?? this.unpackr.unpack(payload);
  }
}

/** The parser and row writer of `ENCODE MSGPACK`: one map per message, columns by key, like JSON. */
export function msgpackParts(columns: readonly ColumnDef[], timestamptzNumbers: EpochUnit | "reject") {
  return {
    parser: new MsgpackParser(columns),
    rows: RecordRowWriter.forColumns(columns, { timestamptzNumbers, jsonText: jsonTextOfValue }, "a MessagePack map"),
  };
}
