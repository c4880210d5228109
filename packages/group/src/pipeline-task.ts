import { cellAt, ErrorCode, JetflowError } from "@jetflow/core";
import { FEED_OFFSET_KEY, type Pipeline, type PipelineOptions, pipeline } from "@jetflow/pipeline";
import type { CheckpointResult } from "@jetflow/state";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import { nuid } from "@nats-io/transport-node";
import type { Table } from "apache-arrow";
import { exchangeFeed } from "./exchange-feed.js";
import { silentFeed } from "./silent-feed.js";
import { ExchangeSink } from "./exchange-sink.js";
import { exchangeStreamName, exchangeSubject } from "./exchange-stream.js";
import { type GroupPlan, stepsOf } from "./group-plan.js";
import { PROGRESS_RELATION, progressRows } from "./group-lag.js";
import { isPartitionPointer, PartitionBackend, type PartitionPointer } from "./partition-backend.js";
import type { PartitionQuery, QueryRows } from "./partition-query.js";
import type { PartitionTask } from "./partition-tasks.js";

/** Milliseconds between two trims of the exchange edges a partition reads. */
const TRIM_INTERVAL_MS = 5_000;

/** What every {@link PipelineTask} of a member runs on. */
export interface PipelineTaskSetup {
  readonly group: string;
  readonly plan: GroupPlan;
  readonly js: JetStreamClient;
  /** The group's state bucket: checkpoints go here. */
  readonly os: ObjectStore;
  /** Reads the state bucket's objects. */
  readonly jsm: JetStreamManager;
  /** How each partition's pipeline runs (servers, read path, batching); state and checkpoints are the task's. */
  readonly options?: PipelineOptions;
  /** A partition's pipeline failed while it ran (say, a bad message under the `fail` policy). */
  readonly failed?: (partition: number, error: unknown) => void;
}

/**
 * Partition p of a group's pipeline: a jetflow {@link Pipeline} built from the steps the
 * {@link GroupPlan} gives p (its routers, the relations fed by the exchange, the views and sinks),
 * checkpointed through a {@link PartitionBackend}.
 *
 * Invariant: a checkpoint of the pipeline commits only through the fenced write of its pointer.
 * `checkpoint()` lets the pipeline capture and write its record, and returns the pointer while the
 * pipeline waits at the backend's gate; `committed()` opens the gate, and only then does the
 * pipeline publish what the checkpoint sealed (exchange epochs, sink messages) and ack. A pointer
 * that is refused, or handed to the next owner with a release, never opens the gate: this task's
 * pipeline stops without publishing, and the next owner restores that checkpoint and publishes
 * its sealed epochs (their message ids make a second publish a no-op).
 */
export class PipelineTask implements PartitionTask {
  private pipeline: Pipeline | undefined;
  private backend: PartitionBackend | undefined;
  private stopping = false;
  /** The exchange edges this partition reads, and how far each was trimmed. */
  private readonly feeds: { readonly name: string; readonly edge: string; trimmed: number }[] = [];
  private lastTrim = 0;
  /** The exchange edges this partition writes. */
  private readonly outputs: ExchangeSink[] = [];
  /** The pipeline's checkpoint waiting at the gate, if any. */
  private inFlight: Promise<CheckpointResult> | undefined;

  constructor(
    private readonly setup: PipelineTaskSetup,
    readonly partition: number,
  ) {}

  async start(from: unknown): Promise<void> {
    const { group, plan, js, os, jsm } = this.setup;
    const p = this.partition;
    if (from !== undefined && !isPartitionPointer(from)) {
      throw new JetflowError(
        ErrorCode.GroupFailed,
        `group "${group}": partition ${p} holds a pointer of another kind of task: ${JSON.stringify(from)}`,
      );
    }
    const backend = new PartitionBackend({
      os,
      jsm,
      group,
      partition: p,
      owner: nuid.next(),
      from: from as PartitionPointer | undefined,
    });
    const pl = pipeline({ ...this.setup.options, state: { kind: "backend", backend }, checkpointIntervalMs: 0 });
    for (const step of stepsOf(plan, p)) {
      switch (step.kind) {
        case "statement":
          pl.statement(step.statement);
          break;
        case "feed":
          if (step.edge === "") {
            pl.feed(step.name, silentFeed({ kind: step.as, columns: step.columns, key: step.key }));
            break;
          }
          this.feeds.push({ name: step.name, edge: step.edge, trimmed: 0 });
          pl.feed(
            step.name,
            exchangeFeed(js, {
              group,
              edge: step.edge,
              partition: p,
              kind: step.as,
              columns: step.columns,
              key: step.key,
            }),
          );
          break;
        case "output":
          {
            const out = new ExchangeSink(js, {
              group,
              edge: step.edge,
              partition: p,
              partitions: plan.partitions,
              key: step.key,
              ...(step.lastPerKey === true ? { lastPerKey: true } : {}),
            });
            this.outputs.push(out);
            pl.output(step.name, step.relation, out);
          }
          break;
      }
    }
    this.backend = backend;
    this.pipeline = pl;
    try {
      await pl.start();
    } catch (e) {
      backend.close();
      throw e;
    }
    pl.done.catch((e: unknown) => {
      if (!this.stopping) this.setup.failed?.(p, e);
    });
  }

  /** The partition's pipeline once `start()` has built it (its metrics, its lag), until the task is dropped. */
  get partitionPipeline(): Pipeline | undefined {
    return this.pipeline;
  }

  async checkpoint(): Promise<PartitionPointer> {
    const { pipeline: pl, backend } = this.started();
    const written = backend.written();
    const inFlight = pl.checkpoint();
    this.inFlight = inFlight;
    inFlight.catch(() => undefined);
    // The pipeline failed before its record reached the gate: that failure is the answer.
    const failed = inFlight.then(() => {
      throw new Error(`internal: partition ${this.partition}'s checkpoint committed before its pointer was`);
    });
    return Promise.race([written, failed]);
  }

  async committed(): Promise<void> {
    const { backend } = this.started();
    backend.open();
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    await inFlight;
    if (Date.now() - this.lastTrim >= TRIM_INTERVAL_MS) await this.trim();
  }

  /**
   * Deletes from the exchange what this partition's committed state has applied: no owner will
   * read it again (a new one starts after the committed offsets). Message-id deduplication
   * outlives the purge, so a writer's republished epoch is still stored once. Best effort: a
   * failure is retried at the next trim.
   */
  private async trim(): Promise<void> {
    this.lastTrim = Date.now();
    const { group, js } = this.setup;
    const offsets = this.started().backend.committedOffsets;
    if (offsets === undefined) return;
    const jsm = await js.jetstreamManager();
    for (const feed of this.feeds) {
      const applied = offsets[feed.name]?.[FEED_OFFSET_KEY];
      if (applied === undefined || applied <= feed.trimmed) continue;
      const filter = exchangeSubject(group, feed.edge, this.partition);
      try {
        await jsm.streams.purge(exchangeStreamName(group), { filter, seq: applied + 1 });
        feed.trimmed = applied;
      } catch {
        // The next trim tries again.
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.backend?.close();
    await this.pipeline?.stop({ checkpoint: false });
  }

  /** The partition's rows of a relation the SQL defines, cells as `--print` gives them (or its {@link PROGRESS_RELATION}). */
  async query(request: PartitionQuery): Promise<QueryRows> {
    if (request.relation === PROGRESS_RELATION) return this.progress();
    const table = await this.queryTable(request);
    const columns = table.schema.fields.map((f) => f.name);
    const types = this.started()
      .pipeline.columnsOf(request.relation)
      .map((c) => c.type);
    const rows: unknown[][] = [];
    for (const batch of table.batches) {
      const data = batch.data.children;
      for (let i = 0; i < batch.numRows; i++) {
        rows.push(data.map((d, c) => JSON.parse(cellAt(d, i, types[c] as (typeof types)[number]).json) as unknown));
      }
    }
    return { columns, rows };
  }

  /** The partition's rows of a relation the SQL defines, as an Arrow table. */
  async queryTable(request: PartitionQuery): Promise<Table> {
    const { pipeline: pl } = this.started();
    if (!this.setup.plan.relations.has(request.relation)) {
      const known = [...this.setup.plan.relations.keys()];
      throw new JetflowError(
        ErrorCode.UnknownRelation,
        `no relation "${request.relation}" (there are: ${known.join(", ")})`,
      );
    }
    return pl.relation(request.relation).lookup(request.equal ?? {});
  }

  private progress(): QueryRows {
    const { pipeline: pl } = this.started();
    let unsent = 0;
    for (const o of this.outputs) unsent += o.unsent;
    return progressRows(this.partition, {
      lag: pl.lag(),
      unsent,
      applied: pl.metrics.total("jetflow_messages_in_total"),
    });
  }

  private started(): { pipeline: Pipeline; backend: PartitionBackend } {
    if (this.pipeline === undefined || this.backend === undefined) {
      throw new Error(`internal: partition ${this.partition}'s task used before start()`);
    }
    return { pipeline: this.pipeline, backend: this.backend };
  }
}
