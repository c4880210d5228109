import type { JetStreamManager } from "@nats-io/jetstream";
import { JetStreamApiCodes } from "@nats-io/jetstream";
import { createInbox, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { isApiError } from "./nats-errors.js";
import { type WireFields, wireOf } from "./raw-msg.js";

/** How a {@link LeanPull} asks for messages: the consumer path's settings. */
export interface LeanPullOptions {
  /** Messages per pull request; at most this many are requested and not yet received. */
  readonly batch: number;
  /** Pull request expiry (ms). */
  readonly expiresMs: number;
  /** Idle heartbeat the server sends while a pull waits (ms); two missed ones probe the consumer. */
  readonly idleHeartbeatMs: number;
}

/**
 * What happens to a pull, besides messages: `heartbeats_missed` (then the consumer is probed and
 * pulled again), `consumer_lost` (deleted, not found, JetStream gone: the owner recreates it),
 * `exceeded_limits` (a 409 the server sent for a request it refused), `error` (a 400: a request
 * the server cannot read).
 */
export type PullEvent =
  | { readonly type: "heartbeats_missed"; readonly count: number }
  | { readonly type: "consumer_lost"; readonly reason: string }
  | { readonly type: "exceeded_limits"; readonly description: string }
  | { readonly type: "error"; readonly description: string };

/** Where a {@link LeanPull} hands over what arrives, synchronously from the NATS read loop. */
export interface PullHandler {
  /** A delivery: `wire` holds its subject and `$JS.ACK...` reply as the bytes read from the socket. */
  message(m: Msg, wire: WireFields | undefined): void;
  event(e: PullEvent): void;
  /** The subscription failed (e.g. no permission on the inbox): this pull is over. */
  failed(e: unknown): void;
}

/**
 * A new pull tops the outstanding count up to `batch` once it fell to this share of it: half keeps
 * a request waiting on the server while the previous one drains (no gap at the live edge) with
 * half as many requests as nats.js's refill at three quarters.
 */
const REFILL_AT = 0.5;

/**
 * A JetStream pull consumer read without nats.js's consumer machinery: pull requests
 * (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`) published with a core subscription of our
 * own inbox as reply, and what arrives there split into deliveries (they have a `$JS.ACK` reply)
 * and status messages (no reply), handled per pull: `100` heartbeat, `404`/`408` a request that
 * ended with messages still unsent (their count leaves the outstanding total), `409` a consumer
 * deleted, a leadership change or a refused request, `503` no JetStream. No `JsMsg` is built and
 * no subject decoded: the owner parses the reply bytes (DeliveryInfo) and reads `data`, a view of
 * the socket read buffer.
 *
 * Invariant: `outstanding` (messages requested and not yet delivered or given up) never exceeds
 * `batch`; a new request tops it up to `batch` once it falls to half, so memory in flight stays
 * bounded by the pull size as on the consumer path. Drift (a lost status, a server restart) is
 * undone when heartbeats stop: the consumer is probed, and pulled again from zero.
 *
 * @example
 * ```ts
 * const pull = new LeanPull(nc, jsm, "ORDERS", "c1", { batch: 10_000, expiresMs: 10_000, idleHeartbeatMs: 1_000 }, handler);
 * pull.start();
 * // ...
 * pull.stop();
 * ```
 */
export class LeanPull {
  private sub: Subscription | undefined;
  private outstanding = 0;
  private active = false;
  private missed = 0;
  private monitor: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;
  private readonly inbox: string;
  private readonly api: string;
  private readonly request: (n: number) => string;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly consumer: string,
    private readonly options: LeanPullOptions,
    private readonly handler: PullHandler,
  ) {
    this.inbox = createInbox((nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
    this.api = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
    const expires = options.expiresMs * 1_000_000;
    const hb = options.idleHeartbeatMs * 1_000_000;
    // Only fields every supported server knows (2.12+ refuses unknown ones).
    this.request = (n) => `{"batch":${n},"expires":${expires},"idle_heartbeat":${hb}}`;
  }

  /** Subscribes the inbox and sends the first pull. */
  start(): void {
    if (this.sub !== undefined || this.stopped) return;
    this.sub = this.nc.subscribe(this.inbox, {
      callback: (err, m) => {
        if (err !== null) {
          if (!this.stopped) this.handler.failed(err);
          return;
        }
        this.receive(m);
      },
    });
    this.pull();
    this.monitor = setInterval(() => this.tick(), this.options.idleHeartbeatMs);
    this.monitor.unref();
  }

  /** Stops pulling; deliveries still on the wire to the inbox are dropped by the server. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.monitor !== undefined) clearInterval(this.monitor);
    const sub = this.sub;
    this.sub = undefined;
    if (sub !== undefined && !this.nc.isClosed()) sub.unsubscribe();
  }

  private receive(m: Msg): void {
    if (this.stopped) return;
    this.active = true;
    const wire = wireOf(m);
    const reply = wire?.reply;
    const isDelivery = reply instanceof Uint8Array ? reply.length > 0 : (m.reply ?? "") !== "";
    if (isDelivery) {
      if (this.outstanding > 0) this.outstanding--;
      this.handler.message(m, wire);
    } else {
      this.status(m);
    }
    if (!this.stopped && this.outstanding <= this.options.batch * REFILL_AT) this.pull();
  }

  /** A status message: one per pull (or per heartbeat), never per delivery. */
  private status(m: Msg): void {
    const h = m.headers;
    const code = h?.code ?? 0;
    const description = (h?.description ?? "").toLowerCase();
    if (code === 100) return; // idle heartbeat (or flow control, which pull consumers never send)
    switch (code) {
      case 404: // no messages (a no-wait request)
      case 408: {
        // Request timeout: its expiry passed. What it leaves unsent is asked for again.
        const left = Number.parseInt(h?.get("Nats-Pending-Messages") ?? "", 10);
        if (left > 0) this.outstanding = Math.max(0, this.outstanding - left);
        return;
      }
      case 409:
        if (description.includes("consumer deleted") || description.includes("stream deleted")) {
          this.handler.event({ type: "consumer_lost", reason: description });
        } else if (description.includes("leadership change") || description.includes("heartbeats missed")) {
          // The request is void on the new leader: ask again.
          this.outstanding = 0;
        } else if (description.includes("exceeded") || description.includes("exceeds")) {
          // A request refused (max waiting, max batch, max expires): asking again at once would
          // be refused again, so the count stays and the heartbeat probe pulls afresh, reporting
          // it once per probe rather than in a loop.
          this.handler.event({ type: "exceeded_limits", description });
        }
        return;
      case 503:
        this.handler.event({ type: "consumer_lost", reason: "no responders (JetStream unavailable)" });
        return;
      default:
        this.handler.event({ type: "error", description: `status ${code} ${description}`.trim() });
    }
  }

  private pull(): void {
    const n = this.options.batch - this.outstanding;
    if (n <= 0 || this.nc.isClosed()) return;
    this.outstanding += n;
    this.nc.publish(this.api, this.request(n), { reply: this.inbox });
  }

  /** Every heartbeat interval: two without anything arriving probe the consumer. */
  private tick(): void {
    if (this.active) {
      this.active = false;
      this.missed = 0;
      return;
    }
    this.missed++;
    if (this.missed < 2 || this.missed % 2 !== 0 || this.probing) return;
    this.handler.event({ type: "heartbeats_missed", count: this.missed });
    this.probing = true;
    void this.probe().finally(() => {
      this.probing = false;
    });
  }

  /**
   * nats-server 2.9 drops the pulls of a deleted consumer without a word: ask whether it still
   * exists; if it does, requests were lost (a restart, a dropped connection), so pull afresh.
   */
  private async probe(): Promise<void> {
    try {
      await this.jsm.consumers.info(this.stream, this.consumer);
      if (this.stopped) return;
      this.outstanding = 0;
      this.pull();
    } catch (e) {
      if (this.stopped) return;
      if (isApiError(e, JetStreamApiCodes.ConsumerNotFound) || isApiError(e, JetStreamApiCodes.StreamNotFound)) {
        this.handler.event({ type: "consumer_lost", reason: "consumer not found" });
      }
      // Anything else (a timeout while disconnected): the next missed heartbeats probe again,
      // and a reconnect recreates the consumer anyway.
    }
  }
}
