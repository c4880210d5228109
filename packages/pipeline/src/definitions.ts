import type { Query } from "./dsl/query.js";
import type { PipelineStatus } from "./status.js";
import type { EpochSink, FeedSpec } from "./extension.js";
import { FeedRelation } from "./feed.js";
import { IngestRelation } from "./ingest.js";
import type { Relation, RelationKind } from "./relation.js";
import type { OperatorThreads } from "./operator-threads.js";
import type { RelationGraph } from "./relation-graph.js";
import type { SinkSet } from "./sink-set.js";
import type { Catalog, ParsedStatement, SinkSpec, SourceSpec, Statement, TableSpec, ViewQuery } from "./spec.js";
import { ViewRelation } from "./view.js";

/** One definition as given, before start(); a source or table is built (and validated) at once. */
type Definition =
  | { readonly kind: "ingest"; readonly relation: IngestRelation }
  | { readonly kind: "feed"; readonly relation: FeedRelation }
  | { readonly kind: "view"; readonly name: string; readonly query: ViewQuery | Query }
  | { readonly kind: "sql"; readonly statement: ParsedStatement }
  | { readonly kind: "statement"; readonly statement: Statement }
  | { readonly kind: "sink"; readonly name: string; readonly spec: SinkSpec }
  | { readonly kind: "output"; readonly name: string; readonly relation: string; readonly sink: EpochSink };

/** How a relation added to a running pipeline is brought up to date. */
export interface LiveHooks {
  /** Restores nothing (there is no checkpoint for it) but sets its stores up as start() does. */
  prepare(r: Relation): void;
  /** Connects a new source or table. */
  open(r: IngestRelation): Promise<void>;
}

/**
 * The pipeline's definitions and how they become relations: validated as they are given (what
 * needs no I/O), resolved in order at start() against the relations above them, and applied to
 * a running pipeline by `exec()` (a new view is backfilled, DROP removes consumers).
 */
export class Definitions {
  private readonly given: Definition[] = [];

  /** `threads`: where views run their keyed operators as shards (none: on this thread). */
  constructor(
    private readonly graph: RelationGraph,
    private readonly sinks: SinkSet,
    private readonly threads?: OperatorThreads,
  ) {}

  /** CREATE SINK in code (see `Pipeline.sink`). */
  sink(name: string, spec: SinkSpec): void {
    this.given.push({ kind: "sink", name, spec });
  }

  /** An epoch sink reading a relation (see `Pipeline.output`). */
  output(name: string, relation: string, sink: EpochSink): void {
    this.given.push({ kind: "output", name, relation, sink });
  }

  /** What statements are planned against: the relations, and the sink names. */
  catalog(): Catalog {
    return { ...this.graph.catalog(), hasSink: (name) => this.sinks.has(name) };
  }

  /** CREATE SOURCE / CREATE TABLE; its WITH options are checked now. */
  ingest(name: string, kind: "source" | "table", spec: SourceSpec | TableSpec): void {
    this.given.push({ kind: "ingest", relation: new IngestRelation(name, kind, spec) });
  }

  /** A relation fed from outside (see `Pipeline.feed`); its columns are resolved at start(). */
  feed(name: string, spec: FeedSpec): void {
    this.given.push({ kind: "feed", relation: new FeedRelation(name, spec) });
  }

  /** A view from a {@link Query} (planned at start(), like SQL) or a ready query tree. */
  view(name: string, query: ViewQuery | Query): void {
    this.given.push({ kind: "view", name, query });
  }

  /** Parsed statements, planned at start() in order. */
  sql(statements: readonly ParsedStatement[]): void {
    for (const statement of statements) this.given.push({ kind: "sql", statement });
  }

  /** A statement planned already (as the SQL front end plans one), applied at start() in order. */
  statement(statement: Statement): void {
    this.given.push({ kind: "statement", statement });
  }

  /** The `servers` override, to remove a relation's consumers when it is dropped before start. */
  private servers: readonly string[] | undefined;
  /** Resolving for `Pipeline.plan()`: a DROP leaves consumers alone (nothing runs). */
  private planning = false;

  /**
   * Builds every relation, in definition order (schemas loaded, views planned). With `plan`,
   * only that: a DROP does not remove the consumers an earlier run left.
   */
  async resolve(servers?: readonly string[], plan = false): Promise<void> {
    this.servers = servers;
    this.planning = plan;
    for (const d of this.given) await this.resolveOne(d);
  }

  private async resolveOne(d: Definition): Promise<void> {
    switch (d.kind) {
      case "ingest":
        return this.addIngest(d.relation, undefined);
      case "feed":
        return this.addFeed(d.relation);
      case "view":
        return this.addView(d.name, "plan" in d.query ? d.query.plan(this.graph.catalog()) : d.query, undefined);
      case "sql":
        return this.apply(d.statement.plan(this.catalog()), undefined);
      case "statement":
        return this.apply(d.statement, undefined);
      case "sink":
        return this.apply({ kind: "create_sink", name: d.name, ifNotExists: false, spec: d.spec }, undefined);
      case "output":
        this.graph.claim(d.name);
        return this.sinks.output(d.name, d.relation, d.sink, (n) => this.graph.get(n));
    }
  }

  /**
   * One parsed statement on a running pipeline (`Pipeline.exec`): planned against the relations
   * as they stand, applied, and each relation it created or dropped announced.
   */
  async applyAnnounced(
    statement: ParsedStatement,
    live: LiveHooks,
    announce: (event: Extract<PipelineStatus, { type: "relation_created" | "relation_dropped" }>) => void,
  ): Promise<void> {
    const before = new Set(this.graph.names());
    await this.apply(statement.plan(this.catalog()), live);
    const after = this.graph.names();
    for (const relation of before) if (!after.includes(relation)) announce({ type: "relation_dropped", relation });
    for (const relation of after) {
      if (!before.has(relation))
        announce({ type: "relation_created", relation, kind: this.graph.require(relation).kind });
    }
  }

  /** One planned statement; `live` when the pipeline is running (see `Pipeline.exec`). */
  async apply(s: Statement, live: LiveHooks | undefined): Promise<void> {
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
        return this.sinks.add(s.name, s.spec, (n) => this.graph.get(n), live !== undefined);
    }
  }

  private async addIngest(r: IngestRelation, live: LiveHooks | undefined): Promise<void> {
    this.graph.claim(r.name);
    await r.prepare();
    this.graph.add(r);
    if (live === undefined) return;
    live.prepare(r);
    await live.open(r);
  }

  private addFeed(r: FeedRelation): void {
    this.graph.claim(r.name);
    r.resolve((n) => this.graph.get(n));
    this.graph.add(r);
  }

  private addView(name: string, query: ViewQuery, live: LiveHooks | undefined): void {
    this.graph.claim(name);
    // A planned pipeline never runs: its views need no shards.
    const view = new ViewRelation(name, query, (n) => this.graph.get(n), this.planning ? undefined : this.threads);
    this.graph.add(view);
    if (live === undefined) return;
    live.prepare(view);
    view.emitInitial();
    view.backfill();
  }

  private async drop(what: RelationKind, name: string, ifExists: boolean, live: LiveHooks | undefined): Promise<void> {
    this.sinks.checkNotRead(what, name, (n) => this.graph.get(n));
    const r = this.graph.remove(what, name, ifExists);
    if (r instanceof FeedRelation && live !== undefined) await r.close();
    if (!(r instanceof IngestRelation)) return;
    // Running: the source goes, consumers and all. Before start: an earlier run may have left durable ones.
    if (live !== undefined) await r.drop();
    else if (!this.planning) await r.removeConsumers(this.servers);
  }
}
