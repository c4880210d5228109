import { createHash } from "node:crypto";
import { NatsSink, resolveSinkOptions } from "@jetflow/sinks";
import type { KeyedStore } from "@jetflow/state";
import { RelationNameError } from "./errors.js";
import type { EpochSink } from "./extension.js";
import type { Metrics } from "./metrics.js";
import type { Relation, RelationKind } from "./relation.js";
import { SinkRelation } from "./sink-relation.js";
import type { SinkSpec } from "./spec.js";
import type { PipelineStatus } from "./status.js";

/**
 * The pipeline's sinks (`CREATE SINK` and outputs, one namespace), and what the pipeline asks of
 * them all at once: seal at a checkpoint's capture, publish after it committed, drain before
 * `--until-caught-up` exits or stop() returns.
 */
export class SinkSet {
  private readonly sinks = new Map<string, SinkRelation>();
  private readonly count;

  constructor(
    metrics: Metrics,
    private readonly servers: readonly string[] | undefined,
    /** Unacked messages over all sinks past which ingestion pauses (it resumes at half). */
    private readonly maxPending: number,
    /** Where the sinks' `sink` events and publish errors go (the pipeline's status$). */
    private readonly status: (event: PipelineStatus) => void,
  ) {
    this.count = {
      published: metrics.counter("jetflow_sink_published_total", "Messages a sink published and the server acked"),
      failed: metrics.counter("jetflow_sink_failed_total", "Sink publishes that failed (and were retried)"),
      retried: metrics.counter(
        "jetflow_sink_retried_total",
        "Times a sink sent a run of messages again after a failure",
      ),
      batches: metrics.counter(
        "jetflow_sink_atomic_batches_total",
        "Atomic batches a sink's stream committed (nats-server 2.12+)",
      ),
      pending: metrics.gauge("jetflow_sink_pending", "Messages a sink holds that are not acked yet"),
      paused: metrics.counter("jetflow_sink_backpressure_total", "Times ingestion paused until sinks caught up"),
    };
    metrics.onCollect(() => {
      for (const s of this.sinks.values()) this.count.pending(sinkLabel(s.name), s.sink.pending);
    });
  }

  get size(): number {
    return this.sinks.size;
  }

  /** The sinks, in creation order. */
  list(): readonly SinkRelation[] {
    return [...this.sinks.values()];
  }

  has(name: string): boolean {
    return this.sinks.has(name);
  }

  /** CREATE SINK (the name is already claimed among relations). Live: connects and backfills now. */
  async add(name: string, spec: SinkSpec, lookup: (n: string) => Relation | undefined, live: boolean): Promise<void> {
    if (this.sinks.has(name)) throw new RelationNameError(`sink "${name}" already exists`);
    const label = sinkLabel(name);
    // Structurally an EpochSink: @jetflow/sinks cannot name the interface (it does not depend on the pipeline).
    const sink: EpochSink = new NatsSink(name, resolveSinkOptions(spec.with, spec.format), {
      counters: {
        published: (n) => this.count.published(label, n),
        failed: (n) => this.count.failed(label, n),
        retried: (n) => this.count.retried(label, n),
        batches: (n) => this.count.batches(label, n),
      },
      onError: (e) => this.status({ type: "error", error: e instanceof Error ? e : new Error(String(e)) }),
      onDelivered: (delivery) => this.status({ type: "sink", sink: name, delivery }),
      ...(this.servers === undefined ? {} : { servers: this.servers }),
    });
    await this.insert(new SinkRelation(name, { kind: "sink", spec }, sink, lookup), live);
  }

  /**
   * An output (see `Pipeline.output`; the name is already claimed among relations): `sink` reads
   * `relation` and runs as a CREATE SINK's NATS sink does.
   * @throws RelationNameError when the name is taken by a sink or `relation` does not exist
   */
  async output(
    name: string,
    relation: string,
    sink: EpochSink,
    lookup: (n: string) => Relation | undefined,
  ): Promise<void> {
    if (this.sinks.has(name)) throw new RelationNameError(`sink "${name}" already exists`);
    if (lookup(relation) === undefined) {
      throw new RelationNameError(`output "${name}": relation "${relation}" does not exist`);
    }
    await this.insert(new SinkRelation(name, { kind: "output", relation }, sink, lookup), false);
  }

  private async insert(s: SinkRelation, live: boolean): Promise<void> {
    if (live) {
      try {
        await s.sink.open();
      } catch (e) {
        await s.close();
        throw e;
      }
      s.restored();
      await s.sink.resetIfFresh();
      s.backfill();
    }
    this.sinks.set(s.name, s);
  }

  /** DROP SINK: stops publishing (what is sealed and unpublished is dropped with it). */
  async drop(name: string, ifExists: boolean): Promise<void> {
    const s = this.sinks.get(name);
    if (s === undefined) {
      if (ifExists) return;
      throw new RelationNameError(`cannot drop sink "${name}": it does not exist`);
    }
    this.sinks.delete(name);
    await s.close();
  }

  /** Refuses to drop a relation a sink reads. */
  checkNotRead(what: RelationKind, name: string, lookup: (n: string) => Relation | undefined): void {
    const r = lookup(name);
    if (r === undefined) return;
    const readers = [...this.sinks.values()].filter((s) => s.reads(r));
    if (readers.length > 0) {
      throw new RelationNameError(
        `cannot drop ${what} "${name}": ${readers.map((s) => `sink "${s.name}"`).join(", ")} read(s) it; drop those first`,
      );
    }
  }

  stores(): KeyedStore<unknown>[] {
    return [...this.sinks.values()].flatMap((s) => s.stores());
  }

  /** After the restore: connects every sink (a subject without stream fails here) and picks up sealed epochs. */
  async start(): Promise<void> {
    for (const s of this.sinks.values()) {
      await s.sink.open();
      s.restored();
      await s.sink.resetIfFresh();
      // As for every view: what its operators hold before any input (safe after a restore).
      s.view?.emitInitial();
    }
  }

  /** Unacked messages over every sink. */
  get pending(): number {
    let n = 0;
    for (const s of this.sinks.values()) n += s.sink.pending;
    return n;
  }

  /**
   * When the sinks hold more than `maxPending` unacked messages: a promise that resolves once
   * they are down to half (ingestion waits for it); otherwise undefined.
   */
  overloaded(): Promise<void> | undefined {
    if (this.sinks.size === 0 || this.pending <= this.maxPending) return undefined;
    this.count.paused("", 1);
    const low = Math.floor(this.maxPending / 2);
    const wait = async (): Promise<void> => {
      // Each sink in turn: the total is at most the sum of the per-sink bounds.
      for (const s of this.sinks.values()) await s.sink.pendingAtMost(Math.floor(low / this.sinks.size));
    };
    return wait();
  }

  seal(): void {
    for (const s of this.sinks.values()) s.sink.seal();
  }

  committed(): void {
    for (const s of this.sinks.values()) s.sink.committed();
  }

  /** Seals and publishes everything so far: a checkpoint, then every sink's acks. */
  async flush(checkpoint: () => Promise<unknown>): Promise<void> {
    if (this.sinks.size === 0) return;
    await checkpoint();
    await Promise.all([...this.sinks.values()].map((s) => s.sink.drained()));
  }

  /** Waits at most `ms` for every sink's acks. */
  async drained(ms: number): Promise<void> {
    if (this.sinks.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    });
    await Promise.race([Promise.all([...this.sinks.values()].map((s) => s.sink.drained())), timeout]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    for (const s of this.sinks.values()) await s.close();
  }

  /** `relations` extended by the sinks' names and inputs (no WITH options: no secrets); an output's by its relation. */
  fingerprint(relations: string): string {
    if (this.sinks.size === 0) return relations;
    const parts = [...this.sinks.values()].map(({ name, origin }) =>
      origin.kind === "sink" ? [name, origin.spec.from, origin.spec.format] : [name, { output: origin.relation }],
    );
    const json = JSON.stringify(parts, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
    return createHash("sha256").update(relations).update(json).digest("hex");
  }
}

function sinkLabel(name: string): string {
  return `sink="${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}
