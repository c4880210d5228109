import type { RawBatch } from "@jetflow/core";
import { makeData, RecordBatch, type Schema, Struct } from "apache-arrow";
import type { BadMessage, DecodeResult, Decoder } from "./decoder.js";
import type { IncludeColumns } from "./include-columns.js";
import type { RowWriter } from "./row-writer.js";
import { BadValue } from "./values/bad-value.js";

/** Turns one payload into the decoded value its row writer takes; throws when the payload is malformed. */
export interface PayloadParser {
  parse(payload: Uint8Array): unknown;
}

/**
 * The batch loop shared by every encoding: parse each payload, write it as a row, and on a
 * bad message roll the row back and report it — the good rows of the batch are kept.
 * INCLUDE columns are filled afterwards, column by column, for the good rows only.
 */
export class BatchDecoder implements Decoder {
  constructor(
    readonly schema: Schema,
    /** Names the encoding in parse-failure reasons, e.g. `malformed JSON: ...`. */
    private readonly encoding: string,
    private readonly parser: PayloadParser,
    private readonly rows: RowWriter,
    private readonly include: IncludeColumns,
  ) {}

  decode(raw: RawBatch): DecodeResult {
    const n = raw.length;
    const rows = this.rows;
    const parser = this.parser;
    rows.reserve(n);
    const good = new Int32Array(n);
    let count = 0;
    const bad: BadMessage[] = [];
    for (let i = 0; i < n; i++) {
      const payload = raw.payloads[i]!;
      let value: unknown;
      try {
        value = parser.parse(payload);
      } catch (e) {
        bad.push(badMessage(raw, i, `malformed ${this.encoding}: ${errorText(e)}`));
        continue;
      }
      try {
        rows.writeRow(value);
      } catch (e) {
        rows.truncate(count);
        if (!(e instanceof BadValue)) {
          // A bug, not a bad message: leave the decoder clean for the next batch and surface it.
          rows.finish();
          throw e;
        }
        bad.push(badMessage(raw, i, e.reason));
        continue;
      }
      good[count++] = i;
    }
    const goodRows = good.subarray(0, count);
    const children = [...rows.finish(), ...this.include.build(raw, goodRows)];
    const data = makeData({ type: new Struct(this.schema.fields), length: count, nullCount: 0, children });
    return { batch: new RecordBatch(this.schema, data), bad };
  }
}

function badMessage(raw: RawBatch, index: number, reason: string): BadMessage {
  return {
    index,
    sequence: raw.sequences[index]!,
    subject: raw.subjects[index]!,
    reason,
    // A copy (`Buffer#slice` would be a view): the connector may reuse the payload's memory.
    payload: new Uint8Array(raw.payloads[index]!),
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
