import type { RawBatch } from "@jetflow/core/base";
import type { MsgHdrs } from "@nats-io/transport-node";

const INITIAL_CAPACITY = 256;

/**
 * Accumulates messages column by column until the source emits them as one {@link RawBatch}.
 * Payloads are kept as the views nats.js hands out (each socket read is a fresh buffer, so the
 * views stay valid); sequences and timestamps go into typed arrays that grow by doubling.
 */
export class BatchBuilder {
  private payloads: Uint8Array[] = [];
  private subjects: string[] = [];
  private headers: (ReadonlyMap<string, readonly string[]> | undefined)[] | undefined;
  private sequences = new Float64Array(INITIAL_CAPACITY);
  private timestamps = new Float64Array(INITIAL_CAPACITY);
  private offsets = new Map<string, number>();
  /**
   * The consumer key of the last message and its sequence, put into `offsets` when another key
   * comes or the offsets are read: one Map write per run of a consumer's messages, not per message.
   */
  private lastKey: string | undefined;
  private lastSeq = 0;
  private n = 0;
  private size = 0;

  constructor(private readonly keepHeaders: boolean) {
    this.headers = keepHeaders ? [] : undefined;
  }

  get length(): number {
    return this.n;
  }

  /** Payload bytes held. */
  get bytes(): number {
    return this.size;
  }

  push(
    consumerKey: string,
    payload: Uint8Array,
    subject: string,
    sequence: number,
    timestampUs: number,
    hdrs: MsgHdrs | undefined,
  ): void {
    const i = this.n;
    if (i === this.sequences.length) this.grow();
    this.payloads.push(payload);
    this.subjects.push(subject);
    this.sequences[i] = sequence;
    this.timestamps[i] = timestampUs;
    if (this.headers !== undefined) this.headers.push(hdrs === undefined ? undefined : headerMap(hdrs));
    // Messages of one consumer arrive in stream order, so the last one is the batch's highest.
    if (consumerKey !== this.lastKey) {
      this.settle();
      this.lastKey = consumerKey;
    }
    this.lastSeq = sequence;
    this.n = i + 1;
    this.size += payload.length;
  }

  /**
   * The messages pushed since the last call, as one batch; the builder starts empty again.
   * `consumers` adds the position of those without a message in the batch (see NatsSource).
   */
  take(consumers?: Iterable<{ readonly keys: readonly string[]; readonly emittedSeq: number }>): RawBatch {
    const n = this.n;
    this.settle();
    this.lastKey = undefined;
    if (consumers !== undefined) {
      for (const c of consumers) for (const k of c.keys) if (!this.offsets.has(k)) this.offsets.set(k, c.emittedSeq);
    }
    const batch: RawBatch = {
      length: n,
      payloads: this.payloads,
      subjects: this.subjects,
      sequences: this.sequences.subarray(0, n),
      timestampsUs: this.timestamps.subarray(0, n),
      headers: this.headers,
      offsets: this.offsets,
    };
    // Size the next batch's columns like this one, so a steady load allocates once per batch.
    const capacity = Math.max(INITIAL_CAPACITY, this.sequences.length);
    this.payloads = [];
    this.subjects = [];
    this.headers = this.keepHeaders ? [] : undefined;
    this.sequences = new Float64Array(n < capacity / 4 ? Math.max(INITIAL_CAPACITY, capacity / 2) : capacity);
    this.timestamps = new Float64Array(this.sequences.length);
    this.offsets = new Map();
    this.n = 0;
    this.size = 0;
    return batch;
  }

  /** Per consumer key, the last sequence pushed since the last `take()`. */
  pendingOffsets(): ReadonlyMap<string, number> {
    this.settle();
    return this.offsets;
  }

  /** Drops what was pushed (the subscriber left before it was emitted). */
  clear(): void {
    if (this.n > 0) this.take();
  }

  private settle(): void {
    if (this.lastKey !== undefined) this.offsets.set(this.lastKey, this.lastSeq);
  }

  private grow(): void {
    const seq = new Float64Array(this.sequences.length * 2);
    seq.set(this.sequences);
    this.sequences = seq;
    const ts = new Float64Array(this.timestamps.length * 2);
    ts.set(this.timestamps);
    this.timestamps = ts;
  }
}

function headerMap(h: MsgHdrs): ReadonlyMap<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const k of h.keys()) out.set(k, h.values(k));
  return out;
}
