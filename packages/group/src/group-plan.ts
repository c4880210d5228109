import type { ColumnDef } from "@jetflow/core";
import { type AggregateCall, col, type Expr, type NamedExpr, renameColumns } from "@jetflow/operators";
import { partitionOf } from "./partition.js";
import {
  type IngestSpec,
  partitionTokenOf,
  type PipelinePlan,
  type PlannedRelation,
  type RelationKind,
  RelationNameError,
  type SinkSpec,
  type SourceSpec,
  type Statement,
  type TableSpec,
  type ViewQuery,
  partitionShareOptions,
} from "@jetflow/pipeline";

/**
 * One step of a partition's pipeline, in order (see {@link planGroup}): a planned statement, a
 * relation fed by partition p of an exchange edge, or an exchange edge written from a relation.
 * `only`: the step runs in that partition's pipeline alone (a router: one reader per input).
 */
export type PartitionStep = (
  | { readonly kind: "statement"; readonly statement: Statement }
  | {
      readonly kind: "feed";
      readonly name: string;
      readonly edge: string;
      /** What the fed relation is to the views over it (see `FeedSpec`). */
      readonly as: RelationKind;
      /* `edge` empty: a feed that never delivers (a source, where its router is not). */
      readonly columns: readonly ColumnDef[] | { readonly like: string };
      readonly key: readonly string[];
    }
  | {
      readonly kind: "output";
      readonly name: string;
      readonly relation: string;
      readonly edge: string;
      /** The relation's columns whose values pick the partition a row goes to. */
      readonly key: readonly string[];
      /** The edge feeds a table keyed by `key` with inserts: each key's last row per epoch is enough. */
      readonly lastPerKey?: boolean;
    }
) & { readonly only?: number };

/**
 * How a relation's rows are spread over the partitions: every row is in partition
 * `partitionOfRow(row's values of these columns)`; an empty list puts every row in one partition
 * (`partitionOf([], N)`); `{ at: p }`: every row is in partition p, where the relation alone runs
 * (a source read by its router, and what runs where it is). Undefined: rows may be in any partition.
 */
export type Placement = readonly string[] | { readonly at: number } | undefined;

/** The partition a placement puts every row in, if it does. */
export function onePartitionOf(placement: Placement, partitions: number): number | undefined {
  if (placement === undefined) return undefined;
  if (!isColumns(placement)) return placement.at;
  return placement.length === 0 ? partitionOf([], partitions) : undefined;
}

/** The key columns of a placement by columns; undefined for the others. */
export function placementColumns(placement: Placement): readonly string[] | undefined {
  return placement !== undefined && isColumns(placement) ? placement : undefined;
}

function isColumns(placement: NonNullable<Placement>): placement is readonly string[] {
  return Array.isArray(placement);
}

/** A relation of the SQL, and where its rows are. */
export interface PlacedRelation {
  readonly kind: RelationKind;
  readonly columns: readonly ColumnDef[];
  readonly placement: Placement;
}

/** A SQL pipeline cut into what every partition of a group runs. */
export interface GroupPlan {
  readonly partitions: number;
  /** Every step, in order; {@link stepsOf} gives one partition's. */
  readonly steps: readonly PartitionStep[];
  /** The relations the SQL defines (not the ones the plan adds): kind, columns and placement. */
  readonly relations: ReadonlyMap<string, PlacedRelation>;
  /** The exchange edges, in order. */
  readonly edges: readonly string[];
}

/** The steps partition `p` runs. */
export function stepsOf(plan: GroupPlan, p: number): PartitionStep[] {
  return plan.steps.filter((s) => s.only === undefined || s.only === p);
}

/** A planned subtree: its query as the partition pipeline runs it, its output names and placement. */
interface Placed {
  readonly query: ViewQuery;
  readonly names: readonly string[];
  readonly placement: Placement;
}

/** The prefix of every relation and sink the plan adds; SQL names may not start with it. */
export const HIDDEN_PREFIX = "__jf_";

/**
 * Cuts a pipeline into the stages a group runs, Kafka Streams style: every keyed operator runs
 * where its key's rows are, and wherever an operator needs its input spread by another key than
 * the input is, the input crosses an exchange edge partitioned by that key.
 *
 * - A source or table is read by one router (in partition `i mod N` for the i-th): a source
 *   `__jf_in<i>` over the SQL's stream that decodes every message, then routes the rows to edge
 *   `in<i>` by the table's primary key (a source's or append-only table's: all its columns). In
 *   every partition the relation itself is fed by that edge: the same name, kind, columns and key
 *   as in one process, so every view over it plans as it would there.
 * - A source or table whose stream the server partitions (WITH `group.partition_token = 'K'`) has
 *   no router: partition p's pipeline creates the relation itself over its share, token K of the
 *   subject replaced by p. A table's rows are then placed by its primary key (the server's
 *   partition tokens must be the key's values as text, in key order, and its N the group's
 *   partition count); a source's rows may be in any partition.
 * - GROUP BY needs its input spread by the group expressions; a global aggregate and a top-N by
 *   nothing (one partition); a join by its equi-keys, each side by its own. Filters, projections,
 *   windows and unions run where their input is.
 * - A cut turns the input subtree into a hidden view `__jf_x<k>_up` (plus the key expressions that
 *   are not plain columns, as columns `__jf_k<j>`), writes it to edge `x<k>` by that key, and the
 *   consumer reads a hidden feed `__jf_x<k>` instead of the subtree.
 * - Sinks run in every partition over the partition's rows of their relation.
 *
 * Deterministic: every member plans the same steps from the same SQL.
 * @throws RelationNameError when a name of the SQL starts with the hidden prefix
 */
export function planGroup(plan: PipelinePlan, partitions: number): GroupPlan {
  return new GroupPlanner(plan, partitions).plan();
}

class GroupPlanner {
  private readonly steps: PartitionStep[] = [];
  private readonly edges: string[] = [];
  private readonly names = new Map<string, readonly string[]>();
  private readonly placements = new Map<string, Placement>();
  private readonly relations = new Map<string, PlacedRelation>();
  private cuts = 0;

  constructor(
    private readonly given: PipelinePlan,
    private readonly partitions: number,
  ) {}

  plan(): GroupPlan {
    for (const r of this.given.relations) {
      if (r.name.startsWith(HIDDEN_PREFIX) || this.given.sinks.some((s) => s.name.startsWith(HIDDEN_PREFIX))) {
        throw new RelationNameError(
          `in a group, names may not start with "${HIDDEN_PREFIX}" (they name what the group adds)`,
        );
      }
    }
    let ingests = 0;
    for (const r of this.given.relations) {
      if (r.query !== undefined) this.view(r.name, r.query);
      else this.ingest(r, ingests++);
      this.relations.set(r.name, { kind: r.kind, columns: r.columns, placement: this.placements.get(r.name) });
    }
    for (const s of this.given.sinks) this.sink(s.name, s.spec);
    return { partitions: this.partitions, steps: this.steps, relations: this.relations, edges: this.edges };
  }

  private ingest(r: PlannedRelation, index: number): void {
    const spec = r.ingest;
    if (spec === undefined) throw new Error(`internal: relation "${r.name}" is neither an ingest nor a view`);
    const token = partitionTokenOf(spec.with);
    if (token !== undefined) {
      this.partitioned(r, spec, token);
      return;
    }
    const router = `${HIDDEN_PREFIX}in${index}`;
    const edge = `in${index}`;
    const only = index % this.partitions;
    const names = r.columns.map((c) => c.name);
    const keyed = r.kind === "table" && r.key.length > 0;
    if (r.kind === "source") {
      // A source keeps nothing: it stays where its router reads it, and whatever needs its rows
      // spread by a key takes them from there in one hop. Elsewhere it is a feed that never
      // delivers, so that what reads it plans (and stays empty) in every partition.
      for (let p = 0; p < this.partitions; p++) {
        this.steps.push(
          p === only
            ? {
                kind: "statement",
                only: p,
                statement: { kind: "create_source", name: r.name, ifNotExists: false, spec },
              }
            : { kind: "feed", only: p, name: r.name, edge: "", as: "source", columns: r.columns, key: [] },
        );
      }
      this.define(r.name, names, { at: only });
      return;
    }
    const key = keyed ? r.key : names;
    const source: SourceSpec = { columns: spec.columns, include: spec.include, with: spec.with, format: spec.format };
    this.steps.push(
      { kind: "statement", only, statement: { kind: "create_source", name: router, ifNotExists: false, spec: source } },
      { kind: "output", only, name: `${router}_out`, relation: router, edge, key, lastPerKey: keyed },
      { kind: "feed", name: r.name, edge, as: r.kind, columns: r.columns, key: r.key },
    );
    this.edges.push(edge);
    this.define(r.name, names, key);
  }

  /**
   * An input the server partitions: partition p reads subject token `token` = p, so each
   * partition decodes its own share and keeps its own rows of the table; nothing crosses an edge.
   */
  private partitioned(r: PlannedRelation, spec: IngestSpec | TableSpec, token: number): void {
    for (let p = 0; p < this.partitions; p++) {
      const own = { with: partitionShareOptions(spec.with, token, p) };
      const statement: Statement =
        r.kind === "table" && "primaryKey" in spec
          ? { kind: "create_table", name: r.name, ifNotExists: false, spec: { ...spec, ...own } }
          : { kind: "create_source", name: r.name, ifNotExists: false, spec: { ...spec, ...own } };
      this.steps.push({ kind: "statement", only: p, statement });
    }
    const keyed = r.kind === "table" && r.key.length > 0;
    this.define(
      r.name,
      r.columns.map((c) => c.name),
      keyed ? r.key : undefined,
    );
  }

  private view(name: string, query: ViewQuery): void {
    const placed = this.place(query);
    this.steps.push({
      kind: "statement",
      ...this.where(placed.placement),
      statement: { kind: "create_view", name, ifNotExists: false, query: placed.query },
    });
    this.define(name, placed.names, placed.placement);
  }

  private sink(name: string, spec: SinkSpec): void {
    const placed = spec.from.kind === "query" ? this.place(spec.from.query) : undefined;
    const from: SinkSpec["from"] = placed === undefined ? spec.from : { kind: "query", query: placed.query };
    const placement =
      placed === undefined ? this.placements.get((spec.from as { name: string }).name) : placed.placement;
    this.steps.push({
      kind: "statement",
      ...this.where(placement),
      statement: { kind: "create_sink", name, ifNotExists: false, spec: { ...spec, from } },
    });
  }

  /**
   * Where a relation of this placement runs: every partition, or for rows that all go to one
   * partition by an empty key (a global aggregate, a top-N), that partition alone, so that no other
   * holds an empty copy (a global count's initial 0) nor writes it to a sink or an edge. (What a
   * source at its router's partition feeds runs everywhere, empty elsewhere.)
   */
  private where(placement: Placement): { only?: number } {
    const columns = placementColumns(placement);
    return columns !== undefined && columns.length === 0 ? { only: partitionOf([], this.partitions) } : {};
  }

  private define(name: string, names: readonly string[], placement: Placement): void {
    this.names.set(name, names);
    this.placements.set(name, placement);
  }

  /** A subtree as a partition runs it: cut where a keyed operator needs another spread. */
  private place(q: ViewQuery): Placed {
    switch (q.kind) {
      case "scan": {
        const names = this.names.get(q.relation);
        if (names === undefined) throw new Error(`internal: view reads "${q.relation}", planned before it`);
        return { query: q, names, placement: this.placements.get(q.relation) };
      }
      case "filter":
      case "temporalFilter": {
        const input = this.place(q.input);
        return { ...input, query: { ...q, input: input.query } };
      }
      case "tumble":
      case "hop": {
        const input = this.place(q.input);
        return {
          query: { ...q, input: input.query },
          names: [...input.names, "window_start", "window_end"],
          placement: input.placement,
        };
      }
      case "project": {
        const input = this.place(q.input);
        return {
          query: { ...q, input: input.query },
          names: q.columns.map((c) => c.name),
          placement: projected(input.placement, q.columns),
        };
      }
      case "union": {
        const inputs = q.inputs.map((i) => this.place(i));
        const first = inputs[0] as Placed;
        const at = (p: Placed) => placementColumns(p.placement)?.map((c) => p.names.indexOf(c));
        const same = inputs.every((p) => placementColumns(p.placement) !== undefined && sameList(at(p), at(first)));
        return {
          query: { ...q, inputs: inputs.map((i) => i.query) },
          names: first.names,
          placement: same ? first.placement : undefined,
        };
      }
      case "aggregate": {
        const placed = this.place(q.input);
        const combined = this.combined(q, placed);
        if (combined !== undefined) return combined;
        const input = this.require(
          placed,
          q.groupBy.map((g) => g.expr),
        );
        return {
          query: { ...q, input },
          names: [...q.groupBy.map((g) => g.name), ...q.aggregates.map((a) => a.name)],
          placement: q.groupBy.map((g) => g.name),
        };
      }
      case "topN": {
        const input = this.place(q.input);
        return { query: { ...q, input: this.require(input, []) }, names: input.names, placement: [] };
      }
      case "join":
        return this.join(q);
    }
  }

  private join(q: Extract<ViewQuery, { kind: "join" }>): Placed {
    const left = this.place(q.left);
    const right = this.place(q.right);
    const width = left.names.length;
    // `on` reads the join's output names; each side is cut by its own names.
    const side = (offset: number, names: readonly string[]) => (name: string) =>
      names[q.names.indexOf(name) - offset] ?? name;
    const leftKeys = q.on.map((p) => renameColumns(p.left, side(0, left.names)));
    const rightKeys = q.on.map((p) => renameColumns(p.right, side(width, right.names)));
    const keyNames = (keys: readonly Expr[], offset: number): Placement =>
      keys.every((k) => k.kind === "column")
        ? q.on.map((p) => ((offset === 0 ? p.left : p.right) as { name: string }).name)
        : undefined;
    // An outer side's NULL-padded rows carry no key of the other side.
    const placement =
      q.join === "full" ? undefined : q.join === "right" ? keyNames(rightKeys, width) : keyNames(leftKeys, 0);
    return {
      query: { ...q, left: this.require(left, leftKeys), right: this.require(right, rightKeys) },
      names: q.names,
      placement,
    };
  }

  /**
   * A new exchange edge: `upQuery` as a hidden view where its input is (`placement`), written to
   * the edge by `key` (its columns), read back in every partition (in one, for an empty key) as a
   * hidden feed, whose name this returns.
   */
  private edge(upQuery: ViewQuery, placement: Placement, key: readonly string[]): string {
    const k = ++this.cuts;
    const up = `${HIDDEN_PREFIX}x${k}_up`;
    const fed = `${HIDDEN_PREFIX}x${k}`;
    const edge = `x${k}`;
    const upWhere = this.where(placement);
    this.steps.push(
      {
        kind: "statement",
        ...upWhere,
        statement: { kind: "create_view", name: up, ifNotExists: false, query: upQuery },
      },
      { kind: "output", ...upWhere, name: `${up}_out`, relation: up, edge, key },
      {
        kind: "feed",
        ...this.where(key.length === 0 ? [] : undefined),
        name: fed,
        edge,
        as: "view",
        columns: { like: up },
        key: [],
      },
    );
    this.edges.push(edge);
    return fed;
  }

  /**
   * A GROUP BY over a source's rows (append-only: a scan of a source, filtered) whose aggregates
   * combine (count, sum, min, max, none DISTINCT): the edge carries running partial aggregates per
   * group (each changed group's first old and last new partial per epoch) instead of every row,
   * and the consumer merges them (sum of counts and sums, min of mins, max of maxes), cast back to
   * the types one process gives. Undefined when the aggregate does not qualify or needs no edge.
   */
  private combined(q: Extract<ViewQuery, { kind: "aggregate" }>, input: Placed): Placed | undefined {
    const source = appendOnlySource(q.input, this.given);
    if (source === undefined || !q.groupBy.every((g) => g.expr.kind === "column")) return undefined;
    const groups = q.groupBy.map((g) => (g.expr as { name: string }).name);
    if (sameList(placementColumns(input.placement), groups)) return undefined;
    const home = partitionOf([], this.partitions);
    if (groups.length === 0 && onePartitionOf(input.placement, this.partitions) === home) return undefined;
    const merges: { readonly partial: AggregateCall; readonly merge: AggregateCall; readonly cast: boolean }[] = [];
    for (const [i, a] of q.aggregates.entries()) {
      if (a.distinct || (a.orderBy?.length ?? 0) > 0 || !["count", "sum", "min", "max"].includes(a.fn))
        return undefined;
      const type =
        a.arg?.kind === "column" ? source.find((c) => c.name === (a.arg as { name: string }).name)?.type : undefined;
      if (a.arg !== undefined && type === undefined) return undefined;
      const partialName = `${HIDDEN_PREFIX}p${i}`;
      const smallSum = a.fn === "sum" && (type?.kind === "integer" || type?.kind === "smallint");
      merges.push({
        partial: { ...a, name: partialName },
        merge: {
          name: `${HIDDEN_PREFIX}m${i}`,
          fn: a.fn === "count" ? "sum" : a.fn,
          arg: col(partialName),
          distinct: false,
        },
        // sum(bigint) is numeric: a count (bigint) and a sum of integers (bigint) are cast back.
        cast: a.fn === "count" || smallSum,
      });
    }
    const partial: ViewQuery = { ...q, input: input.query, aggregates: merges.map((m) => m.partial) };
    const fed = this.edge(
      partial,
      input.placement,
      q.groupBy.map((g) => g.name),
    );
    const merged: ViewQuery = {
      kind: "aggregate",
      input: { kind: "scan", relation: fed },
      groupBy: q.groupBy.map((g) => ({ name: g.name, expr: col(g.name) })),
      aggregates: merges.map((m) => m.merge),
    };
    const bigint = { kind: "bigint" } as const;
    const columns: NamedExpr[] = [
      ...q.groupBy.map((g) => ({ name: g.name, expr: col(g.name) })),
      ...merges.map((m, i) => {
        const value = col(m.merge.name);
        const name = (q.aggregates[i] as AggregateCall).name;
        return { name, expr: m.cast ? ({ kind: "cast", expr: value, type: bigint } as Expr) : value };
      }),
    ];
    return {
      query: { kind: "project", input: merged, columns },
      names: columns.map((c) => c.name),
      placement: q.groupBy.map((g) => g.name),
    };
  }

  /**
   * The subtree's query, spread by the values of `keys` (expressions over its names): as it is
   * when it is spread so already, else read from a new exchange edge.
   */
  private require(input: Placed, keys: readonly Expr[]): ViewQuery {
    const plain = keys.every((k) => k.kind === "column");
    const columns = keys.map((k) => (k.kind === "column" ? k.name : ""));
    if (plain && sameList(placementColumns(input.placement), columns)) return input.query;
    // Everything in one partition already, where an empty key puts it too: nothing to move.
    const at = onePartitionOf(input.placement, this.partitions);
    if (keys.length === 0 && at !== undefined && at === partitionOf([], this.partitions)) return input.query;
    const extra: NamedExpr[] = plain ? [] : keys.map((e, j) => ({ name: `${HIDDEN_PREFIX}k${j}`, expr: e }));
    const upQuery: ViewQuery =
      extra.length === 0
        ? input.query
        : {
            kind: "project",
            input: input.query,
            columns: [...input.names.map((n) => ({ name: n, expr: col(n) })), ...extra],
          };
    const fed = this.edge(upQuery, input.placement, plain ? columns : extra.map((e) => e.name));
    const scan: ViewQuery = { kind: "scan", relation: fed };
    // The key columns added for the edge are dropped again: the consumer sees the subtree's names.
    return extra.length === 0
      ? scan
      : { kind: "project", input: scan, columns: input.names.map((n) => ({ name: n, expr: col(n) })) };
  }
}

/**
 * The columns of the source a query reads when it is a scan of a source, filtered (rows only ever
 * inserted, as they came); undefined for anything else.
 */
function appendOnlySource(q: ViewQuery, plan: PipelinePlan): readonly ColumnDef[] | undefined {
  if (q.kind === "filter") return appendOnlySource(q.input, plan);
  if (q.kind !== "scan") return undefined;
  const r = plan.relations.find((x) => x.name === q.relation);
  return r?.kind === "source" ? r.columns : undefined;
}

/** A placement through a projection: each key column must pass through as a plain column. */
function projected(placement: Placement, columns: readonly NamedExpr[]): Placement {
  if (placement === undefined || !isColumns(placement)) return placement;
  const out: string[] = [];
  for (const key of placement) {
    const kept = columns.find((c) => c.expr.kind === "column" && c.expr.name === key);
    if (kept === undefined) return undefined;
    out.push(kept.name);
  }
  return out;
}

function sameList(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
