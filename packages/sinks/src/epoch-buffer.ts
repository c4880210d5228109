/** What a message of a sink is: a plain one, or a keyed upsert / delete (`Jetflow-Op`). */
export const MessageOp = { none: 0, upsert: 1, delete: 2 } as const;
export type MessageOp = (typeof MessageOp)[keyof typeof MessageOp];

/** A run of encoded messages, as columns of plain data (what a KeyedStore keeps). */
export interface MessageChunk {
  /** The subject of each message (the key, for a KV sink). */
  readonly s: string[];
  /** The JSON payload of each message. */
  readonly p: string[];
  /** The {@link MessageOp} of each message. */
  readonly o: number[];
}

/**
 * The messages of the epoch being filled. A keyed message replaces the earlier one with its key
 * (last write per key within an epoch: an upsert stream or a KV bucket needs only the last).
 */
export class EpochBuffer {
  private subjects: (string | undefined)[] = [];
  private payloads: string[] = [];
  private ops: number[] = [];
  private readonly slots = new Map<string, number>();
  private live = 0;

  /** Messages held (replaced ones not counted). */
  get length(): number {
    return this.live;
  }

  add(subject: string, payload: string, op: MessageOp, key?: string): void {
    if (key !== undefined) {
      const old = this.slots.get(key);
      if (old !== undefined) {
        this.subjects[old] = undefined;
        this.live--;
      }
      this.slots.set(key, this.subjects.length);
    }
    this.subjects.push(subject);
    this.payloads.push(payload);
    this.ops.push(op);
    this.live++;
  }

  /** Takes every message held, in order, in chunks of at most `chunkSize`, and empties the buffer. */
  take(chunkSize: number): MessageChunk[] {
    const chunks: MessageChunk[] = [];
    let chunk: MessageChunk = { s: [], p: [], o: [] };
    for (let i = 0; i < this.subjects.length; i++) {
      const s = this.subjects[i];
      if (s === undefined) continue;
      chunk.s.push(s);
      chunk.p.push(this.payloads[i] as string);
      chunk.o.push(this.ops[i] as number);
      if (chunk.s.length === chunkSize) {
        chunks.push(chunk);
        chunk = { s: [], p: [], o: [] };
      }
    }
    if (chunk.s.length > 0) chunks.push(chunk);
    this.subjects = [];
    this.payloads = [];
    this.ops = [];
    this.slots.clear();
    this.live = 0;
    return chunks;
  }
}
