import { type ChangeBatch, columnsOf, insertsOf } from "@jetflow/core";
import {
  type ChangeOperator,
  filter,
  groupAggregate,
  hop,
  type JoinOperator,
  join,
  type KeyedRows,
  type UnionOperator,
  union,
  MaterializedView,
  project,
  type TemporalFilterOperator,
  temporalFilter,
  topN,
  tumble,
  rowsIn,
  sumWarnings,
} from "@jetflow/operators";
import type { KeyedStore } from "@jetflow/state";
import type { RecordBatch, Schema, Table } from "apache-arrow";
import { readsOf } from "./columns-read.js";
import { RelationNameError, ViewQueryError } from "./errors.js";
import type { OperatorThreads } from "./operator-threads.js";
import { Relation } from "./relation.js";
import { ShardedJoin } from "./sharded-join.js";
import { ShardedOperator } from "./sharded-operator.js";
import { ShardedTopN } from "./sharded-top-n.js";
import type { ViewQuery } from "./spec.js";
import { type RelationKeys, viewKey } from "./view-key.js";

type Sink = (change: ChangeBatch) => void;

/** A scan of the query: the relation it reads and where its changes go. */
interface Leaf {
  readonly relation: Relation;
  readonly sink: Sink;
}

/** An operator of the compiled tree and where its output goes. */
interface Stage {
  readonly op: ChangeOperator | JoinOperator | UnionOperator;
  readonly next: Sink;
}

/**
 * A materialized view: the tree of operators its query compiles to, and the rows it holds.
 * Each scan of the query listens to its relation (a join has two, a self-join reads one relation
 * twice); the view pushes its own changes further down.
 */
export class ViewRelation extends Relation {
  /** The relations the query reads, each once, in the order the query names them. */
  readonly inputs: readonly Relation[];
  private readonly leaves: Leaf[] = [];
  /** Scans whose rows a join reads from the table itself (`JoinOperator.probesTable`): no backfill. */
  private readonly probed = new Set<Leaf>();
  private readonly stages: Stage[] = [];
  /** The rows the view holds. */
  private readonly held: MaterializedView;
  /** The columns that identify a row (see `viewKey`); the rows are stored by them. */
  private readonly rowKey: readonly string[];
  private readonly detach: (() => void)[];

  /** `threads`: where keyed operators (GROUP BY, joins) run as shards (see `PipelineOptions.shards`); none: all run here. */
  constructor(
    name: string,
    readonly query: ViewQuery,
    lookup: (relation: string) => Relation | undefined,
    threads?: OperatorThreads,
  ) {
    super(name, "view");
    const schemas = new Map<ViewQuery, Schema>();
    const joins: JoinOperator[] = [];
    const schema = this.compile(query, (change) => this.output(change), {
      view: name,
      lookup,
      schemas,
      joins,
      threads,
    });
    // Rows are stored by the view's key (an aggregate's group columns, a table's primary key:
    // unique), not by a key over the whole row: lookups probe, not scan, and no row key is built.
    const keys = relationKeys(lookup);
    this.rowKey = viewKey(query, keys);
    this.held = new MaterializedView(name, schema, { id: `${name}/rows`, indexBy: this.rowKey, unique: true });
    this.inputs = [...new Set(this.leaves.map((l) => l.relation))];
    const reads = readsOf(
      query,
      (q) => (schemas.get(q) as Schema).fields.map((f) => f.name),
      (q) => viewKey(q, keys),
    );
    joins.forEach((j, i) => {
      j.emitOnly(reads.joins[i]);
    });
    this.detach = this.leaves.map((leaf, i) => leaf.relation.feed(leaf.sink, reads.scans[i]));
  }

  get schema(): Schema {
    return this.held.schema;
  }

  get key(): readonly string[] {
    return this.rowKey;
  }

  snapshot(): Table {
    return this.held.snapshot();
  }

  rows(): Record<string, unknown>[] {
    return this.held.rows();
  }

  get size(): number {
    return this.held.size;
  }

  override probeByKey(keys: RecordBatch): Table | undefined {
    return this.held.indexColumns.length > 0 ? this.held.lookup(keys) : undefined;
  }

  override probeRowsByKey(keys: RecordBatch): readonly (readonly unknown[])[] | undefined {
    return this.held.indexColumns.length > 0 ? this.held.probe(keys) : undefined;
  }

  stores(): readonly KeyedStore<unknown>[] {
    return [...this.stages.flatMap((s) => s.op.stores), this.held.store];
  }

  restored(): void {
    for (const s of this.stages) s.op.restored?.();
    this.held.restored();
  }

  /**
   * Pushes what operators hold before any input (a global aggregate's `count = 0` row) through
   * the rest of the tree. Operators whose state already holds it give nothing, so this is safe
   * after a restore.
   */
  emitInitial(): void {
    for (const s of this.stages) {
      const initial = s.op.initial?.();
      if (initial !== undefined && rowsIn(initial) > 0) s.next(initial);
    }
  }

  /** Retracts the rows temporal filters let go since the last tick, through the rest of the tree. */
  tick(): void {
    for (const s of this.stages) {
      const out = (s.op as Partial<TemporalFilterOperator>).tick?.();
      if (out !== undefined && rowsIn(out) > 0) s.next(out);
    }
  }

  /** Expression problems turned into NULLs so far (division by zero, overflow, bad casts), summed over operators. */
  warnings(): Readonly<Record<"divisionByZero" | "overflow" | "invalidInput", number>> {
    return sumWarnings(this.stages.map((s) => s.op.warnings));
  }

  /** Stops listening to the inputs and frees operator shards (DROP). */
  close(): void {
    for (const d of this.detach) d();
    for (const { op } of this.stages) {
      if (op instanceof ShardedOperator || op instanceof ShardedJoin || op instanceof ShardedTopN) op.close();
    }
  }

  /**
   * Feeds each scan its relation's current rows as inserts (a source has none), scan after scan:
   * a view created on a running pipeline starts complete. A join sees its left input's rows, then
   * its right's, which joins every pair once.
   */
  backfill(): void {
    for (const leaf of this.leaves) {
      // A join that probes a table's own rows already sees all of them.
      if (this.probed.has(leaf)) continue;
      const rows = leaf.relation.snapshot();
      if (rows === undefined) continue;
      for (const batch of rows.batches) if (batch.numRows > 0) leaf.sink(insertsOf(batch));
    }
  }

  private output(change: ChangeBatch): void {
    this.held.apply(change);
    this.emit(change);
  }

  /**
   * Compiles `query` bottom-up into stages whose output goes to `next`; scans become leaves.
   * Returns the query's output schema.
   */
  private compile(query: ViewQuery, next: Sink, ctx: CompileContext): Schema {
    let schema: Schema;
    if (query.kind === "scan") {
      const relation = ctx.lookup(query.relation);
      if (relation === undefined) {
        throw new RelationNameError(`view "${ctx.view}": relation "${query.relation}" does not exist`);
      }
      this.leaves.push({ relation, sink: next });
      schema = relation.schema;
    } else if (query.kind === "join") {
      let op: JoinOperator | undefined;
      const into =
        (side: "left" | "right"): Sink =>
        (change) => {
          const out = (op as JoinOperator).process(side, change);
          if (out !== undefined && rowsIn(out) > 0) next(out);
        };
      const left = this.compile(query.left, into("left"), ctx);
      const rightLeaf = this.leaves.length;
      const right = this.compile(query.right, into("right"), ctx);
      if (query.temporal === true) checkAppendOnly(ctx.view, query.left, ctx.lookup);
      op = joinFor(query, left, right, `${ctx.view}/${this.stages.length}-join`, ctx);
      if (op.probesTable) this.probed.add(this.leaves[rightLeaf] as Leaf);
      ctx.joins.push(op);
      this.stages.push({ op, next });
      schema = op.schema;
    } else if (query.kind === "union") {
      let op: UnionOperator | undefined;
      const schemas = query.inputs.map((input, i) =>
        this.compile(
          input,
          (change) => {
            const out = (op as UnionOperator).process(i, change);
            if (out !== undefined) next(out);
          },
          ctx,
        ),
      );
      op = union(schemas);
      this.stages.push({ op, next });
      schema = op.schema;
    } else {
      let op: ChangeOperator | undefined;
      const below = this.compile(
        query.input,
        (change) => {
          const out = (op as ChangeOperator).process(change);
          if (out !== undefined && rowsIn(out) > 0) next(out);
        },
        ctx,
      );
      op = operatorFor(query, below, `${ctx.view}/${this.stages.length}-${query.kind}`, ctx);
      this.stages.push({ op, next });
      schema = op.schema;
    }
    ctx.schemas.set(query, schema);
    return schema;
  }
}

interface CompileContext {
  readonly view: string;
  readonly lookup: (relation: string) => Relation | undefined;
  /** Each subtree's output schema, for the columns-read pass. */
  readonly schemas: Map<ViewQuery, Schema>;
  /** The joins in the order they were compiled. */
  readonly joins: JoinOperator[];
  readonly threads: OperatorThreads | undefined;
}

/**
 * A keyed table's own rows for a join whose right side scans it as it is, so the join can keep
 * no copy of it (the join decides whether its equalities allow it). Not when the left side reads
 * the table too, directly or through views: one change of the table would then reach the join on
 * both sides, and the left one would already find the table's new rows.
 */
function tableRows(
  query: Extract<ViewQuery, { kind: "join" }>,
  lookup: (relation: string) => Relation | undefined,
): KeyedRows | undefined {
  if (query.right.kind !== "scan") return undefined;
  const table = lookup(query.right.relation);
  if (table === undefined || reads(query.left, table.name, lookup)) return undefined;
  return table.keyedRows();
}

/** Whether a query reads relation `name`, directly or through the views it reads. */
function reads(query: ViewQuery, name: string, lookup: (relation: string) => Relation | undefined): boolean {
  switch (query.kind) {
    case "scan": {
      if (query.relation === name) return true;
      const rel = lookup(query.relation);
      return rel instanceof ViewRelation && reads(rel.query, name, lookup);
    }
    case "join":
      return reads(query.left, name, lookup) || reads(query.right, name, lookup);
    case "union":
      return query.inputs.some((q) => reads(q, name, lookup));
    default:
      return reads(query.input, name, lookup);
  }
}

/** A temporal join's left input must only ever insert: scans of sources through stateless steps. */
function checkAppendOnly(view: string, query: ViewQuery, lookup: (relation: string) => Relation | undefined): void {
  switch (query.kind) {
    case "scan":
      if (lookup(query.relation)?.kind === "source") return;
      throw new ViewQueryError(
        `view "${view}": FOR SYSTEM_TIME AS OF PROCTIME() needs an append-only left side (a source); "${query.relation}" is a ${lookup(query.relation)?.kind}`,
      );
    case "filter":
    case "project":
    case "tumble":
    case "hop":
    case "temporalFilter":
      checkAppendOnly(view, query.input, lookup);
      return;
    case "union":
      for (const input of query.inputs) checkAppendOnly(view, input, lookup);
      return;
    default:
      throw new ViewQueryError(
        `view "${view}": FOR SYSTEM_TIME AS OF PROCTIME() needs an append-only left side (a source, filtered or projected), not a ${query.kind}`,
      );
  }
}

/**
 * The operator of a join: as shards when there are operator threads and the join keeps both
 * sides itself (one that probes a table's own rows runs here, where the table is).
 */
function joinFor(
  query: Extract<ViewQuery, { kind: "join" }>,
  left: Schema,
  right: Schema,
  id: string,
  ctx: CompileContext,
): JoinOperator {
  const spec = {
    kind: "join",
    id,
    left: columnsOf(left),
    right: columnsOf(right),
    join: query.join,
    names: query.names,
    on: query.on,
    residual: query.residual,
    temporal: query.temporal === true,
    rowKey: { left: keyColumns(query.left, left, ctx), right: keyColumns(query.right, right, ctx) },
  } as const;
  const { names, on, residual, temporal, rowKey } = spec;
  const local = join(left, right, {
    id,
    kind: query.join,
    names,
    on,
    residual,
    temporal,
    rowKey,
    table: tableRows(query, ctx.lookup),
  });
  if (ctx.threads === undefined || local.partitioning === undefined) return local;
  return new ShardedJoin(ctx.threads, spec);
}

/** The key of each relation `lookup` finds: a table's primary key, a view's key, none for a source. */
function relationKeys(lookup: (relation: string) => Relation | undefined): RelationKeys {
  return (relation) => lookup(relation)?.key ?? [];
}

/**
 * The columns of `schema` (the output of `query`) its rows are unique by (see `viewKey`), when it
 * has a key and every one of them is found; an operator identifies such rows by them.
 */
function keyColumns(query: ViewQuery, schema: Schema, ctx: CompileContext): number[] | undefined {
  const names = viewKey(query, relationKeys(ctx.lookup));
  const columns = names.map((n) => schema.fields.findIndex((f) => f.name === n));
  return columns.length === 0 || columns.includes(-1) ? undefined : columns;
}

/** The operator of a step; a GROUP BY with keys and a top-N run as shards when there are operator threads. */
function operatorFor(
  query: Exclude<ViewQuery, { kind: "scan" | "join" | "union" }>,
  schema: Schema,
  id: string,
  ctx: CompileContext,
): ChangeOperator {
  const threads = ctx.threads;
  if (threads !== undefined && query.kind === "aggregate" && query.groupBy.length > 0) {
    const spec = {
      kind: "aggregate",
      id,
      input: columnsOf(schema),
      groupBy: query.groupBy,
      aggregates: query.aggregates,
    } as const;
    return new ShardedOperator(threads, spec);
  }
  if (query.kind === "topN") {
    // Rows unique by the input's key are identified by it (see topN's `key`), else by their content.
    const key = keyColumns(query.input, schema, ctx);
    const { orderBy, limit, offset } = query;
    if (threads !== undefined)
      return new ShardedTopN(threads, { id, input: columnsOf(schema), orderBy, limit, offset, key });
    return topN(schema, orderBy, limit, offset, { id, ...(key === undefined ? {} : { key }) });
  }
  switch (query.kind) {
    case "filter":
      return filter(schema, query.predicate);
    case "project":
      return project(schema, query.columns);
    case "aggregate":
      return groupAggregate(schema, query.groupBy, query.aggregates, { id });
    case "tumble":
      return tumble(schema, query.timeColumn, query.sizeUs);
    case "hop":
      return hop(schema, query.timeColumn, query.slideUs, query.sizeUs);
    case "temporalFilter":
      return temporalFilter(schema, query.timeColumn, query.windowUs, { id, inclusive: query.inclusive });
  }
}

/** How often a pipeline ticks its views (temporal filters retract what aged out). */
export const VIEW_TICK_MS = 1000;

/**
 * Calls `tick()` on every view every {@link VIEW_TICK_MS} (the timer does not keep the process
 * alive). Returns the stop function.
 */
export function tickViews(views: () => readonly ViewRelation[]): () => void {
  const timer = setInterval(() => {
    for (const v of views()) v.tick();
  }, VIEW_TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
