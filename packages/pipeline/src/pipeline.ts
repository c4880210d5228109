import type { ColumnDef } from "@jetflow/core";
import { NatsSource, type SourceStatus } from "@jetflow/connector-nats";
import { CheckpointError } from "@jetflow/state";
import type { ChangeBatch } from "@jetflow/core";
import type { Table } from "apache-arrow";
import { type Observable, Subject, type Subscription } from "rxjs";
import { CheckpointCoordinator, type CheckpointReport } from "./checkpoint-coordinator.js";
import { PipelineError, PipelineStateError, RelationNameError } from "./errors.js";
import { IngestRelation } from "./ingest.js";
import { Metrics, relationLabel } from "./metrics.js";
import { type PipelineOptions, type ResolvedPipelineOptions, resolvePipelineOptions } from "./options.js";
import type { Relation, RelationKind } from "./relation.js";
import { RelationGraph } from "./relation-graph.js";
import { SinkSet } from "./sink-set.js";
import type {
  Catalog,
  ParsedStatement,
  SinkSpec,
  SourceSpec,
  SqlFrontend,
  Statement,
  TableSpec,
  ViewQuery,
} from "./spec.js";
import { openStateBackend } from "./state-backend.js";
import { ViewRelation } from "./view.js";

/**
 * The layout of the state a checkpoint holds; a checkpoint of another layout is refused, not
 * misread. 2: a primary key of one numeric column is stored under the number itself.
 */
const STATE_FORMAT = "2";
/** How long stop() waits for sinks to publish what the last checkpoint sealed (the rest stays in the state). */
const STOP_DRAIN_MS = 10_000;

/** Lifecycle and progress, as data. */
export type PipelineStatus =
  | { readonly type: "started"; readonly restoredCheckpoint: number | undefined }
  | { readonly type: "source"; readonly relation: string; readonly status: SourceStatus }
  | { readonly type: "checkpoint"; readonly report: CheckpointReport }
  | { readonly type: "bad_message"; readonly relation: string; readonly sequence: number; readonly reason: string }
  | { readonly type: "caught_up" }
  | { readonly type: "error"; readonly error: Error }
  | { readonly type: "stopped" };

/** What a view (or table) offers its readers. */
export interface ViewHandle {
  readonly name: string;
  /** The current rows as an Arrow Table. */
  snapshot(): Table;
  /** The current rows as plain objects. */
  rows(): Record<string, unknown>[];
  /** Every change from now on, one emission per batch. */
  readonly changes$: Observable<ChangeBatch>;
}

type Step =
  | { readonly kind: "source" | "table"; readonly name: string; readonly relation: IngestRelation }
  | { readonly kind: "view"; readonly name: string; readonly query: ViewQuery }
  | { readonly kind: "sink"; readonly name: string; readonly spec: SinkSpec }
  | { readonly kind: "sql"; readonly statement: ParsedStatement };

type Phase = "defining" | "starting" | "running" | "stopping" | "stopped" | "failed";

/**
 * A dataflow from NATS JetStream into tables and materialized views.
 *
 * Define relations (in code or SQL), then `start()`. Definitions are validated as they are
 * given where no I/O is needed, and resolved at `start()` (schemas loaded, views planned) before
 * anything connects.
 *
 * @example
 * ```ts
 * const p = pipeline({ state: { kind: "filesystem", dir: "./state" } })
 *   .table("orders", { columns, primaryKey: ["id"], include: [], with: { connector: "nats", ... }, format })
 *   .materializedView("by_region", { kind: "aggregate", ... });
 * await p.start();
 * await p.caughtUp();
 * console.log(p.view("by_region").rows());
 * await p.stop();
 * ```
 */
export class Pipeline {
  readonly options: ResolvedPipelineOptions;
  readonly metrics = new Metrics();
  private readonly steps: Step[] = [];
  private readonly graph = new RelationGraph();
  private readonly statusSubject = new Subject<PipelineStatus>();
  /** Per source or table, its subscriptions to the NATS source. */
  private readonly sourceSubscriptions = new Map<string, Subscription[]>();
  private coordinator: CheckpointCoordinator | undefined;
  /** CREATE SINK: sealed at each checkpoint capture, published after it commits. */
  private readonly sinks: SinkSet;
  private checkpointIntervalMs = 0;
  private phase: Phase = "defining";
  private settle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** Settles when the pipeline stops (resolves) or fails (rejects). */
  readonly done: Promise<void>;

  private readonly count = {
    messages: this.metrics.counter("jetflow_messages_in_total", "Messages received from JetStream"),
    bytes: this.metrics.counter("jetflow_bytes_in_total", "Payload bytes received from JetStream"),
    rows: this.metrics.counter("jetflow_rows_decoded_total", "Rows decoded"),
    bad: this.metrics.counter("jetflow_decode_errors_total", "Messages that did not decode"),
    batches: this.metrics.counter("jetflow_batches_total", "Source batches processed"),
    checkpoints: this.metrics.counter("jetflow_checkpoints_total", "Checkpoints committed"),
    lag: this.metrics.gauge("jetflow_consumer_lag", "Messages not yet delivered (num_pending)"),
    size: this.metrics.gauge("jetflow_relation_rows", "Rows a table or view holds"),
    checkpointMs: this.metrics.gauge("jetflow_checkpoint_duration_ms", "Duration of the last checkpoint"),
    checkpointBytes: this.metrics.gauge("jetflow_checkpoint_bytes", "Size of the last checkpoint"),
    warnings: this.metrics.observedCounter(
      "jetflow_expression_nulls_total",
      "Expression results turned into NULL instead of failing (division by zero, overflow, invalid input)",
    ),
  };

  constructor(options: PipelineOptions = {}) {
    this.options = resolvePipelineOptions(options);
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // An unobserved failure must not crash the host process; callers observe it through done or status$.
    this.done.catch(() => undefined);
    this.metrics.onCollect(() => this.collectGauges());
    this.sinks = new SinkSet(this.metrics, this.options.servers, this.options.sinkMaxPending, (e) =>
      this.statusSubject.next({ type: "error", error: asError(e) }),
    );
  }

  /** Status events: started, per-source connection events, checkpoints, bad messages, errors. */
  get status$(): Observable<PipelineStatus> {
    return this.statusSubject.asObservable();
  }

  /** CREATE SOURCE: append-only, nothing persisted. */
  source(name: string, spec: SourceSpec): this {
    this.defining("source()");
    this.steps.push({ kind: "source", name, relation: new IngestRelation(name, "source", spec) });
    return this;
  }

  /** CREATE TABLE: persisted; with `primaryKey`, a new row overwrites the old one with its key. */
  table(name: string, spec: TableSpec): this {
    this.defining("table()");
    this.steps.push({ kind: "table", name, relation: new IngestRelation(name, "table", spec) });
    return this;
  }

  /** CREATE MATERIALIZED VIEW over a source, table or view. */
  materializedView(name: string, query: ViewQuery): this {
    this.defining("materializedView()");
    this.steps.push({ kind: "view", name, query });
    return this;
  }

  /**
   * CREATE SINK: the changes of a relation (or of a query, as an implicit view) published to a
   * JetStream stream or a KV bucket, exactly once (see the README's "Sinks").
   *
   * @example
   * ```ts
   * p.sink("totals_out", {
   *   from: { kind: "relation", name: "totals" },
   *   with: { connector: "nats", server_url: "localhost:4222", subject: "totals.{region}", connect_mode: "plain" },
   *   format: "upsert",
   * });
   * ```
   */
  sink(name: string, spec: SinkSpec): this {
    this.defining("sink()");
    this.steps.push({ kind: "sink", name, spec });
    return this;
  }

  /** Adds the statements of a SQL text (DDL, CREATE MATERIALIZED VIEW, DROP). Parsed now, planned at start(). */
  sql(text: string): this {
    this.defining("sql()");
    for (const statement of this.frontend().parse(text)) this.steps.push({ kind: "sql", statement });
    return this;
  }

  /**
   * Runs SQL against the running pipeline: a new view is filled from its input's current rows
   * (a view over a source sees only what arrives from now on); a new source or table starts at
   * its `scan.startup.mode`; DROP stops a source or table and removes its consumers, durable ones
   * included. A statement that fails leaves the pipeline as it was.
   *
   * @example
   * ```ts
   * await p.exec("CREATE MATERIALIZED VIEW big AS SELECT * FROM orders WHERE amount > 100");
   * await p.exec("DROP MATERIALIZED VIEW big");
   * ```
   */
  async exec(text: string): Promise<void> {
    this.running("exec()");
    for (const statement of this.frontend().parse(text))
      await this.applyStatement(statement.plan(this.catalog()), true);
  }

  /** The relation names, in creation order. */
  names(): string[] {
    return this.graph.names();
  }

  /** The columns of a relation (after start()). */
  columnsOf(name: string): readonly ColumnDef[] {
    return this.graph.require(name).columns;
  }

  /** A view or table by name, for reading. Sources hold no rows and have no handle. */
  view(name: string): ViewHandle {
    const r = this.graph.require(name);
    if (r instanceof ViewRelation) {
      return { name, snapshot: () => r.view.snapshot(), rows: () => r.view.rows(), changes$: r.view.changes$ };
    }
    if (r.kind === "source") {
      throw new RelationNameError(`"${name}" is a source: it keeps no rows; create a table or a view to read it`);
    }
    const ingest = r as IngestRelation;
    return {
      name,
      snapshot: () => ingest.snapshot() as Table,
      rows: () => ingest.rows() as Record<string, unknown>[],
      changes$: ingest.changes$,
    };
  }

  /** Messages not yet delivered, summed over every source. */
  lag(): number {
    let lag = 0;
    for (const r of this.graph.ingests()) lag += r.source?.lag() ?? 0;
    return lag;
  }

  /**
   * Resolves once every source has processed every message that was in its stream when the
   * pipeline started. Rejects if the pipeline fails first.
   */
  async caughtUp(): Promise<void> {
    this.running("caughtUp()");
    const sources = this.graph.ingests().flatMap((r) => (r.source === undefined ? [] : [r.source.caughtUp()]));
    const stopped = this.done.then(() =>
      Promise.reject(new PipelineStateError("the pipeline stopped before it caught up")),
    );
    const outcome = await Promise.race([Promise.all(sources), stopped]).then(
      () => undefined,
      (e: unknown) => ({ error: e }),
    );
    // A failure (say, a bad message under the `fail` policy) can come with the last batch, or stop
    // the sources, which then reject their waiters: either way, report why the pipeline failed.
    if (this.phase === "failed")
      throw await this.done.then(
        () => outcome?.error,
        (failure: unknown) => failure,
      );
    if (outcome !== undefined) throw outcome.error;
    await this.sinks.flush(() => this.checkpoint());
    this.statusSubject.next({ type: "caught_up" });
  }

  /** Takes a checkpoint now; resolves when it committed (and its acks went out). */
  async checkpoint(): Promise<CheckpointReport> {
    this.running("checkpoint()");
    return (this.coordinator as CheckpointCoordinator).checkpoint();
  }

  /** Resolves definitions, restores the latest checkpoint, connects every source and starts the flow. */
  async start(): Promise<void> {
    this.defining("start()");
    this.phase = "starting";
    try {
      for (const step of this.steps) await this.apply(step);
      const backend = await openStateBackend(this.options.state, this.graph.ingests()[0]?.config, this.options.servers);
      this.coordinator = new CheckpointCoordinator(backend, {
        stores: () => [...this.graph.stores(), ...this.sinks.stores()],
        offsets: () => this.graph.offsets(),
        committed: (report, offsets) => this.committed(report, offsets),
        meta: () => ({ fingerprint: this.fingerprint(), state_format: STATE_FORMAT }),
        capture: () => this.sinks.seal(),
      });
      const restored = await this.coordinator.restore().catch((e: unknown) => {
        // A store the checkpoint has and the pipeline lacks: the definitions changed.
        throw e instanceof CheckpointError && e.reason === "unknown-store" ? this.foreignState(e) : e;
      });
      if (restored !== undefined && restored.meta["state_format"] !== STATE_FORMAT)
        throw this.oldState(restored.meta["state_format"]);
      if (restored !== undefined && restored.meta["fingerprint"] !== this.fingerprint()) throw this.foreignState();
      this.checkpointIntervalMs = this.checkpointTimerMs();
      for (const r of this.graph.all()) this.prepareState(r);
      for (const r of this.graph.views()) r.emitInitial();
      await this.sinks.start(restored === undefined);
      for (const r of this.graph.ingests()) await this.openSource(r, restored?.offsets[r.name] ?? {});
      this.coordinator.start(this.checkpointIntervalMs, (e) => this.checkpointFailed(e));
      this.phase = "running";
      this.statusSubject.next({ type: "started", restoredCheckpoint: restored?.id });
    } catch (e) {
      await this.teardown();
      this.phase = "failed";
      throw e;
    }
  }

  /** Stops every source (removing the consumers it created unless durable), after a last checkpoint. */
  async stop(): Promise<void> {
    if (this.phase === "stopped" || this.phase === "stopping" || this.phase === "failed") return;
    this.phase = "stopping";
    let error: unknown;
    try {
      this.unsubscribeSources();
      if (this.coordinator !== undefined && (this.options.state.kind !== "memory" || this.sinks.size > 0))
        await this.coordinator.checkpoint();
      await this.sinks.drained(STOP_DRAIN_MS);
    } catch (e) {
      error = e;
    }
    await this.teardown();
    this.phase = "stopped";
    this.statusSubject.next({ type: "stopped" });
    this.statusSubject.complete();
    this.settle?.resolve();
    if (error !== undefined) throw error;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private frontend(): SqlFrontend {
    const frontend = this.options.sql;
    if (frontend === undefined) {
      throw new PipelineStateError(
        "this pipeline has no SQL front end: create it with pipeline() from @jetflow/sql, or pass { sql: sqlFrontend }",
      );
    }
    return frontend;
  }

  private async apply(step: Step): Promise<void> {
    switch (step.kind) {
      case "source":
      case "table":
        return this.addIngest(step.relation, false);
      case "view":
        return this.addView(step.name, step.query, false);
      case "sink":
        return this.applyStatement(
          { kind: "create_sink", name: step.name, ifNotExists: false, spec: step.spec },
          false,
        );
      case "sql":
        return this.applyStatement(step.statement.plan(this.catalog()), false);
    }
  }

  /** One planned statement; `live` when the pipeline is running (see {@link exec}). */
  private async applyStatement(s: Statement, live: boolean): Promise<void> {
    if (s.kind === "drop") {
      if (s.what === "sink") return this.sinks.drop(s.name, s.ifExists);
      return this.drop(s.what, s.name, s.ifExists, live);
    }
    if (s.ifNotExists && (this.graph.has(s.name) || this.sinks.has(s.name))) return;
    switch (s.kind) {
      case "create_source":
        return this.addIngest(new IngestRelation(s.name, "source", s.spec), live);
      case "create_table":
        return this.addIngest(new IngestRelation(s.name, "table", s.spec), live);
      case "create_view":
        return this.addView(s.name, s.query, live);
      case "create_sink":
        this.graph.claim(s.name);
        return this.sinks.add(s.name, s.spec, (n) => this.graph.get(n), live);
    }
  }

  private async addIngest(r: IngestRelation, live: boolean): Promise<void> {
    this.graph.claim(r.name);
    await r.prepare();
    this.graph.add(r);
    if (!live) return;
    this.prepareState(r);
    await this.openSource(r, {});
  }

  private addView(name: string, query: ViewQuery, live: boolean): void {
    this.graph.claim(name);
    const view = new ViewRelation(name, query, (n) => this.graph.get(n));
    this.graph.add(view);
    if (!live) return;
    this.prepareState(view);
    view.emitInitial();
    const rows = view.input.snapshot();
    if (rows !== undefined) view.backfill(rows);
  }

  private async drop(what: RelationKind, name: string, ifExists: boolean, live: boolean): Promise<void> {
    this.sinks.checkNotRead(what, name, (n) => this.graph.get(n));
    const r = this.graph.remove(what, name, ifExists);
    if (!live || !(r instanceof IngestRelation)) return;
    for (const s of this.sourceSubscriptions.get(name) ?? []) s.unsubscribe();
    this.sourceSubscriptions.delete(name);
    await r.source?.drop();
    r.source = undefined;
  }

  /** Restores a relation's derived indexes, and stops change tracking when nothing will checkpoint. */
  private prepareState(r: Relation): void {
    (r as IngestRelation | ViewRelation).restored();
    // Without periodic checkpoints nobody reads the changed-key sets: do not grow them.
    if (this.checkpointIntervalMs === 0) for (const store of r.stores()) store.tracksChanges = false;
  }

  /**
   * In memory, a checkpoint only serves to ack durable consumers: without one there is nothing
   * to gain from capturing state, so the timer stays off.
   */
  private checkpointTimerMs(): number {
    // A sink publishes what checkpoints seal: the timer runs whatever the backend.
    if (this.options.state.kind !== "memory" || this.sinks.size > 0) return this.options.checkpointIntervalMs;
    const durable = this.graph.ingests().some((r) => r.config.durableName !== undefined);
    return durable ? this.options.checkpointIntervalMs : 0;
  }

  private async openSource(r: IngestRelation, offsets: Record<string, number>): Promise<void> {
    const restored = new Map(Object.entries(offsets));
    for (const [k, v] of restored) r.offsets.set(k, v);
    const source = await NatsSource.open(r.config, {
      offsets: restored,
      maxBatchRows: this.options.maxBatchRows,
      lingerMs: this.options.lingerMs,
      keepHeaders: r.spec.include.some((c) => c.kind === "header"),
      name: r.name,
      ...(this.options.servers === undefined ? {} : { servers: [...this.options.servers] }),
    });
    r.source = source;
    this.sourceSubscriptions.set(r.name, [
      source.status$.subscribe((status) => this.statusSubject.next({ type: "source", relation: r.name, status })),
      this.subscribeBatches(r, source),
    ]);
  }

  private subscribeBatches(r: IngestRelation, source: NatsSource): Subscription {
    return source.batches$.subscribe({
      next: (raw) => {
        this.onBatch(r, raw);
        const overloaded = this.sinks.overloaded();
        if (overloaded !== undefined) this.pauseIngest(overloaded);
      },
      error: (e: unknown) => this.fail(e),
    });
  }

  /**
   * Sinks hold too much unacked: every source stops pulling (unsubscribing pauses its consumers;
   * what was pulled but not emitted is read again) until the sinks are down to half.
   */
  private pauseIngest(until: Promise<void>): void {
    for (const subs of this.sourceSubscriptions.values()) subs[1]?.unsubscribe();
    void until.then(() => {
      if (this.phase !== "running" && this.phase !== "starting") return;
      for (const r of this.graph.ingests()) {
        const subs = this.sourceSubscriptions.get(r.name);
        if (r.source === undefined || subs === undefined || subs[1] === undefined || !subs[1].closed) continue;
        subs[1] = this.subscribeBatches(r, r.source);
      }
    });
  }

  private onBatch(r: IngestRelation, raw: Parameters<IngestRelation["process"]>[0]): void {
    if (this.phase !== "running" && this.phase !== "starting") return;
    try {
      const report = r.process(raw);
      const label = relationLabel(r.name);
      this.count.messages(label, report.messages);
      this.count.bytes(label, report.bytes);
      this.count.rows(label, report.rows);
      this.count.batches(label, 1);
      if (report.bad.length > 0) this.onBad(r, report.bad);
    } catch (e) {
      this.fail(e);
    }
  }

  private onBad(r: IngestRelation, bad: ReturnType<IngestRelation["process"]>["bad"]): void {
    this.count.bad(relationLabel(r.name), bad.length);
    for (const b of bad) {
      this.statusSubject.next({ type: "bad_message", relation: r.name, sequence: b.sequence, reason: b.reason });
    }
    const policy = r.policy;
    if (policy.kind !== "dead_letter" || r.source === undefined) return;
    for (const b of bad) {
      r.source
        .publish(policy.subject, b.payload, {
          "Jetflow-Error": b.reason,
          "Jetflow-Subject": b.subject,
          "Jetflow-Sequence": String(b.sequence),
          "Jetflow-Relation": r.name,
        })
        .catch((e: unknown) => this.statusSubject.next({ type: "error", error: asError(e) }));
    }
  }

  private async committed(report: CheckpointReport, offsets: Record<string, Record<string, number>>): Promise<void> {
    this.count.checkpoints("", 1);
    this.count.checkpointMs("", report.durationMs);
    this.count.checkpointBytes("", report.bytes);
    for (const r of this.graph.ingests()) await r.source?.ack(new Map(Object.entries(offsets[r.name] ?? {})));
    this.sinks.committed();
    this.statusSubject.next({ type: "checkpoint", report });
  }

  /** Gauges read when metrics are read: consumer lag, rows held, expression NULLs. */
  private collectGauges(): void {
    for (const r of this.graph.all()) {
      const label = relationLabel(r.name);
      this.count.size(label, r.size);
      if (r instanceof IngestRelation) this.count.lag(label, r.source?.lag() ?? 0);
      if (r instanceof ViewRelation) {
        for (const [kind, n] of Object.entries(r.warnings())) this.count.warnings(`${label},kind="${kind}"`, n);
      }
    }
  }

  /** ` in DIR` for a state directory, else nothing: where the refused state lives, for errors. */
  private stateWhere(): string {
    return this.options.state.kind === "filesystem" ? ` in ${this.options.state.dir}` : "";
  }

  private oldState(format: string | undefined): PipelineError {
    return new PipelineError(
      `the state${this.stateWhere()} was written in state format ${format ?? "1"}, this jetflow reads format ${STATE_FORMAT}; ` +
        "start with a new state directory or remove the old one (the stream rebuilds it)",
    );
  }

  private foreignState(cause?: unknown): PipelineError {
    return new PipelineError(
      `the state${this.stateWhere()} holds a checkpoint of a different pipeline (its relations, columns or queries changed); ` +
        "start with a new state directory or remove the old one",
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * A write that failed (disk full, server away) is reported and retried by the next checkpoint,
   * which is then full; only a broken state (another writer, a lock, a changed pipeline) stops the run.
   */
  private checkpointFailed(e: unknown): void {
    if (e instanceof CheckpointError && (e.reason === "write" || e.reason === "chain")) {
      this.statusSubject.next({ type: "error", error: e });
      return;
    }
    this.fail(e);
  }

  private fail(e: unknown): void {
    if (this.phase === "failed" || this.phase === "stopped") return;
    this.phase = "failed";
    const error = asError(e);
    this.statusSubject.next({ type: "error", error });
    void this.teardown().finally(() => {
      this.statusSubject.complete();
      this.settle?.reject(error);
    });
  }

  private unsubscribeSources(): void {
    for (const subs of this.sourceSubscriptions.values()) for (const s of subs) s.unsubscribe();
    this.sourceSubscriptions.clear();
  }

  private async teardown(): Promise<void> {
    this.unsubscribeSources();
    this.coordinator?.stopTimer();
    for (const r of this.graph.ingests()) {
      if (r.source !== undefined) {
        await r.source.stop().catch(() => undefined);
        r.source = undefined;
      }
    }
    await this.sinks.close();
    await this.coordinator?.close().catch(() => undefined);
  }

  /** The catalog the SQL front end plans against: relations, and the sink names. */
  private catalog(): Catalog {
    return { ...this.graph.catalog(), hasSink: (name) => this.sinks.has(name) };
  }

  /** The relations' fingerprint, extended by the sinks' definitions when there are sinks. */
  private fingerprint(): string {
    return this.sinks.fingerprint(this.graph.fingerprint());
  }

  private defining(call: string): void {
    if (this.phase !== "defining") {
      throw new PipelineStateError(`${call} is only allowed before start() (the pipeline is ${this.phase})`);
    }
  }

  private running(call: string): void {
    if (this.phase !== "running")
      throw new PipelineStateError(`${call} needs a running pipeline (it is ${this.phase})`);
  }
}

/** Builds a pipeline. @see Pipeline */
export function pipeline(options?: PipelineOptions): Pipeline {
  return new Pipeline(options);
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
