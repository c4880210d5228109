/**
 * The reader-thread stage that decodes (see `ThreadStage` in `@jetflow/connector-nats`): a
 * threaded source's raw batches are decoded in its reader thread and cross to the main thread
 * as Arrow buffers, with their bad messages. Loaded by the reader thread from the built module.
 */
import type { ThreadStage, ThreadStageSpec } from "@jetflow/connector-nats";
import { SchemaError } from "@jetflow/core";
import { createDecoder, type DecoderSpec } from "@jetflow/decoders";
import type { Schema } from "apache-arrow";
import {
  type DecodedInput,
  decodeInput,
  type PackedInput,
  packInput,
  schemaFingerprint,
  unpackInput,
} from "./decoded-input.js";

/** What the main thread sends: the decoder's spec, and the schema it planned against. */
export interface DecodeStageOptions {
  readonly relation: string;
  readonly spec: DecoderSpec;
  /** `schemaFingerprint` of the main thread's decoder. */
  readonly schema: string;
}

/** Builds the stage in the reader thread: the same decoder as the main thread's, or an error. */
export async function createStage(options: unknown): Promise<ThreadStage> {
  const { relation, spec, schema } = options as DecodeStageOptions;
  const decoder = await createDecoder(spec);
  const here = schemaFingerprint(decoder.schema);
  if (here !== schema) {
    throw new SchemaError(
      `relation "${relation}": the reader thread's decoder has another schema than the pipeline's ` +
        `(the schema changed while the pipeline started?): ${here} instead of ${schema}`,
    );
  }
  return { pack: (raw) => packInput(decodeInput(decoder, raw)) };
}

/** The built module's URL (reader threads run built code, also under the workspace's tests). */
const MODULE = new URL("../dist/decode-stage.js", import.meta.url).href;

/**
 * The main thread's side: a reader thread decodes `relation`'s batches with a decoder built from
 * `spec`, which must give `schema` (the one this thread planned against, and unpacks with).
 */
export function decodeStage(relation: string, spec: DecoderSpec, schema: Schema): ThreadStageSpec<DecodedInput> {
  const options: DecodeStageOptions = { relation, spec, schema: schemaFingerprint(schema) };
  return { module: MODULE, options, unpack: (packed) => unpackInput(schema, packed as PackedInput) };
}
