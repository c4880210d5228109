import type { ColumnDef } from "@jetflow/core";
import { type NatsConnectConfig, ReaderThreads } from "@jetflow/connector-nats";
import type { CheckpointResult } from "@jetflow/state";
import { type Observable, Subject } from "rxjs";
import { PipelineStateError } from "./errors.js";
import { Definitions, type LiveHooks } from "./definitions.js";
import type { IngestHost } from "./ingest.js";
import { PipelineMetrics } from "./metrics.js";
import { type PipelineOptions, type ResolvedPipelineOptions, resolvePipelineOptions } from "./options.js";
import type { RelationHandle } from "./relation.js";
import { Lifecycle } from "./lifecycle.js";
import { OperatorThreads } from "./operator-threads.js";
import { RelationGraph } from "./relation-graph.js";
import { type ViewHandle, viewHandle } from "./view-handle.js";
import type { EpochSink, FeedSpec, PipelinePlan } from "./extension.js";
import { planOf } from "./pipeline-plan.js";
import { Runtime } from "./runtime.js";
import { SinkSet } from "./sink-set.js";
import { type SourceDef, type TableDef, sourceSpec, tableSpec } from "./dsl/ingest-def.js";
import type { Query } from "./dsl/query.js";
import type { SinkSpec, SqlFrontend, Statement, ViewQuery } from "./spec.js";
import type { PipelineStatus } from "./status.js";

/**
 * A dataflow from NATS JetStream into tables and materialized views: its definitions and its
 * lifecycle. A batch's way through it is in `ingest.ts` (decode, table semantics) ->
 * `relation.ts` (the one change channel) -> `view.ts` (a view's operators).
 *
 * Define relations (in code or SQL), then `start()`. Definitions are validated as they are
 * given where no I/O is needed, and resolved at `start()` (schemas loaded, views planned)
 * before anything connects.
 *
 * @example
 * ```ts
 * const p = pipeline({ state: { kind: "filesystem", dir: "./state" } })
 *   .table("orders", { columns: { id: "int", region: "varchar", amount: "double" }, primaryKey: "id", with: nats({ ... }) })
 *   .materializedView("by_region", from("orders").groupBy("region").select("region", { revenue: sum(col("amount")) }));
 * await p.start();
 * await p.caughtUp();
 * console.log(p.view("by_region").rows());
 * await p.stop();
 * ```
 */
export class Pipeline {
  readonly options: ResolvedPipelineOptions;
  private readonly graph = new RelationGraph();
  readonly metrics = new PipelineMetrics(() => this.graph.all());
  /** CREATE SINK: sealed at each checkpoint capture, published after it commits. */
  private readonly sinks: SinkSet;
  private readonly definitions: Definitions;
  private readonly statusSubject = new Subject<PipelineStatus>();
  /** Restore, sources, sinks, checkpoints and timers while the pipeline runs. */
  private readonly runtime: Runtime;
  private readonly life = new Lifecycle();
  private settle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** Settles when the pipeline stops (resolves) or fails (rejects). */
  readonly done: Promise<void>;
  /** What ingest relations need from the pipeline while they run. */
  private readonly host: IngestHost;
  /** Where views run keyed operators as shards (`shards` option); undefined: on this thread. */
  private readonly operatorThreads: OperatorThreads | undefined;

  constructor(options: PipelineOptions = {}) {
    this.options = resolvePipelineOptions(options);
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // An unobserved failure must not crash the host process; callers observe it through done or status$.
    this.done.catch(() => undefined);
    const { maxBatchRows, lingerMs, servers, readPath, workers, decodeIn } = this.options;
    this.sinks = new SinkSet(this.metrics, servers, this.options.sinkMaxPending, (event) =>
      this.statusSubject.next(event),
    );
    this.operatorThreads = this.options.shards > 0 ? new OperatorThreads(this.options.shards) : undefined;
    this.definitions = new Definitions(this.graph, this.sinks, this.operatorThreads);
    const graph = this.graph;
    this.host = {
      runtime: {
        maxBatchRows,
        lingerMs,
        servers,
        readPath,
        readers: workers > 0 ? new ReaderThreads(workers) : undefined,
        decodeIn,
        get inputs() {
          return graph.ingests().length;
        },
      },
      metrics: this.metrics,
      status: (event) => this.statusSubject.next(event),
      accepting: () => this.life.accepting,
      fail: (e) => this.fail(e),
      throttle: () => this.sinks.overloaded(),
    };
    this.runtime = new Runtime({
      options: this.options,
      graph: this.graph,
      sinks: this.sinks,
      metrics: this.metrics,
      host: this.host,
      operatorThreads: this.operatorThreads,
      connection: () => this.firstSourceConnection(),
      status: (event) => this.statusSubject.next(event),
      fail: (e) => this.fail(e),
    });
  }

  /** Status events: started, per-source connection events, checkpoints, bad messages, errors. */
  get status$(): Observable<PipelineStatus> {
    return this.statusSubject.asObservable();
  }

  /**
   * CREATE SOURCE: append-only, nothing persisted.
   * @example p.source("clicks", { columns: { page: "varchar" }, include: { topic: "subject" }, with: nats({ servers, subject: "web.>", stream: "web" }) })
   */
  source(name: string, def: SourceDef): this {
    this.defining("source()");
    this.definitions.ingest(name, "source", sourceSpec(def));
    return this;
  }

  /**
   * CREATE TABLE: persisted; with `primaryKey`, a new row overwrites the old one with its key.
   * @example p.table("orders", { columns: { id: "int", amount: "double" }, primaryKey: "id", with: nats({ servers, subject: "shop.orders", stream: "shop" }) })
   */
  table(name: string, def: TableDef): this {
    this.defining("table()");
    this.definitions.ingest(name, "table", tableSpec(def));
    return this;
  }

  /**
   * A relation fed from outside the pipeline by a {@link ChangeFeed} (what a group plugs its
   * exchange edges into): to the views over it, the `kind` its spec says. A `table` keeps its rows
   * (upserted by `key`, or appended without one), a `source` passes inserts on, a `view` passes
   * its changelog on (retractions included); only a table keeps rows. Its columns are resolved
   * at start() in definition order (`{ like: "r" }`: those of relation `r` above it), and the
   * offset of its last applied change is checkpointed: after a restore it is opened after it.
   *
   * @example
   * ```ts
   * p.feed("orders", { kind: "table", columns: [{ name: "id", type: scalar("int") }], key: ["id"], open: async (after) => feed })
   *   .materializedView("n", from("orders").select({ n: count() }));
   * ```
   */
  feed(name: string, spec: FeedSpec): this {
    this.defining("feed()");
    this.definitions.feed(name, spec);
    return this;
  }

  /**
   * CREATE MATERIALIZED VIEW over a source, table or view: a {@link from} query, planned at
   * start() against the relations defined before it (or a ready `ViewQuery` tree).
   * @example p.materializedView("big", from("orders").where(col("amount").gt(100)))
   */
  materializedView(name: string, query: Query | ViewQuery): this {
    this.defining("materializedView()");
    this.definitions.view(name, query);
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
    this.definitions.sink(name, spec);
    return this;
  }

  /**
   * An output: `sink` reads relation `relation` and runs as a CREATE SINK does (what a group
   * plugs its outgoing exchange edges into). It is bound to the relation's columns and key, opened
   * after the restore, sealed at each checkpoint's capture and told `committed()` once that
   * checkpoint committed; its `store` is checkpointed with the pipeline. Its name is one of the
   * sinks' (unique among sinks and relations).
   *
   * @example
   * ```ts
   * p.output("to_stage_2", "by_region", exchangeWriter);
   * ```
   */
  output(name: string, relation: string, sink: EpochSink): this {
    this.defining("output()");
    this.definitions.output(name, relation, sink);
    return this;
  }

  /** Adds the statements of a SQL text (DDL, CREATE MATERIALIZED VIEW, DROP). Parsed now, planned at start(). */
  sql(text: string): this {
    this.defining("sql()");
    this.definitions.sql(this.frontend().parse(text));
    return this;
  }

  /**
   * Adds a statement planned already, as the SQL front end plans one (CREATE SOURCE / TABLE /
   * MATERIALIZED VIEW / SINK, DROP): applied at start() in order with the other definitions.
   * @example p.statement({ kind: "create_view", name: "v", ifNotExists: false, query: { kind: "scan", relation: "t" } })
   */
  statement(s: Statement): this {
    this.defining("statement()");
    this.definitions.statement(s);
    return this;
  }

  /**
   * Resolves the definitions as start() does (schemas loaded, protobuf descriptors fetched, views
   * planned) without starting anything: no source connects, no state is read, and a DROP leaves
   * consumers alone. Returns the relations in creation order (columns, key, CREATE spec or query)
   * and the CREATE SINKs (outputs are not listed). A planned pipeline cannot start: build a new
   * one from the same definitions to run them.
   *
   * @example
   * ```ts
   * const { relations } = await sqlPipeline().sql(text).plan();
   * relations.map((r) => [r.name, r.kind, r.key]);
   * ```
   */
  async plan(): Promise<PipelinePlan> {
    this.defining("plan()");
    this.life.phase = "planned";
    await this.definitions.resolve(this.options.servers, true);
    return planOf(this.graph, this.sinks);
  }

  /**
   * Runs SQL against the running pipeline: a new view is filled from its input's current rows
   * (a view over a source sees only what arrives from now on); a new source or table starts at
   * its `scan.startup.mode`; DROP stops a source or table and removes its consumers, durable ones
   * included. A statement that fails leaves the pipeline as it was. Each relation created or
   * dropped is announced on `status$` (`relation_created`, `relation_dropped`) before this resolves.
   *
   * @example
   * ```ts
   * await p.exec("CREATE MATERIALIZED VIEW big AS SELECT * FROM orders WHERE amount > 100");
   * await p.exec("DROP MATERIALIZED VIEW big");
   * ```
   */
  async exec(text: string): Promise<void> {
    this.running("exec()");
    const live: LiveHooks = { prepare: (r) => this.runtime.prepare(r), open: (r) => r.open(this.host, {}) };
    for (const statement of this.frontend().parse(text)) {
      await this.definitions.applyAnnounced(statement, live, (event) => this.statusSubject.next(event));
    }
  }

  /** The relation names, in creation order. */
  names(): string[] {
    return this.graph.names();
  }

  /**
   * The sinks (CREATE SINK, and outputs), in creation order: each one's name and the relation it
   * publishes (its FROM relation, its implicit AS SELECT view, an output's relation). A sink keeps
   * no rows of its own.
   */
  sinkList(): { readonly name: string; readonly input: RelationHandle }[] {
    return this.sinks.list().map((s) => ({ name: s.name, input: s.input }));
  }

  /** The columns of a relation (after start()). */
  columnsOf(name: string): readonly ColumnDef[] {
    return this.graph.require(name).columns;
  }

  /**
   * Any relation by name (after start()): its kind, columns, key, rows and changes.
   *
   * @example
   * ```ts
   * const orders = p.relation("orders");
   * orders.key;        // ["order_id"]
   * orders.changes$;   // retract + insert pairs for overwritten keys
   * ```
   */
  relation(name: string): RelationHandle {
    return this.graph.require(name);
  }

  /**
   * The connection settings (servers, auth, TLS) of the first source, with the `servers` option
   * applied: what a service beside the pipeline (a NATS query service) connects with.
   */
  firstSourceConnection(): NatsConnectConfig | undefined {
    const first = this.graph.ingests()[0]?.config;
    if (first === undefined || this.options.servers === undefined) return first;
    return { ...first, servers: [...this.options.servers] };
  }

  /** A view or table by name, for reading. Sources (and fed sources and views) hold no rows and have no view handle. */
  view(name: string): ViewHandle {
    return viewHandle(this.graph.require(name));
  }

  /** Messages (and feed changes) not yet delivered, summed over every source and feed. */
  lag(): number {
    let lag = 0;
    for (const r of this.graph.inputs()) lag += r.lag();
    return lag;
  }

  /**
   * Resolves once every source has processed every message that was in its stream when the
   * pipeline started, and every feed is caught up (its `caughtUp()`). Rejects if the pipeline
   * fails first.
   */
  async caughtUp(): Promise<void> {
    this.running("caughtUp()");
    await this.runtime.caughtUp(this.done, () => this.life.phase === "failed");
    await this.sinks.flush(() => this.checkpoint());
    this.statusSubject.next({ type: "caught_up" });
  }

  /** Takes a checkpoint now; resolves when it committed (and its acks went out). */
  async checkpoint(): Promise<CheckpointResult> {
    this.running("checkpoint()");
    return this.runtime.checkpoint();
  }

  /** Resolves definitions, restores the latest checkpoint, connects every source and starts the flow. */
  async start(): Promise<void> {
    this.defining("start()");
    this.life.phase = "starting";
    try {
      // Operator threads load their modules while the definitions resolve.
      this.operatorThreads?.warm();
      await this.definitions.resolve(this.options.servers);
      // Reader threads load their modules (~0.5 s) while the state restores.
      this.host.runtime.readers?.warm(this.graph.ingests().length);
      const restoredCheckpoint = await this.runtime.start();
      this.life.phase = "running";
      this.statusSubject.next({ type: "started", restoredCheckpoint });
    } catch (e) {
      await this.runtime.teardown();
      this.life.phase = "failed";
      throw e;
    }
  }

  /**
   * Stops every source (removing the consumers it created unless durable), after a last checkpoint
   * that the sinks then publish. With `checkpoint: false` there is no last checkpoint: sources
   * stop, the sinks get their while to publish what committed checkpoints sealed, sinks and the
   * state backend close, and what the last committed checkpoint does not cover is redone by
   * whoever restores it (a group handing a partition over does this).
   *
   * @example
   * ```ts
   * await p.stop({ checkpoint: false });
   * ```
   */
  async stop(options: { readonly checkpoint?: boolean } = {}): Promise<void> {
    if (this.life.over || this.life.phase === "stopping") return;
    this.life.phase = "stopping";
    let error: unknown;
    try {
      await this.runtime.quiesce(options.checkpoint ?? true);
    } catch (e) {
      error = e;
    }
    await this.runtime.teardown();
    this.life.phase = "stopped";
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
        "this pipeline has no SQL front end: create it with sqlPipeline() from @jetflow/sql, or pass { sql: sqlFrontend }",
      );
    }
    return frontend;
  }

  private fail(e: unknown): void {
    if (this.life.over) return;
    this.life.phase = "failed";
    const error = e instanceof Error ? e : new Error(String(e));
    this.statusSubject.next({ type: "error", error });
    void this.runtime.teardown().finally(() => {
      this.statusSubject.complete();
      this.settle?.reject(error);
    });
  }

  private defining(call: string): void {
    this.life.defining(call);
  }

  private running(call: string): void {
    this.life.running(call);
  }
}

/**
 * Builds a pipeline defined in TypeScript (see {@link Pipeline}); `sqlPipeline()` from
 * `@jetflow/sql` builds one that also takes SQL.
 *
 * @example
 * ```ts
 * const p = pipeline().source("clicks", { columns: { page: "varchar" }, with: nats({ servers, subject: "web.>", stream: "web" }) });
 * ```
 */
export function pipeline(options?: PipelineOptions): Pipeline {
  return new Pipeline(options);
}
