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
 * The encoded messages of the epoch being filled, in order. (An UPSERT sink adds only the last
 * message per key, see `LastPerKey`.)
 */
export class EpochBuffer {
  private subjects: string[] = [];
  private payloads: string[] = [];
  private ops: number[] = [];

  /** Messages held. */
  get length(): number {
    return this.subjects.length;
  }

  add(subject: string, payload: string, op: MessageOp): void {
    this.subjects.push(subject);
    this.payloads.push(payload);
    this.ops.push(op);
  }

  /** Takes every message held, in order, in chunks of at most `chunkSize`, and empties the buffer. */
  take(chunkSize: number): MessageChunk[] {
    const chunks: MessageChunk[] = [];
    for (let at = 0; at < this.subjects.length; at += chunkSize) {
      chunks.push({
        s: this.subjects.slice(at, at + chunkSize),
        p: this.payloads.slice(at, at + chunkSize),
        o: this.ops.slice(at, at + chunkSize),
      });
    }
    this.subjects = [];
    this.payloads = [];
    this.ops = [];
    return chunks;
  }
}
