import { createHash } from "node:crypto";
import type { ColumnDef } from "@jetflow/core";
import { connectNats, NatsSource, type SourceStatus } from "@jetflow/connector-nats";
import { CheckpointError, type CheckpointBackend, filesystemBackend, memoryBackend, natsBackend } from "@jetflow/state";
import type { ChangeBatch } from "@jetflow/core";
import type { Table } from "apache-arrow";
import { type Observable, Subject, type Subscription } from "rxjs";
import { CheckpointCoordinator, type CheckpointReport } from "./checkpoint-coordinator.js";
import { PipelineError, PipelineStateError, RelationNameError } from "./errors.js";
import { IngestRelation } from "./ingest.js";
import { Metrics, relationLabel } from "./metrics.js";
import { type PipelineOptions, type ResolvedPipelineOptions, resolvePipelineOptions } from "./options.js";
import type { Relation } from "./relation.js";
import type { Catalog, ParsedStatement, SourceSpec, Statement, TableSpec, ViewQuery } from "./spec.js";
import { ViewRelation } from "./view.js";

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
  private readonly relations = new Map<string, Relation>();
  private readonly statusSubject = new Subject<PipelineStatus>();
  private readonly subscriptions: Subscription[] = [];
  private coordinator: CheckpointCoordinator | undefined;
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
    warnings: this.metrics.gauge(
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

  /** Adds the statements of a SQL text (DDL, CREATE MATERIALIZED VIEW, DROP). Parsed now, planned at start(). */
  sql(text: string): this {
    this.defining("sql()");
    const frontend = this.options.sql;
    if (frontend === undefined) {
      throw new PipelineStateError(
        "this pipeline has no SQL front end: create it with pipeline() from @jetflow/sql, or pass { sql: sqlFrontend }",
      );
    }
    for (const statement of frontend.parse(text)) this.steps.push({ kind: "sql", statement });
    return this;
  }

  /** The relation names, in creation order. */
  names(): string[] {
    return [...this.relations.keys()];
  }

  /** The columns of a relation (after start()). */
  columnsOf(name: string): readonly ColumnDef[] {
    return this.relation(name).columns;
  }

  /** A view or table by name, for reading. Sources hold no rows and have no handle. */
  view(name: string): ViewHandle {
    const r = this.relation(name);
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
    for (const r of this.relations.values()) if (r instanceof IngestRelation) lag += r.source?.lag() ?? 0;
    return lag;
  }

  /**
   * Resolves once every source has processed every message that was in its stream when the
   * pipeline started. Rejects if the pipeline fails first.
   */
  async caughtUp(): Promise<void> {
    this.running("caughtUp()");
    const sources = [...this.relations.values()].flatMap((r) =>
      r instanceof IngestRelation && r.source !== undefined ? [r.source.caughtUp()] : [],
    );
    await Promise.race([
      Promise.all(sources),
      this.done.then(() => Promise.reject(new PipelineStateError("the pipeline stopped before it caught up"))),
    ]);
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
      this.coordinator = new CheckpointCoordinator(await this.openBackend(), {
        stores: () => this.stores(),
        offsets: () => this.offsets(),
        committed: (report, offsets) => this.committed(report, offsets),
        meta: () => ({ fingerprint: this.fingerprint() }),
      });
      const restored = await this.coordinator.restore().catch((e: unknown) => {
        // A store the checkpoint has and the pipeline lacks: the definitions changed.
        throw e instanceof CheckpointError && e.reason === "unknown-store" ? this.foreignState(e) : e;
      });
      if (restored !== undefined && restored.meta["fingerprint"] !== this.fingerprint()) throw this.foreignState();
      for (const r of this.relations.values()) (r as IngestRelation | ViewRelation).restored();
      for (const r of this.relations.values()) if (r instanceof ViewRelation) r.emitInitial();
      await this.openSources(restored?.offsets ?? {});
      const intervalMs = this.checkpointTimerMs();
      // Without periodic checkpoints nobody reads the changed-key sets: do not grow them.
      if (intervalMs === 0) for (const store of this.stores()) store.tracksChanges = false;
      this.coordinator.start(intervalMs, (e) => this.checkpointFailed(e));
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
      for (const s of this.subscriptions) s.unsubscribe();
      if (this.coordinator !== undefined && this.options.state.kind !== "memory") await this.coordinator.checkpoint();
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

  private async apply(step: Step): Promise<void> {
    switch (step.kind) {
      case "source":
      case "table":
        this.claim(step.name);
        await step.relation.prepare();
        this.relations.set(step.name, step.relation);
        return;
      case "view":
        this.claim(step.name);
        this.relations.set(step.name, new ViewRelation(step.name, step.query, (n) => this.relations.get(n)));
        return;
      case "sql":
        return this.applyStatement(step.statement.plan(this.catalog()));
    }
  }

  private async applyStatement(s: Statement): Promise<void> {
    if (s.kind === "drop") return this.dropDefinition(s.what, s.name, s.ifExists);
    if (s.ifNotExists && this.relations.has(s.name)) return;
    switch (s.kind) {
      case "create_source":
        return this.apply({ kind: "source", name: s.name, relation: new IngestRelation(s.name, "source", s.spec) });
      case "create_table":
        return this.apply({ kind: "table", name: s.name, relation: new IngestRelation(s.name, "table", s.spec) });
      case "create_view":
        return this.apply({ kind: "view", name: s.name, query: s.query });
    }
  }

  private dropDefinition(what: "source" | "table" | "view", name: string, ifExists: boolean): void {
    const r = this.relations.get(name);
    if (r === undefined) {
      if (ifExists) return;
      throw new RelationNameError(`cannot drop ${what} "${name}": it does not exist`);
    }
    if (r.kind !== what) throw new RelationNameError(`"${name}" is a ${r.kind}, not a ${what}`);
    const dependents = [...this.relations.values()].filter((v) => v instanceof ViewRelation && v.input === r);
    if (dependents.length > 0) {
      throw new RelationNameError(
        `cannot drop ${what} "${name}": ${dependents.map((d) => `view "${d.name}"`).join(", ")} depend(s) on it; drop those first`,
      );
    }
    if (r instanceof ViewRelation) r.close();
    this.relations.delete(name);
  }

  private catalog(): Catalog {
    return { columnsOf: (relation) => this.relations.get(relation)?.columns };
  }

  private claim(name: string): void {
    const existing = this.relations.get(name);
    if (existing !== undefined) throw new RelationNameError(`${existing.kind} "${name}" already exists`);
  }

  private async openBackend(): Promise<CheckpointBackend> {
    const state = this.options.state;
    switch (state.kind) {
      case "memory":
        return memoryBackend();
      case "filesystem":
        return filesystemBackend(state.dir, state.keep === undefined ? {} : { keep: state.keep });
      case "nats": {
        const first = [...this.relations.values()].find((r): r is IngestRelation => r instanceof IngestRelation);
        if (first === undefined)
          throw new PipelineStateError(
            "the nats state backend needs a NATS source to borrow its connection settings from",
          );
        const servers = state.servers ?? this.options.servers;
        const nc = await connectNats(servers === undefined ? first.config : { ...first.config, servers: [...servers] });
        const backend = await natsBackend(nc, { bucket: state.bucket });
        return {
          kind: backend.kind,
          load: () => backend.load(),
          commit: (r) => backend.commit(r),
          ...(backend.newestId === undefined
            ? {}
            : { newestId: () => (backend.newestId as () => Promise<number | undefined>)() }),
          close: async () => {
            await backend.close();
            await nc.close();
          },
        };
      }
    }
  }

  /**
   * In memory, a checkpoint only serves to ack durable consumers: without one there is nothing
   * to gain from capturing state, so the timer stays off.
   */
  private checkpointTimerMs(): number {
    if (this.options.state.kind !== "memory") return this.options.checkpointIntervalMs;
    const durable = [...this.relations.values()].some(
      (r) => r instanceof IngestRelation && r.config.durableName !== undefined,
    );
    return durable ? this.options.checkpointIntervalMs : 0;
  }

  private async openSources(offsets: Record<string, Record<string, number>>): Promise<void> {
    for (const r of this.relations.values()) {
      if (!(r instanceof IngestRelation)) continue;
      const restored = new Map(Object.entries(offsets[r.name] ?? {}));
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
      this.subscriptions.push(
        source.status$.subscribe((status) => this.statusSubject.next({ type: "source", relation: r.name, status })),
        source.batches$.subscribe({
          next: (raw) => this.onBatch(r, raw),
          error: (e: unknown) => this.fail(e),
        }),
      );
    }
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
    for (const b of bad)
      this.statusSubject.next({ type: "bad_message", relation: r.name, sequence: b.sequence, reason: b.reason });
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

  private stores() {
    return [...this.relations.values()].flatMap((r) => r.stores());
  }

  private offsets(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const r of this.relations.values()) {
      if (r instanceof IngestRelation) out[r.name] = Object.fromEntries(r.offsets);
    }
    return out;
  }

  private async committed(report: CheckpointReport, offsets: Record<string, Record<string, number>>): Promise<void> {
    this.count.checkpoints("", 1);
    this.count.checkpointMs("", report.durationMs);
    this.count.checkpointBytes("", report.bytes);
    for (const r of this.relations.values()) {
      this.count.size(relationLabel(r.name), r.size);
      if (r instanceof ViewRelation) {
        for (const [kind, n] of Object.entries(r.warnings()))
          this.count.warnings(`${relationLabel(r.name)},kind="${kind}"`, n);
      }
      if (r instanceof IngestRelation) {
        this.count.lag(relationLabel(r.name), r.source?.lag() ?? 0);
        await r.source?.ack(new Map(Object.entries(offsets[r.name] ?? {})));
      }
    }
    this.statusSubject.next({ type: "checkpoint", report });
  }

  /** A hash of what the state means: relation names, kinds, columns, keys and queries (no WITH options). */
  private fingerprint(): string {
    const parts = [...this.relations.values()].map((r) => [
      r.name,
      r.kind,
      r.columns.map((c) => [c.name, c.type]),
      r instanceof IngestRelation ? r.primaryKey : r instanceof ViewRelation ? r.query : null,
    ]);
    return createHash("sha256")
      .update(JSON.stringify(parts, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)))
      .digest("hex");
  }

  private foreignState(cause?: unknown): PipelineError {
    const where = this.options.state.kind === "filesystem" ? ` in ${this.options.state.dir}` : "";
    return new PipelineError(
      `the state${where} holds a checkpoint of a different pipeline (its relations, columns or queries changed); ` +
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

  private async teardown(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions.length = 0;
    this.coordinator?.stopTimer();
    for (const r of this.relations.values()) {
      if (r instanceof IngestRelation && r.source !== undefined) {
        await r.source.stop().catch(() => undefined);
        r.source = undefined;
      }
    }
    await this.coordinator?.close().catch(() => undefined);
  }

  private relation(name: string): Relation {
    const r = this.relations.get(name);
    if (r === undefined) {
      const known = this.names();
      throw new RelationNameError(`no relation "${name}"${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}`);
    }
    return r;
  }

  private defining(call: string): void {
    if (this.phase !== "defining")
      throw new PipelineStateError(`${call} is only allowed before start() (the pipeline is ${this.phase})`);
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
