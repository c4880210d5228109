import { type PackedRecordBatch, packRecordBatch, type RawBatch, unpackRecordBatch } from "@jetflow/core";
import type { BadMessage, Decoder } from "@jetflow/decoders";
import type { RecordBatch, Schema } from "apache-arrow";

/**
 * A raw batch once decoded: its rows, its bad messages, and what the pipeline still needs of
 * the raw batch (counts for metrics, offsets for checkpoints). Made on the main thread from a
 * `NatsSource`'s batches, or in the reader thread of a `ThreadedSource` (see `decode-stage.ts`),
 * where the raw payloads then never cross to the main thread.
 */
export interface DecodedInput {
  /** Messages in the raw batch, good and bad. */
  readonly messages: number;
  /** Their payload bytes. */
  readonly bytes: number;
  /** Per consumer key, the last stream sequence the batch covers. */
  readonly offsets: ReadonlyMap<string, number>;
  /** The good rows, in input order. */
  readonly batch: RecordBatch;
  /** The messages left out, each with its payload (for a dead letter). */
  readonly bad: readonly BadMessage[];
}

/** Decodes a raw batch. */
export function decodeInput(decoder: Decoder, raw: RawBatch): DecodedInput {
  const { batch, bad } = decoder.decode(raw);
  let bytes = 0;
  for (const p of raw.payloads) bytes += p.byteLength;
  return { messages: raw.length, bytes, offsets: raw.offsets, batch, bad };
}

/** A {@link DecodedInput} as a message between threads: the rows as one transferred buffer. */
export interface PackedInput extends Omit<DecodedInput, "batch"> {
  readonly batch: PackedRecordBatch;
}

/** Packs a decoded batch to post; `transfer` lists the buffers to move. */
export function packInput(input: DecodedInput): { readonly packed: PackedInput; readonly transfer: ArrayBuffer[] } {
  const batch = packRecordBatch(input.batch);
  return { packed: { ...input, batch }, transfer: [batch.bytes, batch.nodes.buffer as ArrayBuffer] };
}

/** The decoded batch a {@link packInput} message carries, its rows typed by `schema`. */
export function unpackInput(schema: Schema, packed: PackedInput): DecodedInput {
  return { ...packed, batch: unpackRecordBatch(schema, packed.batch) };
}

/**
 * What a decoder's schema must match between threads (names, Arrow types, nullability): the
 * reader thread builds its own decoder, and a protobuf descriptor read again could differ.
 */
export function schemaFingerprint(schema: Schema): string {
  return schema.fields.map((f) => `${f.name}: ${String(f.type)}${f.nullable ? "" : " not null"}`).join(", ");
}
