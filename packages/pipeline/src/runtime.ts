import type { NatsConnectConfig } from "@jetflow/connector-nats";
import { CheckpointError, type CheckpointResult } from "@jetflow/state";
import { PipelineStateError } from "./errors.js";
import { CheckpointCoordinator, checkpointTimerMs, type PipelineOffsets } from "./checkpoint-coordinator.js";
import type { IngestHost } from "./ingest.js";
import type { OperatorThreads } from "./operator-threads.js";
import type { PipelineMetrics } from "./metrics.js";
import type { ResolvedPipelineOptions } from "./options.js";
import type { Relation } from "./relation.js";
import type { RelationGraph } from "./relation-graph.js";
import type { SinkSet } from "./sink-set.js";
import { openStateBackend, stateLocation } from "./state-backend.js";
import type { PipelineStatus } from "./status.js";
import { tickViews } from "./view.js";

/**
 * The layout of the state a checkpoint holds; a checkpoint of another layout is refused, not
 * misread. 2: a primary key of one numeric column is stored under the number itself. 3: an
 * append-only table keeps its rows under running row numbers. 4: a join key with one distinct
 * row stores that row's entry itself, and entries carry their row identity. 5: an INNER or LEFT
 * join (temporal or not) on a table's primary key keeps no table side (it probes the table's own
 * rows), and join entries carry no row identity. 6: a view with a key (an aggregate's group
 * columns) stores its rows by that key, not by their whole content. 7: the aggregates of one
 * argument share one multiset of its values (min(v), max(v), count(DISTINCT v): one entry per value),
 * a float value keyed by its bits; a top-N of rows with a key stores them by it. 8: a join side whose
 * input has a key (a table's primary key, an aggregate's group columns) identifies its rows by it.
 */
const STATE_FORMAT = "8";
/** How long a stop waits for sinks to publish what the last checkpoint sealed (the rest stays in the state). */
const STOP_DRAIN_MS = 10_000;
/** How often a stop tries its last checkpoint when a write fails for a passing reason. */
const LAST_CHECKPOINT_ATTEMPTS = 3;

/** What the runtime needs of its pipeline. */
export interface RuntimeContext {
  readonly options: ResolvedPipelineOptions;
  readonly graph: RelationGraph;
  readonly sinks: SinkSet;
  readonly metrics: PipelineMetrics;
  readonly host: IngestHost;
  /** The threads views run keyed operators in, ended at teardown. */
  readonly operatorThreads: OperatorThreads | undefined;
  /** The first source's connection settings, which a NATS state backend borrows. */
  connection(): NatsConnectConfig | undefined;
  status(event: PipelineStatus): void;
  fail(error: unknown): void;
}

/**
 * The running part of a pipeline, from restore to teardown: the checkpoint coordinator, the
 * sources, the sinks' epochs and the view tick. Its order is the invariant: state is restored
 * before any source opens, every source resumes after its checkpointed offsets, and acks and sink
 * publishes follow only a committed checkpoint.
 */
export class Runtime {
  private coordinator: CheckpointCoordinator | undefined;
  /** Stops the timer that ticks views (temporal filters). */
  private stopTicking: (() => void) | undefined;
  private checkpointIntervalMs = 0;

  constructor(private readonly ctx: RuntimeContext) {}

  /**
   * Restores the newest checkpoint into the relations' and sinks' stores, opens the sinks and
   * every source and feed after its checkpointed offsets, and starts the timers.
   * @returns the id of the restored checkpoint, undefined on a fresh start
   */
  async start(): Promise<number | undefined> {
    const { options, graph, sinks } = this.ctx;
    const backend = await openStateBackend(options.state, this.ctx.connection());
    const where = stateLocation(options.state);
    this.coordinator = new CheckpointCoordinator(
      backend,
      {
        stores: () => [...graph.stores(), ...sinks.stores()],
        offsets: () => graph.offsets(),
        identity: () => ({ fingerprint: sinks.fingerprint(graph.fingerprint()), stateFormat: STATE_FORMAT }),
        committed: (result, offsets) => this.committed(result, offsets),
        capture: () => sinks.seal(),
      },
      where,
    );
    const restored = await this.coordinator.restore();
    const durable = graph.ingests().some((r) => r.config.durableName !== undefined);
    // A sink publishes what checkpoints seal: with sinks the timer runs whatever the backend.
    const needed = durable || sinks.size > 0;
    this.checkpointIntervalMs = checkpointTimerMs(options.state, options.checkpointIntervalMs, needed);
    for (const r of graph.all()) this.prepare(r);
    for (const r of graph.views()) r.emitInitial();
    await sinks.start();
    for (const r of graph.inputs()) await r.open(this.ctx.host, restored?.offsets[r.name] ?? {});
    this.coordinator.start(this.checkpointIntervalMs, {
      warn: (error) => this.ctx.status({ type: "error", error }),
      fail: (e) => this.ctx.fail(e),
    });
    this.stopTicking = tickViews(() => graph.views());
    return restored?.id;
  }

  /**
   * Resolves once every input caught up (see `Pipeline.caughtUp`); rejects with why the pipeline
   * failed when it fails first (`done` rejects, or `failed()` says so once the inputs settled).
   */
  async caughtUp(done: Promise<void>, failed: () => boolean): Promise<void> {
    const inputs = this.ctx.graph.inputs().map((r) => r.caughtUp());
    const stopped = done.then(() => Promise.reject(new PipelineStateError("the pipeline stopped before it caught up")));
    const outcome = await Promise.race([Promise.all(inputs), stopped]).then(
      () => undefined,
      (e: unknown) => ({ error: e }),
    );
    // A failure (say, a bad message under the `fail` policy) can come with the last batch, or stop
    // the sources, which then reject their waiters: either way, report why the pipeline failed.
    if (failed())
      throw await done.then(
        () => outcome?.error,
        (failure: unknown) => failure,
      );
    if (outcome !== undefined) throw outcome.error;
  }

  /** Takes a checkpoint now; resolves when it committed (and its acks went out). */
  checkpoint(): Promise<CheckpointResult> {
    return (this.coordinator as CheckpointCoordinator).checkpoint();
  }

  /** Restores a relation's derived indexes, and stops change tracking when nothing will checkpoint. */
  prepare(r: Relation): void {
    r.restored();
    // Without periodic checkpoints of kept state nobody reads the changed-key sets: do not grow
    // them. A backend that keeps state may be checkpointed on demand (a group's partition is,
    // every commit): there the sets make those checkpoints deltas.
    const tracked = this.checkpointIntervalMs > 0 || this.ctx.options.state.kind !== "memory";
    if (!tracked) for (const store of r.stores()) store.tracksChanges = false;
  }

  /**
   * The first half of a stop: no batch is applied any more, a last checkpoint covers what was
   * (when state is kept or sinks publish), and the sinks get a while to publish it. Without
   * `checkpoint`, no last checkpoint: the timer stops, a checkpoint in flight settles, the sinks
   * get their while to publish what committed checkpoints sealed, and whatever the last committed
   * checkpoint does not cover is redone by whoever restores it.
   */
  async quiesce(checkpoint = true): Promise<void> {
    const { options, graph, sinks } = this.ctx;
    for (const r of graph.inputs()) r.unsubscribe();
    if (!checkpoint) {
      this.coordinator?.stopTimer();
      await this.coordinator?.settled();
      // What committed checkpoints sealed may always be published (a next owner publishes it again
      // under the same message ids): give the sinks their while, as a plain stop does.
      await sinks.drained(STOP_DRAIN_MS);
      return;
    }
    if (this.coordinator !== undefined && (options.state.kind !== "memory" || sinks.size > 0))
      await this.lastCheckpoint(this.coordinator);
    await sinks.drained(STOP_DRAIN_MS);
  }

  /**
   * The stop's checkpoint. A write that failed for a passing reason (a timeout right after a
   * server came back) is reported on `status$` as a timed checkpoint's is and tried again, full,
   * before the stop gives up and throws it: the state is still in memory, and every later write
   * is a retry.
   */
  private async lastCheckpoint(coordinator: CheckpointCoordinator): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await coordinator.checkpoint();
        return;
      } catch (e) {
        const passing = e instanceof CheckpointError && (e.reason === "write" || e.reason === "chain");
        if (!passing || attempt === LAST_CHECKPOINT_ATTEMPTS) throw e;
        this.ctx.status({ type: "error", error: e });
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  /** Stops the timers, disconnects sources and sinks, closes the state backend. */
  async teardown(): Promise<void> {
    this.stopTicking?.();
    this.coordinator?.stopTimer();
    for (const r of this.ctx.graph.inputs()) await r.close();
    await this.ctx.host.runtime.readers?.close();
    await this.ctx.operatorThreads?.close();
    await this.ctx.sinks.close();
    await this.coordinator?.close().catch(() => undefined);
  }

  private async committed(result: CheckpointResult, offsets: PipelineOffsets): Promise<void> {
    this.ctx.metrics.checkpointed(result);
    for (const r of this.ctx.graph.ingests()) await r.ack(offsets[r.name]);
    this.ctx.sinks.committed();
    this.ctx.status({ type: "checkpoint", report: result });
  }
}
