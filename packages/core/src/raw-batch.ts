/**
 * A batch of raw JetStream messages, column by column, as the connector hands them to a
 * decoder. Index `i` in every array is the same message.
 */
export interface RawBatch {
  readonly length: number;
  /** Message bodies, as received (zero-copy views are fine; decoders must not keep them). */
  readonly payloads: readonly Uint8Array[];
  readonly subjects: readonly string[];
  /** JetStream stream sequence of each message. */
  readonly sequences: Float64Array;
  /** Server timestamp of each message, microseconds since the epoch. */
  readonly timestampsUs: Float64Array;
  /** Headers of each message, present only when the source was asked to keep them. */
  readonly headers: readonly (ReadonlyMap<string, readonly string[]> | undefined)[] | undefined;
  /** Per consumer (by its key), the last stream sequence this batch covers. */
  readonly offsets: ReadonlyMap<string, number>;
}

/** Per consumer key, the last processed stream sequence: what a checkpoint records. */
export type Offsets = ReadonlyMap<string, number>;
