import type { RawBatch } from "@jetflow/core/base";
import { packBatch, type PackedBatch, unpackBatch } from "./batch-transfer.js";

/**
 * What a reader thread does with each raw batch before it crosses to the main thread, so that
 * work on the batch (decoding, say) runs in the reader too. A stage lives in a module of its own
 * that the reader thread imports (the connector knows nothing of what it does): its export
 * `createStage(options)` builds the thread's side once per source, and the main thread's side
 * is {@link ThreadStageSpec.unpack}.
 *
 * @example
 * ```ts
 * // decode-stage.ts, loaded in the reader thread:
 * export async function createStage(spec: DecoderSpec): Promise<ThreadStage> {
 *   const decoder = await createDecoder(spec);
 *   return { pack: (raw) => packDecoded(decoder.decode(raw)) };
 * }
 * // main thread:
 * const source = await ThreadedSource.open(threads, withOptions, runtime, {
 *   module: new URL("../dist/decode-stage.js", import.meta.url).href,
 *   options: spec,
 *   unpack: (packed) => unpackDecoded(schema, packed as PackedDecoded),
 * });
 * ```
 */
export interface ThreadStage {
  /** The batch as a message: `packed` is structured-cloned, with `transfer`'s buffers moved. */
  pack(raw: RawBatch): { readonly packed: unknown; readonly transfer: ArrayBuffer[] };
}

/** The export a stage module must have: called once per source in the reader thread. */
export type CreateThreadStage = (options: unknown) => ThreadStage | Promise<ThreadStage>;

/** The main thread's side of a stage: which module the reader loads, with what, and how to unpack. */
export interface ThreadStageSpec<T> {
  /** The module's URL (`file:` URL of a built `.js` module: reader threads run built code). */
  readonly module: string;
  /** Given to `createStage` in the reader thread: must survive structured clone. */
  readonly options: unknown;
  /** Rebuilds, on the main thread, what the reader's `pack` posted. */
  unpack(packed: unknown): T;
}

/** No stage: raw batches cross as they are (`packBatch` / `unpackBatch`). */
export const RAW_STAGE: ThreadStage = { pack: packBatch };

/** The main thread's side of {@link RAW_STAGE}. */
export function unpackRaw(packed: unknown): RawBatch {
  return unpackBatch(packed as PackedBatch);
}

/** Loads a stage module in the reader thread and builds its side for one source. */
export async function loadStage(module: string, options: unknown): Promise<ThreadStage> {
  const loaded = (await import(module)) as { createStage?: CreateThreadStage };
  if (typeof loaded.createStage !== "function") {
    throw new TypeError(`reader thread stage ${module}: the module exports no createStage function`);
  }
  return loaded.createStage(options);
}
