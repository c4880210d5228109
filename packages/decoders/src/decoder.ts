import type { ColumnDef, RawBatch } from "@jetflow/core";
import type { RecordBatch, Schema } from "apache-arrow";

/**
 * A metadata column requested with `INCLUDE kind [key] [AS name]`, filled from the message
 * rather than the payload (same shape as the pipeline's `IncludeColumn`):
 * `subject` varchar, `offset` varchar (the stream sequence as text, like RisingWave),
 * `partition` varchar (the subject), `payload` bytea, `header` jsonb (every header as
 * `{"name": ["value", ...]}`) or varchar when `key` names one header (its first value),
 * `timestamp` timestamptz (the server's message time), `sequence` bigint (the stream sequence).
 */
export interface IncludeColumn {
  readonly kind: "subject" | "offset" | "partition" | "payload" | "header" | "timestamp" | "sequence";
  readonly name: string;
  /** For `header`: the one header to extract. */
  readonly key?: string;
}

/** `FORMAT PLAIN ENCODE X (options)`. */
export interface FormatSpec {
  readonly format: "plain";
  readonly encode: "json" | "protobuf" | "bytes" | "msgpack";
  /** The `ENCODE X (k = 'v', ...)` options, e.g. `message`, `schema.location`. */
  readonly options: Readonly<Record<string, string>>;
}

/** Everything a decoder is built from: the format, the declared columns and the INCLUDE columns. */
export interface DecoderSpec {
  readonly format: FormatSpec;
  /** Declared columns; undefined when the DDL has no column list (PROTOBUF derives them from the message). */
  readonly columns: readonly ColumnDef[] | undefined;
  readonly include: readonly IncludeColumn[];
}

/** A message that could not be decoded. It never stops the batch; the pipeline applies the policy (skip/fail/dead_letter). */
export interface BadMessage {
  /** Position of the message in the RawBatch. */
  readonly index: number;
  /** JetStream stream sequence of the message. */
  readonly sequence: number;
  readonly subject: string;
  /** Why: names the column and the rule broken, or the parse error (`column "age": expected an integer ...`). */
  readonly reason: string;
  /** The raw payload (a copy: safe to keep and to publish to a dead-letter subject). */
  readonly payload: Uint8Array;
}

/** The decoded batch: good rows in input order, and the bad messages left out of it. */
export interface DecodeResult {
  readonly batch: RecordBatch;
  readonly bad: readonly BadMessage[];
}

/**
 * Turns raw JetStream messages into Arrow record batches of one schema.
 *
 * @example
 * ```ts
 * const decoder = await createDecoder({
 *   format: { format: "plain", encode: "json", options: {} },
 *   columns: [{ name: "id", type: scalar("bigint") }],
 *   include: [{ kind: "subject", name: "subject" }],
 * });
 * const { batch, bad } = decoder.decode(raw);
 * ```
 */
export interface Decoder {
  /** Payload columns (declared or derived) then INCLUDE columns, in that order; fields built with core's `sqlField`. */
  readonly schema: Schema;
  decode(raw: RawBatch): DecodeResult;
}
