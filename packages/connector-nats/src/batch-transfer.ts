import type { RawBatch } from "@jetflow/core/base";

/**
 * A {@link RawBatch} as a message between threads: the payloads copied into one buffer (the
 * views nats.js hands out point into socket reads of the reader's thread), the subjects as a
 * dictionary (a stream's messages share a few subjects), the typed columns as they are. Its
 * buffers go in the transfer list, so nothing is copied twice and no row is structured-cloned.
 */
export interface PackedBatch {
  readonly length: number;
  /** Every payload, back to back. */
  readonly bytes: ArrayBuffer;
  /** `length + 1` offsets into `bytes`: payload i is `[ends[i], ends[i + 1])`. */
  readonly ends: Int32Array;
  readonly subjectNames: readonly string[];
  /** Per message, its subject's index in `subjectNames`. */
  readonly subjectOf: Int32Array;
  readonly sequences: Float64Array;
  readonly timestampsUs: Float64Array;
  readonly headers: RawBatch["headers"];
  readonly offsets: ReadonlyMap<string, number>;
}

/** Packs a batch; `transfer` lists the buffers to move with `postMessage(packed, transfer)`. */
export function packBatch(raw: RawBatch): { readonly packed: PackedBatch; readonly transfer: ArrayBuffer[] } {
  const n = raw.length;
  const ends = new Int32Array(n + 1);
  let size = 0;
  for (let i = 0; i < n; i++) {
    size += raw.payloads[i]!.byteLength;
    ends[i + 1] = size;
  }
  const bytes = new Uint8Array(size);
  const subjectOf = new Int32Array(n);
  const names: string[] = [];
  const index = new Map<string, number>();
  let last: string | undefined;
  let lastIndex = -1;
  for (let i = 0; i < n; i++) {
    bytes.set(raw.payloads[i]!, ends[i]!);
    const s = raw.subjects[i]!;
    if (s !== last) {
      let k = index.get(s);
      if (k === undefined) {
        k = names.length;
        names.push(s);
        index.set(s, k);
      }
      last = s;
      lastIndex = k;
    }
    subjectOf[i] = lastIndex;
  }
  // Copies: the builder's typed columns may be views of larger, reused arrays.
  const sequences = raw.sequences.slice(0, n);
  const timestampsUs = raw.timestampsUs.slice(0, n);
  const packed: PackedBatch = {
    length: n,
    bytes: bytes.buffer,
    ends,
    subjectNames: names,
    subjectOf,
    sequences,
    timestampsUs,
    headers: raw.headers,
    offsets: raw.offsets,
  };
  return {
    packed,
    transfer: [bytes.buffer, ends.buffer, subjectOf.buffer, sequences.buffer, timestampsUs.buffer] as ArrayBuffer[],
  };
}

/**
 * The batch a {@link packBatch} message carries; its payloads are views of the one buffer, plain
 * `Uint8Array`s as the frame parser hands out (a `Buffer.subarray` costs ~4x as much to make).
 */
export function unpackBatch(p: PackedBatch): RawBatch {
  const n = p.length;
  const all = p.bytes;
  const payloads = new Array<Uint8Array>(n);
  const subjects = new Array<string>(n);
  const { ends, subjectOf, subjectNames } = p;
  for (let i = 0; i < n; i++) {
    const from = ends[i]!;
    payloads[i] = new Uint8Array(all, from, ends[i + 1]! - from);
    subjects[i] = subjectNames[subjectOf[i]!]!;
  }
  return {
    length: n,
    payloads,
    subjects,
    sequences: p.sequences,
    timestampsUs: p.timestampsUs,
    headers: p.headers,
    offsets: p.offsets,
  };
}
