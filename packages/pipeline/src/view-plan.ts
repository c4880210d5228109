import { type AggregateOrder, type Expr, type NamedExpr, exprEquals, readsColumns } from "@jetflow/operators";
import { type AggregateCallSpec, type AggregateParts, aggregateCallExpr, aggregatePartsOf } from "./aggregate-call.js";
import type { ViewQuery } from "./spec.js";

// The steps of planning a SELECT that do not depend on how it was written: the SQL front end and
// the TypeScript query builder both plan through these, so the same query gives the same tree.

/**
 * One sort key over an output (or hidden) column.
 * @example const key: OrderColumn = { expr: col("n"), desc: true, nullsFirst: true };
 */
export type OrderColumn = { readonly expr: Expr; readonly desc: boolean; readonly nullsFirst: boolean };

/**
 * ORDER BY as planned: keys over output columns, and the hidden columns computed only to sort by.
 * @example assembleView(input, names, outputs, { orderBy: [key], hidden: [] }, { count: 10, offset: 0 })
 */
export interface OrderPlan {
  readonly orderBy: readonly OrderColumn[];
  /** ORDER BY expressions that are not output columns: computed by the project, dropped after top-N. */
  readonly hidden: readonly NamedExpr[];
}

/**
 * `LIMIT count OFFSET offset`.
 * @example const limit: LimitPlan = { count: 10, offset: 0 };
 */
export interface LimitPlan {
  readonly count: number;
  readonly offset: number;
}

/** Whether two aggregate calls compute the same thing (then one column serves both). */
function sameAggregate(a: AggregateParts, b: AggregateParts): boolean {
  const ao = a.orderBy ?? [];
  const bo = b.orderBy ?? [];
  return (
    a.fn === b.fn &&
    a.distinct === b.distinct &&
    (a.arg === undefined ? b.arg === undefined : b.arg !== undefined && exprEquals(a.arg, b.arg)) &&
    (a.delimiter ?? null) === (b.delimiter ?? null) &&
    ao.length === bo.length &&
    ao.every((o, i) => {
      const p = bo[i] as AggregateOrder;
      return o.desc === p.desc && o.nullsFirst === p.nullsFirst && exprEquals(o.expr, p.expr);
    })
  );
}

const col = (name: string): Expr => ({ kind: "column", name });

/**
 * A name for an internal column (`_a0`, `_g1`, `_o0`) that no name in `taken` has; taken with it.
 * @example freshName(new Set(["_a0"]), "_a") // "_a1"
 */
export function freshName(taken: Set<string>, prefix: string): string {
  for (let i = 0; ; i++) {
    const name = `${prefix}${i}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

/**
 * The output column an ORDER BY expression sorts by: an output equal to it, a hidden column
 * already added for it, else a new hidden column (`_o0`); undefined when `hidden` is refused
 * (SELECT DISTINCT sorts by outputs only).
 *
 * @example orderColumnName(col("a"), [{ name: "a", expr: col("a") }], [], taken, true) // "a"
 */
export function orderColumnName(
  e: Expr,
  outputs: readonly NamedExpr[],
  hidden: NamedExpr[],
  taken: Set<string>,
  allowHidden: boolean,
): string | undefined {
  const name = outputs.find((o) => exprEquals(o.expr, e))?.name ?? hidden.find((h) => exprEquals(h.expr, e))?.name;
  if (name !== undefined || !allowHidden) return name;
  const added = freshName(taken, "_o");
  hidden.push({ name: added, expr: e });
  return added;
}

/**
 * project (unless it keeps its input as is) -> [topN -> [project dropping hidden order columns]].
 *
 * @example assembleView(scan, ["a", "b"], [{ name: "a", expr: col("a") }, { name: "b", expr: col("b") }], undefined, undefined) // scan
 */
export function assembleView(
  input: ViewQuery,
  inputNames: readonly string[],
  outputs: readonly NamedExpr[],
  order: OrderPlan | undefined,
  limit: LimitPlan | undefined,
): ViewQuery {
  const project = (columns: readonly NamedExpr[]): ViewQuery => {
    const identity =
      columns.length === inputNames.length &&
      columns.every((c, i) => c.name === inputNames[i] && c.expr.kind === "column" && c.expr.name === c.name);
    return identity ? input : { kind: "project", input, columns };
  };
  if (limit === undefined || order === undefined) return project(outputs);
  const top: ViewQuery = {
    kind: "topN",
    input: project([...outputs, ...order.hidden]),
    orderBy: order.orderBy,
    limit: limit.count,
    offset: limit.offset,
  };
  if (order.hidden.length === 0) return top;
  return { kind: "project", input: top, columns: outputs.map((o) => ({ name: o.name, expr: col(o.name) })) };
}

/**
 * The group keys and aggregates of a grouped SELECT as they are found: select-list items that are
 * exactly a key or an aggregate lend it their name (so `SELECT k, count(*) AS n ... GROUP BY k`
 * needs no project after the aggregate), other aggregates get `_a0`, unnamed keys their column
 * name or `_g0`.
 *
 * @example
 * ```ts
 * const g = new GroupedPlan([{ expr: col("k"), name: undefined }], taken);
 * g.nameAggregate({ fn: "count", arg: undefined, distinct: false }, "n");
 * g.nameRest();
 * g.query(input, undefined); // aggregate k, n
 * ```
 */
export class GroupedPlan {
  private readonly aggregates: (AggregateParts & { readonly name: string })[] = [];

  constructor(
    private readonly groups: { readonly expr: Expr; name: string | undefined }[],
    private readonly taken: Set<string>,
  ) {}

  private find(parts: AggregateParts) {
    return this.aggregates.find((a) => sameAggregate(a, parts));
  }

  private group(e: Expr) {
    return this.groups.find((g) => exprEquals(g.expr, e));
  }

  /**
   * A select-list item that is exactly this aggregate: the aggregate takes the item's name (one
   * planned over counts is an expression, computed after the aggregate step, so it names none).
   */
  nameAggregate(call: AggregateCallSpec, name: string): void {
    const parts = aggregatePartsOf(call);
    if (parts !== undefined && this.find(parts) === undefined) this.aggregates.push({ ...parts, name });
  }

  /** A select-list item that is exactly a group key: the key takes the item's name, unless named already. */
  nameGroup(e: Expr, name: string): void {
    const group = this.group(e);
    if (group !== undefined && group.name === undefined) group.name = name;
  }

  /** After the select list: aggregates' names taken, unnamed keys named. */
  nameRest(): void {
    for (const a of this.aggregates) this.taken.add(a.name);
    for (const g of this.groups) {
      if (g.name === undefined)
        g.name = g.expr.kind === "column" && !this.taken.has(g.expr.name) ? g.expr.name : freshName(this.taken, "_g");
      this.taken.add(g.name);
    }
  }

  /** An aggregate inside an expression: the column of an equal one, or of a new `_aN` (an expression over such columns for bool_and / bool_or / every). */
  aggregateColumn(call: AggregateCallSpec): Expr {
    return aggregateCallExpr(call, (parts) => this.column(parts));
  }

  private column(parts: AggregateParts): Expr {
    const found = this.find(parts);
    if (found !== undefined) return col(found.name);
    const name = freshName(this.taken, "_a");
    this.aggregates.push({ ...parts, name });
    return col(name);
  }

  /** A subexpression without aggregates: a group key's column, a constant as is, else undefined (translate on). */
  intercept(e: Expr): Expr | undefined {
    const group = this.group(e);
    if (group !== undefined) return col(group.name as string);
    return readsColumns(e) ? undefined : e;
  }

  /** How many aggregates there are now, for {@link dropSince}. */
  mark(): number {
    return this.aggregates.length;
  }

  /** Drops the aggregates added after `mark` (those an ORDER BY without LIMIT alone asked for). */
  dropSince(mark: number): void {
    this.aggregates.length = mark;
  }

  /** aggregate [-> filter HAVING], and the names of its columns. */
  query(input: ViewQuery, having: Expr | undefined): { query: ViewQuery; names: string[] } {
    let query: ViewQuery = {
      kind: "aggregate",
      input,
      groupBy: this.groups.map((g) => ({ name: g.name as string, expr: g.expr })),
      aggregates: this.aggregates.map((a) => ({
        name: a.name,
        fn: a.fn,
        arg: a.arg,
        distinct: a.distinct,
        ...(a.delimiter === undefined ? {} : { delimiter: a.delimiter }),
        ...(a.orderBy === undefined || a.orderBy.length === 0 ? {} : { orderBy: a.orderBy }),
      })),
    };
    if (having !== undefined) query = { kind: "filter", input: query, predicate: having };
    return { query, names: [...this.groups.map((g) => g.name as string), ...this.aggregates.map((a) => a.name)] };
  }
}
