import type { JetflowError } from "@jetflow/core/base";
import type { Consumer, ConsumerInfo, ConsumerMessages, JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { JetStreamApiCodes } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection } from "@nats-io/transport-node";
import type { NatsSourceConfig } from "./config.js";
import { consumerConfig, sameFilter, type StartAt, startAtSequence, startOf } from "./consumer-config.js";
import { AckTracker } from "./ack-tracker.js";
import { DeliveryInfo } from "./delivery-info.js";
import {
  AuthenticationFailedError,
  ConsumerFailedError,
  PermissionDeniedError,
  StreamNotFoundError,
} from "./errors.js";
import { LeanPull, type PullEvent } from "./lean-pull.js";
import { isApiError, toJetflowError } from "./nats-errors.js";
import { SubjectCache, type WireFields, wireFields } from "./raw-msg.js";
import type { ReadPath } from "./read-path.js";
import type { ServerFeatures } from "./server-features.js";
import type { SourceStatus } from "./source-status.js";
import { subjectMatches } from "./subjects.js";

const ACK = new TextEncoder().encode("+ACK");
/**
 * Idle heartbeat of a pull, at most. nats-server 2.9 drops the pulls of a deleted consumer
 * without a word, so two missed heartbeats are what reveals it: with the default (half the
 * 10 s expiry) a deleted consumer stalled the source for ~15 s; at 1 s it is ~3 s. The server
 * sends heartbeats only while a pull waits with nothing to deliver, so the cost is nil.
 */
const IDLE_HEARTBEAT_MS = 1_000;

/** What every consumer of a source shares. */
export interface ConsumerContext {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly js: JetStreamClient;
  readonly config: NatsSourceConfig;
  readonly secrets: readonly string[];
  /** Messages per pull request. */
  readonly pullMessages: number;
  /** Pull request expiry; idle heartbeats come every half of it. */
  readonly expiresMs: number;
  /** The stream's last sequence when the source opened: a consumer past it has caught up. */
  readonly openLastSeq: number;
  /** The stream's creation time at open: a different one means it was deleted and created again. */
  readonly streamCreated: string;
  /** What the server can do (its version at open). */
  readonly features: ServerFeatures;
  /** How deliveries are read: our own pulls (`lean`) or nats.js's consumer API (`consumer`). */
  readonly readPath: ReadPath;
}

/** A delivery as the source reads it: a `JsMsg` (consumer path) or a core `Msg` (lean path). */
export interface Delivery {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs | undefined;
}

/**
 * Where a consumer is in its life: `ready` (created, never consumed from: `start()` uses it as
 * is), `running` (delivery wanted), `paused` (no subscriber; `start()` recreates it where the
 * emitted messages end), `stopped` (for good).
 */
export type ConsumerPhase = "ready" | "running" | "paused" | "stopped";

/** How a consumer hands over messages and events to its source. */
export interface ConsumerListener {
  onMessage(c: ManagedConsumer, m: Delivery, subject: string, seq: number, timestampUs: number): void;
  onReachedEnd(c: ManagedConsumer): void;
  onStatus(s: SourceStatus): void;
  onFatal(e: JetflowError): void;
}

/**
 * One JetStream pull consumer of a source, kept alive for the source's life: one per subject on
 * nats-server 2.9, one for all subjects (`filter_subjects`) on 2.10+. Its offsets are reported
 * under each of its subjects (the keys), so a checkpoint resumes on either layout.
 *
 * Invariant: every message of its subjects up to `lastSeq` has been handed to the listener, in
 * stream order, exactly once. It holds because the server numbers every delivery (the consumer
 * sequence) and first deliveries follow stream order: a consumer sequence that skips one means a
 * delivery never reached us (lost with a dropped connection, sent to a stale pull), and the
 * consumer is recreated at the right stream sequence; anything at or below `lastSeq` (a
 * redelivery, a replay after recreation) is dropped. The same path handles a consumer deleted
 * under the source, a server restart and a reconnect.
 */
export class ManagedConsumer {
  /** Highest stream sequence handed over (or restored): anything at or below is a duplicate. */
  lastSeq = 0;
  /** Highest stream sequence emitted in a batch. */
  emittedSeq = 0;
  /** Messages left to deliver (num_pending), as of the last delivery. */
  pending = 0;
  /** Every message present at open has been handed over (not necessarily emitted yet). */
  reachedEnd = false;
  /** ...and emitted. */
  caughtUp = false;

  /**
   * Per subject, the offset restored from a checkpoint, while they differ (a checkpoint of
   * per-subject consumers resumed by one multi-filter consumer, which starts at the lowest):
   * a message at or below its subject's offset was handled before. Gone past `floorsEnd`.
   */
  private floors: Map<string, number> | undefined;
  private floorsEnd = 0;
  private readonly acks: boolean;
  /** Replies to ack after checkpoints; its `ackedSeq` is where a recreation restarts (acks). */
  private readonly tracker: AckTracker;
  private expectedDelivery = 1;
  private consumer: Consumer | undefined;
  private messages: ConsumerMessages | undefined;
  private lean: LeanPull | undefined;
  private generation = 0;
  private state: ConsumerPhase = "paused";
  private restarting: Promise<void> | undefined;
  private restartAgain = false;
  private wake: (() => void) | undefined;
  private readonly info = new DeliveryInfo();
  private readonly subjects = new SubjectCache();
  /**
   * The one subject every delivery has, when the consumer filters one literal subject (no `*` or
   * `>`): the server delivers only messages stored under it, so their subject bytes are not read.
   */
  private readonly onlySubject: string | undefined;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly listener: ConsumerListener,
    /** The consumer's filter subjects: the keys of its offsets, stable across restarts. */
    readonly keys: readonly string[],
    /** The JetStream consumer name. */
    readonly name: string,
  ) {
    this.acks = ctx.config.consumer.ack_policy !== "none";
    this.tracker = new AckTracker(ctx.config.consumer.ack_policy);
    const only = keys.length === 1 ? keys[0]! : undefined;
    this.onlySubject = only !== undefined && !/[*>]/.test(only) ? only : undefined;
  }

  /** Its subjects, for messages: `a.>,b.x`. */
  get key(): string {
    return this.keys.join(",");
  }

  get phase(): ConsumerPhase {
    return this.state;
  }

  /** Read through a getter: the phase changes across awaits, which narrowing does not see. */
  private get stopped(): boolean {
    return this.state === "stopped";
  }

  /**
   * Creates the consumer: after the checkpointed offsets of its subjects when resuming (at the
   * lowest, skipping what each subject had past it), else where an existing durable consumer of
   * these subjects had acked up to, else at `scan.startup.mode`. An existing consumer of the same
   * name is replaced, so its config and position are exactly ours.
   */
  async open(offsets: ReadonlyMap<string, number>): Promise<void> {
    let start: StartAt = startOf(this.ctx.config.startup);
    const restored = this.keys.filter((k) => offsets.has(k)).map((k) => offsets.get(k)!);
    if (restored.length > 0) {
      const low = Math.min(...restored);
      this.floorsEnd = Math.max(...restored);
      if (this.floorsEnd > low || restored.length < this.keys.length) {
        this.floors = new Map(this.keys.filter((k) => offsets.has(k)).map((k) => [k, offsets.get(k)!]));
      }
      // A subject without an offset (none checkpointed yet) starts at scan.startup.mode.
      if (restored.length === this.keys.length) {
        start = startAtSequence(low + 1);
        this.lastSeq = low;
      }
    } else if (this.ctx.config.durableName !== undefined) {
      const existing = await this.existing();
      if (existing !== undefined && sameFilter(existing.config, this.keys)) {
        const floor = this.acks ? existing.ack_floor.stream_seq : existing.delivered.stream_seq;
        start = startAtSequence(floor + 1);
      }
    }
    // A consumer of the same name (durable, or a fixed consumer.name) is replaced; generated names are new.
    if (this.ctx.config.durableName !== undefined || this.ctx.config.consumer.name !== undefined) await this.remove();
    this.install(await this.create(start));
    this.emittedSeq = this.lastSeq;
  }

  /** Starts (or resumes) delivery. */
  start(): void {
    if (this.state === "running" || this.state === "stopped") return;
    const ready = this.state === "ready";
    this.state = "running";
    if (ready && this.restarting === undefined) {
      void this.consume().catch((e: unknown) => this.failed(e));
    } else {
      this.restart();
    }
  }

  /** Stops delivery; what was handed over but not emitted is forgotten and read again on `start()`. */
  pause(): void {
    if (this.stopped) return;
    this.state = "paused";
    this.halt();
    this.lastSeq = this.emittedSeq;
    if (!this.caughtUp) this.reachedEnd = false;
    // A recreation in flight started from the old position: redo it from the emitted one.
    if (this.restarting !== undefined) this.restartAgain = true;
  }

  /** Recreates the consumer where delivery must continue (see the class invariant). */
  restart(): void {
    if (this.stopped) return;
    this.halt();
    if (this.restarting !== undefined) {
      this.restartAgain = true;
      return;
    }
    this.restarting = this.recreate().finally(() => {
      this.restarting = undefined;
      if (this.restartAgain && !this.stopped) {
        this.restartAgain = false;
        this.restart();
      }
    });
  }

  /** The source emitted a batch holding this consumer's messages up to `seq`. */
  markEmitted(seq: number): void {
    this.emittedSeq = seq;
    if (this.acks && seq === this.lastSeq) this.tracker.emitted(seq);
  }

  /**
   * Acks everything up to `offset` (a checkpoint committed it): AckPolicy all acks the last
   * delivery at or below it, explicit acks each one. Returns the number of acks sent.
   */
  ack(offset: number): number {
    if (!this.acks) return 0;
    const replies = this.tracker.take(offset);
    for (const r of replies) this.ctx.nc.publish(r, ACK);
    return replies.length;
  }

  /** Stops for good; `remove` deletes the consumer on the server. */
  async stop(remove: boolean): Promise<void> {
    this.state = "stopped";
    this.halt();
    this.wake?.();
    if (this.restarting !== undefined) {
      // A recreation in flight may still create the consumer; let it finish so remove() sees it.
      await Promise.race([this.restarting.catch(() => undefined), sleep(2_000)]);
    }
    if (remove) await this.remove();
  }

  private onMessage(m: Delivery, wire: WireFields | undefined, generation: number): void {
    if (generation !== this.generation) return;
    const info = this.info;
    const replyBytes = wire?.reply;
    const parsed = replyBytes instanceof Uint8Array ? info.parseBytes(replyBytes) : info.parse(replyOf(m));
    if (!parsed) return;
    // The reply string is only needed to ack.
    const reply = this.acks ? replyOf(m) : "";
    if (info.deliverySequence !== this.expectedDelivery) {
      this.restart();
      return;
    }
    this.expectedDelivery = info.deliverySequence + 1;
    this.pending = info.pending;
    const seq = info.streamSequence;
    if (seq <= this.lastSeq || (this.floors !== undefined && this.belowFloor(seq, m, wire))) {
      if (this.acks) this.tracker.duplicate(seq, reply);
      if (info.pending === 0) this.reached();
      return;
    }
    this.lastSeq = seq;
    if (this.acks) this.tracker.delivered(seq, reply);
    if (this.floors !== undefined && seq >= this.floorsEnd) this.floors = undefined;
    this.listener.onMessage(this, m, this.onlySubject ?? this.subjects.subjectOf(m, wire), seq, info.timestampUs);
    if (info.pending === 0 || seq >= this.ctx.openLastSeq) this.reached();
  }

  /** Handled before a restore (see `floors`): past `lastSeq`, but at or below its subject's offset. */
  private belowFloor(seq: number, m: Delivery, wire: WireFields | undefined): boolean {
    const subject = this.subjects.subjectOf(m, wire);
    for (const [key, floor] of this.floors!) {
      if (seq <= floor && subjectMatches(key, subject)) {
        this.lastSeq = seq;
        if (seq >= this.floorsEnd) this.floors = undefined;
        return true;
      }
    }
    return false;
  }

  private reached(): void {
    if (this.reachedEnd) return;
    this.reachedEnd = true;
    this.listener.onReachedEnd(this);
  }

  private async consume(): Promise<void> {
    if (this.ctx.readPath === "lean") {
      this.consumeLean();
      return;
    }
    const consumer = this.consumer;
    if (consumer === undefined) return;
    const generation = this.generation;
    const messages = await consumer.consume({
      max_messages: this.ctx.pullMessages,
      expires: this.ctx.expiresMs,
      idle_heartbeat: this.idleHeartbeatMs,
      callback: (m) => this.onMessage(m, wireFields(m), generation),
    });
    if (generation !== this.generation || this.state !== "running") {
      messages.stop();
      return;
    }
    this.messages = messages;
    void this.watch(messages, generation);
    void messages.closed().then((err) => {
      if (err instanceof Error && generation === this.generation) this.failed(err);
    });
  }

  private get idleHeartbeatMs(): number {
    return Math.min(IDLE_HEARTBEAT_MS, this.ctx.expiresMs / 2);
  }

  /** The lean read path: our own pull requests on a core subscription (see LeanPull). */
  private consumeLean(): void {
    if (this.consumer === undefined || this.state !== "running") return;
    const generation = this.generation;
    const pull = new LeanPull(
      this.ctx.nc,
      this.ctx.jsm,
      this.ctx.config.stream,
      this.name,
      { batch: this.ctx.pullMessages, expiresMs: this.ctx.expiresMs, idleHeartbeatMs: this.idleHeartbeatMs },
      {
        message: (m, wire) => this.onMessage(m, wire, generation),
        event: (e) => {
          if (generation === this.generation) this.onPullEvent(e);
        },
        failed: (e) => {
          if (generation === this.generation) this.failed(e);
        },
      },
    );
    this.lean = pull;
    pull.start();
  }

  /** What either read path reports about its pulls, in one vocabulary. */
  private onPullEvent(e: PullEvent): void {
    switch (e.type) {
      case "heartbeats_missed":
        this.listener.onStatus({ type: "heartbeats_missed", count: e.count });
        break;
      // A pull to a deleted consumer gets no answer at all on 2.9 (the JetStream API import
      // swallows it), so besides these, missed heartbeats are what reveals a lost consumer.
      case "consumer_lost":
        this.restart();
        break;
      case "exceeded_limits":
      case "error":
        this.listener.onStatus({
          type: "error",
          error: new ConsumerFailedError(this.key, `consumer '${this.name}' of '${this.key}': ${e.description}`),
        });
        break;
    }
  }

  private async watch(messages: ConsumerMessages, generation: number): Promise<void> {
    for await (const n of messages.status()) {
      if (generation !== this.generation) return;
      switch (n.type) {
        case "heartbeats_missed":
          this.onPullEvent({ type: "heartbeats_missed", count: n.count });
          break;
        case "consumer_deleted":
        case "consumer_not_found":
        case "stream_not_found":
        case "no_responders":
          this.onPullEvent({ type: "consumer_lost", reason: n.type });
          return;
        case "exceeded_limits":
          this.onPullEvent({ type: "exceeded_limits", description: n.description });
          break;
        default:
          break;
      }
    }
  }

  /** A consume loop ended with an error: permissions are fatal, anything else recreates. */
  private failed(e: unknown): void {
    if (this.stopped) return;
    const err = this.wrap(e, "consuming");
    if (err instanceof PermissionDeniedError || err instanceof AuthenticationFailedError) {
      this.listener.onFatal(err);
      return;
    }
    this.listener.onStatus({ type: "error", error: err });
    this.restart();
  }

  /** Stops the current consume loop; its late messages are ignored by generation. */
  private halt(): void {
    this.generation++;
    const messages = this.messages;
    this.messages = undefined;
    messages?.stop();
    const lean = this.lean;
    this.lean = undefined;
    lean?.stop();
  }

  private async recreate(): Promise<void> {
    let streamLost = false;
    for (let attempt = 0; !this.stopped; attempt++) {
      const from = (this.acks ? this.tracker.ackedSeq : this.lastSeq) + 1;
      try {
        if (streamLost) await this.checkSameStream();
        await this.remove();
        this.install(await this.create(startAtSequence(from)));
        this.listener.onStatus({ type: "consumer_recreated", consumer: this.name, fromSequence: from });
        if (this.state === "running" && !this.restartAgain) await this.consume();
        return;
      } catch (e) {
        const err = this.wrap(e, `recreating consumer '${this.name}'`);
        if (err instanceof PermissionDeniedError || err instanceof AuthenticationFailedError || err === this.replaced) {
          this.listener.onFatal(err);
          return;
        }
        if (err instanceof StreamNotFoundError) streamLost = true;
        if (this.stopped) return;
        this.listener.onStatus({ type: "error", error: err });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(5_000, 200 * 2 ** attempt));
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private replaced: StreamNotFoundError | undefined;

  /** After the stream vanished: a stream of the same name created since is another one (sequences restart). */
  private async checkSameStream(): Promise<void> {
    const info = await this.ctx.jsm.streams.info(this.ctx.config.stream);
    if (info.created !== this.ctx.streamCreated) {
      this.replaced = new StreamNotFoundError(
        this.ctx.config.stream,
        `stream '${this.ctx.config.stream}' was deleted and created again while being read; its sequences restarted, ` +
          "so the source's offsets no longer apply (open the source again to start over)",
      );
      throw this.replaced;
    }
  }

  private install(ci: ConsumerInfo): void {
    this.consumer = this.ctx.js.consumers.getConsumerFromInfo(ci);
    if (this.state === "paused") this.state = "ready";
    // The server reports the sequence before the start as delivered (e.g. the stream's last one for `latest`).
    this.tracker.reset(ci.delivered.stream_seq);
    if (ci.delivered.stream_seq > this.lastSeq) this.lastSeq = ci.delivered.stream_seq;
    this.expectedDelivery = 1;
    this.pending = ci.num_pending;
    if (ci.num_pending === 0) this.reached();
  }

  private async create(start: StartAt): Promise<ConsumerInfo> {
    const cfg = consumerConfig(this.ctx.config, this.name, this.keys, start);
    try {
      return await this.ctx.jsm.consumers.add(this.ctx.config.stream, cfg);
    } catch (e) {
      throw this.wrap(e, `creating consumer '${this.name}'`);
    }
  }

  private async existing(): Promise<ConsumerInfo | undefined> {
    try {
      return await this.ctx.jsm.consumers.info(this.ctx.config.stream, this.name);
    } catch (e) {
      if (isApiError(e, JetStreamApiCodes.ConsumerNotFound)) return undefined;
      throw this.wrap(e, `reading consumer '${this.name}'`);
    }
  }

  /** Deletes the consumer on the server; one that is already gone is fine. */
  private async remove(): Promise<void> {
    try {
      await this.ctx.jsm.consumers.delete(this.ctx.config.stream, this.name);
    } catch (e) {
      if (isApiError(e, JetStreamApiCodes.ConsumerNotFound)) return;
      throw this.wrap(e, `deleting consumer '${this.name}'`);
    }
  }

  private wrap(e: unknown, doing: string): JetflowError {
    return toJetflowError(e, {
      doing: `${doing} for subject '${this.key}' of stream '${this.ctx.config.stream}'`,
      stream: this.ctx.config.stream,
      consumerKey: this.key,
      secrets: this.ctx.secrets,
    });
  }
}

function replyOf(m: Delivery): string {
  return (m as unknown as { reply: string }).reply;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
