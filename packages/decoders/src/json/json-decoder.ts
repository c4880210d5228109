import type { ColumnDef } from "@jetflow/core";
import type { PayloadParser } from "../batch-decoder.js";
import { RecordRowWriter } from "../row-writer.js";
import type { EpochUnit } from "../values/datetime.js";
import { jsonTextOfParsed } from "../values/jsonb.js";
import { FlatJsonReader } from "./flat-json.js";
import { FlatColumns } from "../flat-columns.js";
import { PreciseJsonParser } from "./precise-json.js";

/** The parser and row writer of `ENCODE JSON`: one JSON object per message, columns by field name. */
export function jsonParts(columns: readonly ColumnDef[], timestamptzNumbers: EpochUnit | "reject") {
  return {
    parser: new JsonParser(columns),
    rows: RecordRowWriter.forColumns(columns, { timestamptzNumbers, jsonText: jsonTextOfParsed }, "a JSON object"),
  };
}

/**
 * Flat events straight from their bytes ({@link FlatJsonReader}); every other payload through
 * `JSON.parse` with long-number protection ({@link PreciseJsonParser}). Both give the same rows.
 */
class JsonParser implements PayloadParser {
  private readonly flat: FlatJsonReader | undefined;
  private readonly precise: PreciseJsonParser;

  constructor(columns: readonly ColumnDef[]) {
    this.flat = FlatColumns.fits(columns) ? new FlatJsonReader(columns) : undefined;
    this.precise = new PreciseJsonParser(columns);
  }

  parse(payload: Uint8Array): unknown {
    return this.flat?.read(payload) ?? this.precise.parse(payload);
  }
}
