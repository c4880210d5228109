import { insertsOf, messageOf, type RawBatch } from "@jetflow/core";
import {
  type BatchSource,
  NatsSource,
  type NatsSourceConfig,
  removeConsumers,
  resolveNatsOptions,
  ThreadedSource,
} from "@jetflow/connector-nats";
import { type BadMessage, createDecoder, type Decoder, type DecoderSpec } from "@jetflow/decoders";
import type { Subscription } from "rxjs";
import { type BadMessagePolicy, splitWithOptions } from "./bad-message-policy.js";
import { decodesInReaders } from "./decode-placement.js";
import { decodeStage } from "./decode-stage.js";
import { type DecodedInput, decodeInput } from "./decoded-input.js";
import { DecodingSource } from "./decoding-source.js";
import { BadMessageError } from "./errors.js";
import type { IngestHost } from "./ingest-host.js";
import { InputRelation } from "./input-relation.js";
import { readShares, shareOffsets, sharePull } from "./ingest-shares.js";
import type { BatchCounts } from "./metrics.js";
import type { IngestSpec, TableSpec } from "./spec.js";

export type { IngestHost } from "./ingest-host.js";

/**
 * A CREATE SOURCE or CREATE TABLE: a NATS source, a decoder, and for a table the operator that
 * keeps its rows (upsert by primary key, or append-only storage; see {@link InputRelation}).
 *
 * Built in steps: the constructor validates everything that needs no I/O (WITH options,
 * bad-message policy); `prepare()` builds the decoder (a protobuf schema may be fetched) and
 * with it the schema that views are planned against; `open()` connects and subscribes. From then
 * on every raw batch goes through {@link process}: decode, table semantics, downstream, offsets.
 */
export class IngestRelation extends InputRelation {
  readonly config: NatsSourceConfig;
  /** The connector's WITH options as given (a reader thread resolves them again). */
  private readonly connector: Readonly<Record<string, string>>;
  readonly policy: BadMessagePolicy;
  private decoder: Decoder | undefined;
  /** Per consumer key, the last stream sequence whose message is fully processed. */
  private readonly processed = new Map<string, number>();
  /** One per share of the input (see `readShares`): usually one. */
  private sources: BatchSource<DecodedInput>[] = [];
  private statusSubscriptions: Subscription[] = [];
  private batchSubscriptions: Subscription[] = [];
  /** The subscriptions a sink's back-pressure paused, until it lets go. */
  private paused: Subscription[] | undefined;

  constructor(
    name: string,
    kind: "source" | "table",
    readonly spec: IngestSpec | TableSpec,
  ) {
    super(name, kind);
    const { connector, policy } = splitWithOptions(spec.with);
    this.config = resolveNatsOptions(connector);
    this.connector = connector;
    this.policy = policy;
  }

  get primaryKey(): readonly string[] {
    return "primaryKey" in this.spec ? this.spec.primaryKey : [];
  }

  get key(): readonly string[] {
    return this.primaryKey;
  }

  async prepare(): Promise<void> {
    this.decoder = await createDecoder(this.decoderSpec());
    this.keep(this.decoder.schema);
  }

  private decoderSpec(): DecoderSpec {
    return { format: this.spec.format, columns: this.spec.columns, include: this.spec.include };
  }

  /** Per consumer key, the last fully processed stream sequence: what a checkpoint records. */
  offsets(): Record<string, number> {
    return Object.fromEntries(this.processed);
  }

  /**
   * Connects the source, resuming each consumer after `offsets` (from a checkpoint), and
   * applies its batches from now on. A stream the server partitions is read through one
   * consumer per partition (see `readShares`), in reader threads when the pipeline has them;
   * those decode the batches too when two or more of them read (`decodesInReaders`).
   */
  async open(host: IngestHost, offsets: Readonly<Record<string, number>>): Promise<void> {
    const { maxBatchRows, lingerMs, servers, readPath, readers, decodeIn, inputs } = host.runtime;
    const shares = await readShares(this.spec.with, this.connector, this.config, servers);
    const resume = shareOffsets(new Map(Object.entries(offsets)), this.connector, shares);
    for (const [k, v] of resume) this.processed.set(k, v);
    const runtime = {
      offsets: resume,
      maxBatchRows,
      // Each share gets 1/N of the input: lingering N times as long fills its batches as fast as
      // one consumer's (fewer, larger batches; at the live edge batches go out at once anyway).
      lingerMs: lingerMs * shares.length,
      readPath,
      keepHeaders: this.spec.include.some((c) => c.kind === "header"),
      name: this.name,
      // Together the shares hold no more in flight than one consumer would.
      pullMessages: sharePull(shares.length),
      ...(servers === undefined ? {} : { servers: [...servers] }),
    };
    const decoder = this.prepared();
    const decode = (raw: RawBatch) => decodeInput(decoder, raw);
    const stage =
      readers !== undefined && decodesInReaders(decodeIn, readers.size, inputs, shares.length)
        ? decodeStage(this.name, this.decoderSpec(), decoder.schema)
        : undefined;
    const opened = await Promise.allSettled(
      shares.map(async (share): Promise<BatchSource<DecodedInput>> => {
        if (readers === undefined) {
          const config = shares.length === 1 ? this.config : resolveNatsOptions(share);
          return new DecodingSource(await NatsSource.open(config, runtime), decode);
        }
        if (stage !== undefined) return ThreadedSource.open(readers, share, runtime, stage);
        return new DecodingSource(await ThreadedSource.open(readers, share, runtime), decode);
      }),
    );
    const sources = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const failed = opened.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed !== undefined) {
      await Promise.allSettled(sources.map((s) => s.stop()));
      throw failed.reason;
    }
    this.sources = sources;
    this.statusSubscriptions = sources.map((source) =>
      source.status$.subscribe((status) => host.status({ type: "source", relation: this.name, status })),
    );
    this.subscribeBatches(host);
  }

  private subscribeBatches(host: IngestHost): void {
    this.batchSubscriptions = this.sources.map((source) =>
      source.batches$.subscribe({ next: (input) => this.onBatch(host, input), error: (e: unknown) => host.fail(e) }),
    );
  }

  /**
   * Stops pulling until `until` resolves: unsubscribing pauses the source's consumers, and what
   * they pulled but did not emit is read again on resubscribe, so nothing is lost.
   */
  private pauseUntil(host: IngestHost, until: Promise<void>): void {
    const batches = this.batchSubscriptions;
    if (batches.length === 0) return;
    for (const b of batches) b.unsubscribe();
    this.batchSubscriptions = [];
    void until.then(() => {
      if (this.sources.length === 0 || this.batchSubscriptions.length > 0 || this.paused !== batches) return;
      if (host.accepting()) this.subscribeBatches(host);
    });
    this.paused = batches;
  }

  /** Stops applying batches (the source stays connected: a last checkpoint may still ack). */
  unsubscribe(): void {
    for (const s of [...this.statusSubscriptions, ...this.batchSubscriptions]) s.unsubscribe();
    this.statusSubscriptions = [];
    this.batchSubscriptions = [];
    this.paused = undefined;
  }

  /** Disconnects, removing the consumers it created unless they are durable. */
  async close(): Promise<void> {
    this.unsubscribe();
    const sources = this.sources;
    this.sources = [];
    await Promise.all(sources.map((s) => s.stop().catch(() => undefined)));
  }

  /** DROP: disconnects and removes its consumers, durable ones included. */
  async drop(): Promise<void> {
    this.unsubscribe();
    const sources = this.sources;
    this.sources = [];
    await Promise.all(sources.map((s) => s.drop()));
  }

  /** DROP before start: removes the durable consumers an earlier run left, connecting just for that. */
  async removeConsumers(servers: readonly string[] | undefined): Promise<void> {
    const shares = await readShares(this.spec.with, this.connector, this.config, servers);
    for (const share of shares) {
      await removeConsumers(shares.length === 1 ? this.config : resolveNatsOptions(share), { servers });
    }
  }

  /** Messages not yet delivered. */
  lag(): number {
    let n = 0;
    for (const s of this.sources) n += s.lag();
    return n;
  }

  /** Resolves once every message that was in the stream when the source opened is processed. */
  async caughtUp(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.caughtUp()));
  }

  /** Acks what a committed checkpoint covers (durable consumers); each share acks its own keys. */
  async ack(offsets: Readonly<Record<string, number>> | undefined): Promise<void> {
    const all = new Map(Object.entries(offsets ?? {}));
    await Promise.all(this.sources.map((s) => s.ack(all)));
  }

  /**
   * Applies a decoded batch: the table semantics, the change downstream, then the batch's
   * offsets recorded as processed. Synchronous: when it returns, the whole graph reflects the
   * batch.
   * @throws BadMessageError under the `fail` policy (offsets are then not advanced)
   */
  process(input: DecodedInput): BatchCounts & { readonly badMessages: readonly BadMessage[] } {
    const { batch, bad } = input;
    if (bad.length > 0 && this.policy.kind === "fail") {
      const first = bad[0] as BadMessage;
      throw new BadMessageError(this.name, first.sequence, first.reason);
    }
    if (batch.numRows > 0) this.apply(insertsOf(batch));
    for (const [consumer, seq] of input.offsets) this.processed.set(consumer, seq);
    return { messages: input.messages, bytes: input.bytes, rows: batch.numRows, bad: bad.length, badMessages: bad };
  }

  private onBatch(host: IngestHost, input: DecodedInput): void {
    if (!host.accepting()) return;
    try {
      const report = this.process(input);
      host.metrics.batch(this.name, report);
      if (report.badMessages.length > 0) this.onBad(host, report.badMessages);
    } catch (e) {
      host.fail(e);
      return;
    }
    const wait = host.throttle?.();
    if (wait !== undefined) this.pauseUntil(host, wait);
  }

  /** Reports bad messages, and publishes them to the dead-letter subject under that policy. */
  private onBad(host: IngestHost, bad: readonly BadMessage[]): void {
    for (const b of bad)
      host.status({ type: "bad_message", relation: this.name, sequence: b.sequence, reason: b.reason });
    const { policy } = this;
    const source = this.sources[0];
    if (policy.kind !== "dead_letter" || source === undefined) return;
    for (const b of bad) {
      const headers = {
        "Jetflow-Error": b.reason,
        "Jetflow-Subject": b.subject,
        "Jetflow-Sequence": String(b.sequence),
        "Jetflow-Relation": this.name,
      };
      // One id per relation and stream sequence: a dead letter sent twice (a retry, a replay
      // after a restart) is stored once by a stream on the dead-letter subject.
      source
        .publish(policy.subject, b.payload, headers, `${this.name}:${b.sequence}`)
        .catch((e: unknown) => host.status({ type: "error", error: e instanceof Error ? e : new Error(messageOf(e)) }));
    }
  }

  private prepared(): Decoder {
    if (this.decoder === undefined || !this.kept) {
      throw new Error(`internal: relation "${this.name}" used before prepare()`);
    }
    return this.decoder;
  }
}
