import type { AckPolicy } from "./config.js";

/**
 * What a consumer with an ack policy must remember between a delivery and the checkpoint that
 * lets it ack: the reply subjects to ack, by stream sequence. AckPolicy `explicit` keeps every
 * delivery (memory grows with the messages between checkpoints: bound it with
 * `consumer.max_ack_pending`); `all` keeps one reply per emitted batch, since acking the last
 * delivery acks everything before it.
 */
export class AckTracker {
  /** Highest stream sequence acked, or the one before the consumer's start. */
  ackedSeq = 0;
  private seqs: number[] = [];
  private replies: string[] = [];
  private head = 0;
  private lastReply = "";
  private dupSeq = 0;
  private dupReply = "";
  private readonly explicit: boolean;

  constructor(policy: AckPolicy) {
    this.explicit = policy === "explicit";
  }

  /** A new consumer generation: replies of the old one are void; acks restart from `startSeq - 1`. */
  reset(ackedSeq: number): void {
    this.ackedSeq = ackedSeq;
    this.seqs = [];
    this.replies = [];
    this.head = 0;
    this.lastReply = "";
    this.dupSeq = 0;
    this.dupReply = "";
  }

  /** A first delivery, handed to the source. */
  delivered(seq: number, reply: string): void {
    this.lastReply = reply;
    if (this.explicit) this.push(seq, reply);
  }

  /**
   * A delivery of a message already handed over (a redelivery, or a replay after recreation):
   * dropped, but it must still be acked on this consumer generation.
   */
  duplicate(seq: number, reply: string): void {
    if (this.explicit) this.push(seq, reply);
    else if (seq > this.dupSeq) {
      this.dupSeq = seq;
      this.dupReply = reply;
    }
  }

  /** The source emitted this consumer's messages up to `seq`, the last one delivered. */
  emitted(seq: number): void {
    if (!this.explicit && this.lastReply !== "") this.push(seq, this.lastReply);
  }

  /** The reply subjects to ack for everything up to `offset`; they are forgotten. */
  take(offset: number): string[] {
    const out: string[] = [];
    let best = -1;
    while (this.head < this.seqs.length && this.seqs[this.head]! <= offset) {
      if (this.explicit) out.push(this.replies[this.head]!);
      best = this.head++;
    }
    let bestSeq = best === -1 ? 0 : this.seqs[best]!;
    if (!this.explicit) {
      let reply = best === -1 ? "" : this.replies[best]!;
      if (this.dupSeq > bestSeq && this.dupSeq <= offset) {
        bestSeq = this.dupSeq;
        reply = this.dupReply;
      }
      if (reply !== "") out.push(reply);
    }
    if (bestSeq > this.ackedSeq) this.ackedSeq = bestSeq;
    if (this.head > 1024 && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.replies = this.replies.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private push(seq: number, reply: string): void {
    this.seqs.push(seq);
    this.replies.push(reply);
  }
}
