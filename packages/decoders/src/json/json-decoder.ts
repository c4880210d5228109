import type { ColumnDef } from "@jetflow/core";
import { RecordRowWriter } from "../row-writer.js";
import type { EpochUnit } from "../values/datetime.js";
import { jsonTextOfParsed } from "../values/jsonb.js";
import { PreciseJsonParser } from "./precise-json.js";

/** The parser and row writer of `ENCODE JSON`: one JSON object per message, columns by field name. */
export function jsonParts(columns: readonly ColumnDef[], timestamptzNumbers: EpochUnit | "reject") {
  return {
    parser: new PreciseJsonParser(columns),
    rows: RecordRowWriter.forColumns(
      columns,
      { timestamptzNumbers, jsonText: jsonTextOfParsed, finiteNumbers: true },
      "a JSON object",
    ),
  };
}
