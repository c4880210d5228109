import { type Expr, type NamedExpr, exprEquals } from "@jetflow/operators";
import { QueryError } from "../errors.js";
import { type FromRelation, hasColumn, starColumns } from "../join-plan.js";
import type { Catalog, ViewQuery } from "../spec.js";
import type { AggregateCallSpec } from "../aggregate-call.js";
import { GroupedPlan, type OrderPlan, assembleView, orderColumnName } from "../view-plan.js";
import { DSL_ERRORS, type FromItem, columnOf, resolveFromItem, splitName } from "./from-item.js";
import type { Term } from "./value.js";

/**
 * One sort key of ORDER BY.
 * @example from("orders").orderBy(desc("amount", { nulls: "last" })).limit(10)
 */
export interface OrderKey {
  readonly term: Term;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

/**
 * Everything a query of the builder says, clause by clause.
 * @example from("orders").where(col("amount").gt(0)).parts.where // the predicate term
 */
export interface QueryParts {
  readonly from: FromItem;
  readonly where: Term | undefined;
  /** Output columns in order; undefined for every input column (`SELECT *`). */
  readonly select: readonly { readonly name: string; readonly term: Term }[] | undefined;
  readonly distinct: boolean;
  readonly groupBy: readonly Term[];
  readonly having: Term | undefined;
  readonly orderBy: readonly OrderKey[];
  readonly limit: { readonly count: number; readonly offset: number } | undefined;
}

/** How column references and aggregates translate where a term stands. */
interface Scope {
  column(name: string): Expr;
  aggregate(term: Term & { kind: "aggregate" }): Expr;
  /** Asked first for every term: may return its translation (a GROUP BY expression's output column). */
  intercept?(term: Term): Expr | undefined;
}

const col = (name: string): Expr => ({ kind: "column", name });

/** `select("*")`: every column; `select("o.*")`: every column of `o` (see {@link Query.select}). */
const STAR = { name: "*", term: { kind: "column", name: "*" } } as const;

const isStar = (item: {
  readonly name: string;
  readonly term: Term;
}): item is typeof STAR & { term: { name: string } } =>
  item.name === "*" && item.term.kind === "column" && (item.term.name === "*" || item.term.name.endsWith(".*"));

/**
 * Plans a builder query against the catalog into the tree the SQL front end builds for the same
 * SELECT: scan | join -> [tumble] -> [filter WHERE] -> [aggregate -> [filter HAVING]] -> project ->
 * [topN -> [project]], a project that keeps its input as is left out, output and internal
 * columns (`_a0`, `_g0`, `_o0`) named as SQL names them.
 *
 * @throws RelationNameError for an unknown relation or column, QueryError for a broken SQL rule
 * @example planQuery(from("orders").select({ id: col("id") }).parts, catalog)
 */
export function planQuery(parts: QueryParts, catalog: Catalog): ViewQuery {
  return new QueryPlanner(parts, catalog).plan();
}

/**
 * True when an aggregate call stands anywhere in the term.
 * @example containsAggregate(sum(col("a")).plus(1).term) // true
 */
export function containsAggregate(term: Term): boolean {
  switch (term.kind) {
    case "aggregate":
      return true;
    case "column":
    case "literal":
      return false;
    case "call":
      return term.args.some(containsAggregate);
    case "cast":
      return containsAggregate(term.expr);
    case "case":
      return [term.operand, ...term.branches.flatMap((b) => [b.when, b.then]), term.else].some(
        (t) => t !== undefined && containsAggregate(t),
      );
  }
}

class QueryPlanner {
  private readonly rel: FromRelation;
  private readonly items: readonly { readonly name: string; readonly term: Term }[];
  private readonly taken = new Set<string>();

  constructor(
    private readonly q: QueryParts,
    catalog: Catalog,
  ) {
    this.rel = resolveFromItem(q.from, catalog, q.from.kind === "join", (term, scope) =>
      this.expr(term, this.rowScope("join", scope)),
    );
    this.items = (q.select ?? [STAR]).flatMap((item) => (isStar(item) ? this.star(item.term.name) : [item]));
    if (this.items.length === 0) throw new QueryError("a materialized view needs at least one output column");
    for (const item of this.items) {
      if (this.taken.has(item.name)) {
        throw new QueryError(`output column "${item.name}" appears more than once; give each output its own name`);
      }
      this.taken.add(item.name);
    }
  }

  plan(): ViewQuery {
    const q = this.q;
    let input = this.rel.query;
    if (q.where !== undefined) input = { kind: "filter", input, predicate: this.expr(q.where, this.rowScope("where")) };
    const grouped =
      q.groupBy.length > 0 ||
      q.having !== undefined ||
      this.items.some((i) => containsAggregate(i.term)) ||
      q.orderBy.some((o) => containsAggregate(o.term));
    if (q.distinct) {
      if (grouped) throw new QueryError("distinct() cannot be combined with groupBy() or aggregates");
      return this.planDistinct(input);
    }
    return grouped ? this.planGrouped(input) : this.planPlain(input);
  }

  private planPlain(input: ViewQuery): ViewQuery {
    const scope = this.rowScope("select");
    const outputs = this.items.map((i) => ({ name: i.name, expr: this.expr(i.term, scope) }));
    const order = this.orderBy(outputs, scope, "hidden");
    return this.assemble(input, this.rel.outputs, outputs, order);
  }

  /** `distinct()`: a group-by of the outputs with no aggregates. */
  private planDistinct(input: ViewQuery): ViewQuery {
    const scope = this.rowScope("select");
    const outputs = this.items.map((i) => ({ name: i.name, expr: this.expr(i.term, scope) }));
    const order = this.orderBy(outputs, scope, "outputs only");
    const names = outputs.map((o) => o.name);
    return this.assemble(
      { kind: "aggregate", input, groupBy: outputs, aggregates: [] },
      names,
      names.map((n) => ({ name: n, expr: col(n) })),
      order,
    );
  }

  private planGrouped(input: ViewQuery): ViewQuery {
    const plan = new GroupedPlan(this.groupKeys(), this.taken);
    const argScope = this.rowScope("an aggregate's argument");
    const parts = (term: Term & { kind: "aggregate" }): AggregateCallSpec => this.aggregateCall(term, argScope);
    for (const item of this.items) {
      const term = item.term;
      if (term.kind === "aggregate") plan.nameAggregate(parts(term), item.name);
      else if (!containsAggregate(term)) plan.nameGroup(this.expr(term, this.rowScope("select")), item.name);
    }
    plan.nameRest();

    const scope: Scope = {
      column: (name) => {
        this.rowScope("select").column(name);
        throw new QueryError(`column "${name}" must appear in groupBy() or be used in an aggregate function`);
      },
      aggregate: (term) => plan.aggregateColumn(parts(term)),
      intercept: (term) =>
        containsAggregate(term) ? undefined : plan.intercept(this.expr(term, this.rowScope("groupBy"))),
    };
    const outputs = this.items.map((i) => ({ name: i.name, expr: this.expr(i.term, scope) }));
    const having = this.q.having === undefined ? undefined : this.expr(this.q.having, scope);
    const mark = plan.mark();
    const order = this.orderBy(outputs, scope, "hidden");
    // Without limit the order was only checked: drop the aggregates it alone asked for.
    if (order === undefined) plan.dropSince(mark);
    const { query, names } = plan.query(input, having);
    return this.assemble(query, names, outputs, order);
  }

  /** An aggregate term's call, its argument, FILTER and ORDER BY read in `argScope` (as SQL reads them). */
  private aggregateCall(term: Term & { kind: "aggregate" }, argScope: Scope): AggregateCallSpec {
    const arg = term.arg === undefined ? undefined : this.expr(term.arg, argScope);
    const orderBy = (term.orderBy ?? []).map((o) => ({
      expr: this.expr(o.term, argScope),
      desc: o.desc,
      nullsFirst: o.nullsFirst,
    }));
    if (term.distinct && orderBy.some((o) => arg === undefined || !exprEquals(o.expr, arg))) {
      throw new QueryError(`${term.fn}() with distinct: its orderBy may only sort by the aggregated value`);
    }
    return {
      fn: term.fn,
      arg,
      distinct: term.distinct,
      ...(term.filter === undefined ? {} : { filter: this.expr(term.filter, argScope) }),
      ...(term.delimiter === undefined ? {} : { delimiter: term.delimiter }),
      ...(orderBy.length === 0 ? {} : { orderBy }),
    };
  }

  private assemble(
    input: ViewQuery,
    inputNames: readonly string[],
    outputs: readonly NamedExpr[],
    order: OrderPlan | undefined,
  ): ViewQuery {
    return assembleView(input, inputNames, outputs, order, this.q.limit);
  }

  /** groupBy() keys, deduplicated: a bare name is an input column first, an output name if no input column has it. */
  private groupKeys(): { expr: Expr; name: string | undefined }[] {
    const groups: { expr: Expr; name: string | undefined }[] = [];
    for (const key of this.q.groupBy) {
      let term = key;
      if (key.kind === "column" && !hasColumn(this.rel, key.name) && this.plain(key.name)) {
        term = this.items.find((i) => i.name === key.name)?.term ?? key;
      }
      const e = this.expr(term, this.rowScope("groupBy"));
      if (!groups.some((g) => exprEquals(g.expr, e))) groups.push({ expr: e, name: undefined });
    }
    return groups;
  }

  /**
   * orderBy() keys over the output columns (undefined without limit: a view is a set of rows, the
   * order only checked): an output name refers to that column; another expression equal to an
   * output uses it; any other becomes a hidden column (`"outputs only"`, for distinct(), rejects those).
   */
  private orderBy(
    outputs: readonly NamedExpr[],
    scope: Scope,
    others: "hidden" | "outputs only",
  ): OrderPlan | undefined {
    const orderBy: OrderPlan["orderBy"][number][] = [];
    const hidden: NamedExpr[] = [];
    for (const { term, desc, nullsFirst } of this.q.orderBy) {
      const named =
        term.kind === "column" && this.plain(term.name) ? outputs.find((o) => o.name === term.name)?.name : undefined;
      const name = named ?? orderColumnName(this.expr(term, scope), outputs, hidden, this.taken, others === "hidden");
      if (name === undefined) throw new QueryError("with distinct(), orderBy() may only name output columns");
      orderBy.push({ expr: col(name), desc, nullsFirst });
    }
    return this.q.limit === undefined ? undefined : { orderBy, hidden };
  }

  /**
   * `*` / `q.*`: every column (of `q`), each qualified so that a name both sides of a join have is
   * not ambiguous where it is resolved (as SQL's expansion of `*` does).
   */
  private star(name: string): { name: string; term: Term }[] {
    const columns = starColumns(this.rel, name === "*" ? undefined : name.slice(0, -2), DSL_ERRORS);
    return columns.map(({ name, qualifier: q }) => ({
      name,
      term: { kind: "column", name: q === undefined ? name : `${q}.${name}` },
    }));
  }

  /** Whether a name is a plain one, not `qualifier.column` (which never names an output column). */
  private plain(name: string): boolean {
    return splitName(this.rel, name).qualifier === undefined;
  }

  /** Columns of the input (`rel`: of FROM); aggregates refused (`clause` names where they stood). */
  private rowScope(clause: string, rel: FromRelation = this.rel): Scope {
    return {
      column: (name) => columnOf(rel, name),
      aggregate: () => {
        throw new QueryError(
          clause === "an aggregate's argument"
            ? "aggregate function calls cannot be nested"
            : `aggregate functions are not allowed in ${clause}()`,
        );
      },
    };
  }

  /** A term as an operators expression, names and aggregates resolved by the scope. */
  private expr(term: Term, scope: Scope): Expr {
    const intercepted = scope.intercept?.(term);
    if (intercepted !== undefined) return intercepted;
    const sub = (t: Term) => this.expr(t, scope);
    switch (term.kind) {
      case "column":
        return scope.column(term.name);
      case "literal":
        return term;
      case "call":
        return { kind: "call", fn: term.fn, args: term.args.map(sub) };
      case "cast":
        return { kind: "cast", expr: sub(term.expr), type: term.type };
      case "case":
        return {
          kind: "case",
          operand: term.operand === undefined ? undefined : sub(term.operand),
          // biome-ignore lint/suspicious/noThenProperty: the Expr contract names CASE branches { when, then }
          branches: term.branches.map((b) => ({ when: sub(b.when), then: sub(b.then) })),
          else: term.else === undefined ? undefined : sub(term.else),
        };
      case "aggregate":
        return scope.aggregate(term);
    }
  }
}
