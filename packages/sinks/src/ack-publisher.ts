import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";

/**
 * JetStream publishing without a request per message: every publish carries a reply subject under
 * one inbox subscription, and the stream's ack (or error) arrives there. nats.js's
 * `js.publish()` makes a request (a mux entry, a timer, a promise chain) per message, which caps a
 * sink at about 15k messages/s on one core; this keeps the per-message cost to one publish and one
 * map entry. Timeouts are the caller's (one per window, see `deliver`): {@link abandon} fails
 * whatever is still waiting.
 *
 * @example
 * ```ts
 * const pub = new AckPublisher(nc);
 * await pub.publish("orders.out", '{"id":1}', h); // h holds Nats-Msg-Id
 * ```
 */
export class AckPublisher {
  private readonly prefix = `${createInbox()}.`;
  private readonly sub: Subscription;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private next = 0;

  constructor(private readonly nc: NatsConnection) {
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: (_e, m) => this.onReply(m) });
    // Acks of messages in flight when the connection drops never come: fail them at once (they
    // are resent from the first unacked one) rather than at the window's timeout.
    void (async () => {
      for await (const s of nc.status())
        if (s.type === "disconnect") this.abandon(new Error("disconnected from the NATS server"));
    })().catch(() => undefined);
  }

  /** Publishes and resolves when the stream stored it (or dropped it as a duplicate). */
  publish(subject: string, payload: string, headers: MsgHdrs): Promise<void> {
    const id = this.next++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      try {
        this.nc.publish(subject, payload, { reply: this.prefix + id, headers });
      } catch (e) {
        this.waiting.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Publishes without asking for an ack (the middle of an atomic batch: its commit answers for it). */
  send(subject: string, payload: string, headers: MsgHdrs): void {
    this.nc.publish(subject, payload, { headers });
  }

  /** Fails every publish still waiting for its ack. */
  abandon(reason: Error): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(reason);
  }

  close(): void {
    this.sub.unsubscribe();
    this.abandon(new Error("the sink closed"));
  }

  private onReply(m: Msg): void {
    const id = Number(m.subject.slice(this.prefix.length));
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.waiting.delete(id);
    // No stream captures the subject: the server answers with a 503 status and no body.
    if (m.headers?.code === 503 || m.data.length === 0) {
      w.reject(new Error(`no JetStream stream answered for subject (status ${m.headers?.code ?? "empty"})`));
      return;
    }
    const text = m.string();
    if (!text.includes('"error"')) {
      w.resolve();
      return;
    }
    const error = (JSON.parse(text) as { error?: { description?: string; code?: number; err_code?: number } }).error;
    w.reject(new PublishRefusedError(error?.description ?? text, error?.err_code ?? error?.code ?? 0));
  }
}

/** JetStream answered a publish with an error; `errCode` is its `err_code` (e.g. 10201, 10174). */
export class PublishRefusedError extends Error {
  override readonly name = "PublishRefusedError";
  constructor(
    description: string,
    readonly errCode: number,
  ) {
    super(`JetStream refused the message: ${description} (${errCode})`);
  }
}
