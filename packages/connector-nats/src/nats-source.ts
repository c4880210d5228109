import { ErrorCode, JetflowError, messageOf, type RawBatch } from "@jetflow/core/base";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { Observable, Subject, type Subscriber } from "rxjs";
import { BatchBuilder } from "./batch-builder.js";
import type { BatchSource } from "./batch-source.js";
import { type NatsSourceConfig, secretsOf } from "./config.js";
import { connectNats } from "./connect.js";
import { otherLayoutPositions, removeConsumers, withServers } from "./consumer-cleanup.js";
import { consumerPlan } from "./consumer-config.js";
import { ConnectionFailedError } from "./errors.js";
import { type ConsumerContext, type ConsumerListener, type Delivery, ManagedConsumer } from "./managed-consumer.js";
import { scrub, toJetflowError } from "./nats-errors.js";
import { OutageRetry } from "./outage-retry.js";
import type { ReadPath } from "./read-path.js";
import { RawPublisher } from "./raw-publisher.js";
import { type ResolvedRuntime, resolveRuntime, type SourceRuntimeOptions } from "./runtime-options.js";
import { featuresOf, type ServerFeatures } from "./server-features.js";
import type { SourceStatus } from "./source-status.js";
import { checkSubscribePermission, ensureStream } from "./stream-setup.js";

type ConnectionState = Extract<SourceStatus, { type: "connected" | "disconnected" | "reconnecting" }>;

/**
 * A NATS JetStream source: one pull consumer per subject, messages batched column-wise into
 * {@link RawBatch}es with the offsets each covers.
 *
 * @example
 * ```ts
 * const source = await NatsSource.open(resolveNatsOptions(withOptions), { offsets: restored, name: "orders" });
 * source.batches$.subscribe((batch) => decodeAndApply(batch)); // synchronous work = backpressure
 * await source.caughtUp();
 * await source.ack(checkpointedOffsets); // durable consumers: after the checkpoint committed
 * await source.stop();
 * ```
 */
export class NatsSource implements ConsumerListener, BatchSource {
  /**
   * Raw batches. Delivery starts on the first subscription and pauses when the last one leaves
   * (what was received but not emitted is read again on resubscribe). Emissions happen
   * synchronously inside the NATS read loop, so a subscriber that works synchronously holds the
   * next pull back: memory stays bounded by the pull size, whatever the backlog.
   */
  readonly batches$: Observable<RawBatch>;
  /** Status events; a new subscriber first gets the current connection state. */
  readonly status$: Observable<SourceStatus>;

  private readonly consumers: ManagedConsumer[] = [];
  private readonly byKey = new Map<string, ManagedConsumer>();
  private readonly subscribers = new Set<Subscriber<RawBatch>>();
  private readonly statusSubject = new Subject<SourceStatus>();
  private readonly builder: BatchBuilder;
  private connection: ConnectionState;
  private linger: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;
  private failure: JetflowError | undefined;
  private publisher: RawPublisher | undefined;
  private allCaughtUp = false;
  private caughtUpWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private stopping: Promise<void> | undefined;
  private durableRemoved = false;
  private opened = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly ctx: ConsumerContext,
    private readonly runtime: ResolvedRuntime,
  ) {
    this.builder = new BatchBuilder(runtime.keepHeaders);
    this.connection = { type: "connected", server: nc.getServer(), version: ctx.features.version };
    this.batches$ = new Observable<RawBatch>((subscriber) => this.attach(subscriber));
    this.status$ = new Observable<SourceStatus>((subscriber) => {
      subscriber.next(this.connection);
      return this.statusSubject.subscribe(subscriber);
    });
  }

  /**
   * Connects, checks the stream (creates it with `allow_create_stream`) and creates the
   * consumers: after `runtime.offsets` where given, else at `scan.startup.mode`. Fails with
   * typed errors: `StreamNotFoundError`, `PermissionDeniedError`, `AuthenticationFailedError`,
   * `ConnectionFailedError`, `ConsumerFailedError`, `InvalidOptionError`.
   */
  static async open(config: NatsSourceConfig, runtimeOptions: SourceRuntimeOptions = {}): Promise<NatsSource> {
    const runtime = resolveRuntime(runtimeOptions);
    const cfg = withServers(config, runtimeOptions.servers);
    const secrets = secretsOf(cfg);
    const nc = await connectNats(cfg, {
      ...(runtime.name === undefined ? {} : { name: runtime.name }),
      frameParser: runtime.readPath === "lean",
    });
    let source: NatsSource | undefined;
    const outage = new OutageRetry(nc, runtime.openRetryMs);
    try {
      await checkSubscribePermission(nc, cfg.subjects);
      const jsm = await jetstreamManager(nc, { checkAPI: false });
      const info = await outage.run(() => ensureStream(jsm, cfg, secrets));
      const maxBatch = cfg.consumer.max_batch ?? Number.MAX_SAFE_INTEGER;
      const maxExpires = (cfg.consumer.max_expires_sec ?? Number.MAX_SAFE_INTEGER / 1000) * 1000;
      const ctx: ConsumerContext = {
        nc,
        jsm,
        js: jetstream(nc),
        config: cfg,
        secrets,
        pullMessages: Math.min(runtime.pullMessages, maxBatch),
        expiresMs: Math.max(1_000, Math.min(runtime.pullExpiresMs, maxExpires)),
        openLastSeq: info.state.last_seq,
        streamCreated: info.created,
        features: featuresOf(nc),
        readPath: runtime.readPath,
      };
      source = new NatsSource(nc, ctx, runtime);
      const plans = consumerPlan(cfg, runtime.name, ctx.features.multiFilter);
      // No checkpoint: a durable source may find its position in the other layout's consumers.
      const other =
        runtime.offsets.size === 0 ? await outage.run(() => otherLayoutPositions(jsm, cfg, plans)) : undefined;
      const offsets = other !== undefined && other.offsets.size > 0 ? other.offsets : runtime.offsets;
      for (const plan of plans) {
        const consumer = new ManagedConsumer(ctx, source, plan.subjects, plan.name);
        source.consumers.push(consumer);
        for (const subject of plan.subjects) source.byKey.set(subject, consumer);
        await outage.run(() => consumer.open(offsets));
      }
      for (const name of other?.names ?? []) await outage.run(() => jsm.consumers.delete(cfg.stream, name));
      outage.stop();
      source.watchConnection();
      source.opened = true;
      source.checkCaughtUp();
      return source;
    } catch (e) {
      outage.stop();
      if (source !== undefined)
        await Promise.allSettled(source.consumers.map((c) => c.stop(cfg.durableName === undefined)));
      await nc.close().catch(() => undefined);
      throw toJetflowError(e, { doing: `opening stream '${cfg.stream}'`, stream: cfg.stream, secrets });
    }
  }

  /** How this source reads deliveries (`readPath`, or `JETFLOW_READ_PATH`). */
  get readPath(): ReadPath {
    return this.ctx.readPath;
  }

  /** What the server can do, from the version it announced at open. */
  get features(): ServerFeatures {
    return this.ctx.features;
  }

  /** The JetStream consumers' names, in subject order (one, or one per subject on 2.9). */
  get consumerNames(): readonly string[] {
    return this.consumers.map((c) => c.name);
  }

  /** Messages not yet delivered, summed over the consumers (num_pending). */
  lag(): number {
    let n = 0;
    for (const c of this.consumers) n += c.pending;
    return n;
  }

  /**
   * Resolves once every message that was in the stream (for the source's subjects) at `open()`
   * has been emitted in a batch; a `latest` start is caught up at once. Also `status$` `caught_up`.
   * Rejects if the source fails or stops first.
   */
  caughtUp(): Promise<void> {
    if (this.allCaughtUp) return Promise.resolve();
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.stopping !== undefined) return Promise.reject(stoppedError("caughtUp()"));
    return new Promise((resolve, reject) => this.caughtUpWaiters.push({ resolve, reject }));
  }

  /**
   * Acks everything up to `offsets` (per consumer key) on consumers with an ack policy (durable
   * ones by default): call it only after the checkpoint covering them committed. A no-op for
   * consumers with ack policy none. Never fails: acks lost with the connection are reported on
   * `status$` and cost nothing (see below).
   */
  async ack(offsets: ReadonlyMap<string, number>): Promise<void> {
    let sent = 0;
    for (const [key, seq] of offsets) sent += this.byKey.get(key)?.ack(seq) ?? 0;
    if (sent === 0 || this.nc.isClosed()) return;
    try {
      await this.nc.flush();
    } catch (e) {
      // The checkpoint committed; only the acks' fate is unknown (the server went away while they
      // were on the wire). That loses nothing: under AckPolicy all the next checkpoint's ack
      // covers these messages, under explicit the server redelivers them and the redelivery, a
      // duplicate dropped on arrival, is acked then; a reconnect recreates the consumers anyway.
      // Failing here would stop a pipeline whose state is fine.
      this.statusSubject.next({
        type: "error",
        error: toJetflowError(e, { doing: "sending acks", stream: this.ctx.config.stream, secrets: this.ctx.secrets }),
      });
    }
  }

  /**
   * Publishes a raw message (a dead letter) on the source's connection: acked by the stream that
   * captures `subject` (tried again on a timeout or a lost connection, deduplicated by `msgId`),
   * else a plain publish. @see RawPublisher
   */
  async publish(
    subject: string,
    payload: Uint8Array,
    headers?: Readonly<Record<string, string>>,
    msgId?: string,
  ): Promise<void> {
    try {
      this.publisher ??= new RawPublisher(this.nc, this.ctx.js, this.ctx.jsm);
      await this.publisher.publish(subject, payload, headers, msgId);
    } catch (e) {
      throw toJetflowError(e, { doing: `publishing to '${subject}'`, secrets: this.ctx.secrets });
    }
  }

  /** Stops consuming, deletes the consumers it created unless durable, closes the connection. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown(false);
    return this.stopping;
  }

  /** Like `stop()`, and deletes durable consumers too (DROP TABLE/SOURCE). */
  async drop(): Promise<void> {
    if (this.stopping === undefined) {
      this.stopping = this.shutdown(true);
      return this.stopping;
    }
    await this.stopping;
    if (this.ctx.config.durableName === undefined || this.durableRemoved) return;
    // Stopped earlier without removing the durable consumers: connect once more to delete them.
    await removeConsumers(this.ctx.config);
    this.durableRemoved = true;
  }

  // ConsumerListener: called by the consumers, synchronously from the NATS read loop.

  onMessage(c: ManagedConsumer, m: Delivery, subject: string, seq: number, timestampUs: number): void {
    const b = this.builder;
    b.push(c.keys[0]!, m.data, subject, seq, timestampUs, this.runtime.keepHeaders ? m.headers : undefined);
    if (b.length >= this.runtime.maxBatchRows || b.bytes >= this.runtime.maxBatchBytes) this.flush();
    else if (c.pending === 0 && this.lag() === 0) this.flushSoon();
    else if (this.linger === undefined) this.linger = setTimeout(() => this.flush(), this.runtime.lingerMs);
  }

  /**
   * At the live edge (nothing left to deliver) waiting for more rows only adds latency: emit once
   * the current socket read is processed, so messages that arrived together still share a batch.
   * Behind a backlog the linger timer lets batches fill up instead.
   */
  private flushSoon(): void {
    this.soon ??= setImmediate(() => {
      this.soon = undefined;
      this.flush();
    });
  }

  onReachedEnd(): void {
    if (this.builder.length === 0) this.checkCaughtUp();
  }

  onStatus(s: SourceStatus): void {
    this.statusSubject.next(s);
  }

  onFatal(e: JetflowError): void {
    if (this.failure !== undefined || this.stopping !== undefined) return;
    this.failure = e;
    this.statusSubject.next({ type: "error", error: e });
    for (const s of [...this.subscribers]) s.error(e);
    this.subscribers.clear();
    for (const w of this.caughtUpWaiters.splice(0)) w.reject(e);
    void this.stop();
  }

  private attach(subscriber: Subscriber<RawBatch>): () => void {
    if (this.failure !== undefined) {
      subscriber.error(this.failure);
      return () => undefined;
    }
    if (this.stopping !== undefined) {
      subscriber.complete();
      return () => undefined;
    }
    this.subscribers.add(subscriber);
    if (this.subscribers.size === 1) for (const c of this.consumers) c.start();
    return () => {
      if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0) return;
      // Nobody to emit to: forget the unemitted messages; consumers resume after the emitted ones.
      this.clearLinger();
      this.builder.clear();
      for (const c of this.consumers) c.pause();
    };
  }

  private flush(): void {
    this.clearLinger();
    if (this.builder.length === 0) return;
    // Marked emitted first, so the positions added for consumers absent from the batch are current.
    for (const [key, seq] of this.builder.pendingOffsets()) this.byKey.get(key)?.markEmitted(seq);
    // Every consumer's position goes in the offsets, not only those with a message here: a
    // checkpoint then resumes a quiet subject where it was (e.g. after a `latest` start) rather
    // than at scan.startup.mode again.
    const batch = this.builder.take(this.consumers);
    // Consumers whose last pre-open message is in this batch: caught up once it is emitted, even
    // if the subscriber leaves (pausing them) while handling it.
    const reaching = this.allCaughtUp ? [] : this.consumers.filter((c) => c.reachedEnd && !c.caughtUp);
    for (const s of this.subscribers) s.next(batch);
    for (const c of reaching) c.caughtUp = true;
    this.checkCaughtUp();
  }

  private clearLinger(): void {
    if (this.linger !== undefined) {
      clearTimeout(this.linger);
      this.linger = undefined;
    }
    if (this.soon !== undefined) {
      clearImmediate(this.soon);
      this.soon = undefined;
    }
  }

  /** Marks consumers whose last pre-open message has been emitted; resolves waiters when all have. */
  private checkCaughtUp(): void {
    // While open() is still creating consumers, "all" would mean only the ones created so far.
    if (this.allCaughtUp || !this.opened) return;
    let all = true;
    for (const c of this.consumers) {
      if (c.reachedEnd && this.builder.length === 0) c.caughtUp = true;
      if (!c.caughtUp) all = false;
    }
    if (!all) return;
    this.allCaughtUp = true;
    this.statusSubject.next({ type: "caught_up" });
    for (const w of this.caughtUpWaiters.splice(0)) w.resolve();
  }

  private watchConnection(): void {
    const setState = (s: ConnectionState) => {
      if (s.type === this.connection.type && s.type !== "connected") return;
      this.connection = s;
      this.statusSubject.next(s);
    };
    void (async () => {
      for await (const s of this.nc.status()) {
        switch (s.type) {
          case "disconnect":
            setState({ type: "disconnected" });
            break;
          case "reconnecting":
            setState({ type: "reconnecting" });
            break;
          case "reconnect":
            setState({ type: "connected", server: s.server, version: featuresOf(this.nc).version });
            // Deliveries in flight on the old socket are gone, and ephemeral consumers may be too.
            for (const c of this.consumers) c.restart();
            break;
          case "error":
            this.statusSubject.next({
              type: "error",
              error: toJetflowError(s.error, { doing: "consuming", secrets: this.ctx.secrets }),
            });
            break;
          default:
            break;
        }
      }
    })();
    void this.nc.closed().then((err) => {
      if (this.stopping !== undefined) return;
      const why = err === undefined ? "" : `: ${scrub(messageOf(err), this.ctx.secrets)}`;
      this.onFatal(
        new ConnectionFailedError(`the NATS connection closed${why}`, err === undefined ? undefined : { cause: err }),
      );
    });
  }

  private async shutdown(removeDurable: boolean): Promise<void> {
    this.clearLinger();
    this.builder.clear();
    const remove = removeDurable || this.ctx.config.durableName === undefined;
    if (!this.nc.isClosed()) {
      await Promise.allSettled(this.consumers.map((c) => c.stop(remove)));
      await this.nc.close().catch(() => undefined);
    }
    this.durableRemoved = removeDurable;
    for (const s of [...this.subscribers]) s.complete();
    this.subscribers.clear();
    const err = this.failure ?? stoppedError("caughtUp()");
    for (const w of this.caughtUpWaiters.splice(0)) w.reject(err);
    this.statusSubject.complete();
  }
}

function stoppedError(call: string): JetflowError {
  return new JetflowError(ErrorCode.InvalidState, `the NATS source stopped before ${call} resolved`);
}
