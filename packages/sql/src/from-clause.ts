import { ErrorCode } from "@jetflow/core";
import type { Expr, JoinKind } from "@jetflow/operators";
import {
  type Catalog,
  type FromRelation,
  type JoinCondition,
  type ViewQuery,
  andAll,
  bothSides,
  checkDistinctNames,
  checkTemporalRight,
  commonNames,
  conjuncts,
  entryRelation,
  joinRelations,
} from "@jetflow/pipeline";
import type { JoinExpr, Node, SelectStmt } from "libpg-query";
import { lookup, planErrors } from "./from-scope.js";
import { windowFunction } from "./window-clause.js";
import { type SelectSource, firstLocation, nameParts, nodeKind, nodeLocation } from "./select-ast.js";

/** What resolving FROM needs from the planner. */
export interface FromContext {
  readonly catalog: Catalog;
  /** Translates a row-level expression (WHERE, ON) over `rel`. */
  translate(node: Node, rel: FromRelation, clause: string): Expr;
  /** Plans a subquery in FROM (a derived table or a CTE): its query and output column names. */
  subquery(stmt: SelectStmt, location: number | undefined): PlannedQuery;
  /** `WITH` queries in scope, by name. */
  readonly ctes: ReadonlyMap<string, PlannedQuery>;
}

/** A planned SELECT: its query and output column names. */
export interface PlannedQuery {
  readonly query: ViewQuery;
  readonly names: readonly string[];
}

/**
 * Resolves the FROM clause against the catalog: one relation (`rel [AS alias]`,
 * `TUMBLE(rel, time_col, INTERVAL '...')`, `(SELECT ...) AS t`, a WITH query) or a join tree of
 * several (`JOIN ... ON`, `USING`, `NATURAL`, comma-separated items joined by equalities in WHERE).
 * Returns the relation and what is left of WHERE (translated) once comma joins took their equalities.
 */
export function resolveFrom(
  sel: SelectSource,
  from: readonly Node[] | undefined,
  where: Node | undefined,
  ctx: FromContext,
): { rel: FromRelation; where: Expr | undefined } {
  const first = from?.[0];
  if (from === undefined || first === undefined) {
    throw sel.error(ErrorCode.SqlUnsupported, undefined, "a materialized view needs FROM a table, source or view");
  }
  if (from.length === 1) {
    const rel = fromItem(sel, first, ctx, "JoinExpr" in first);
    return { rel, where: where === undefined ? undefined : ctx.translate(where, rel, "WHERE") };
  }
  // Comma joins: the items are joined left to right by the equalities WHERE has between them.
  const items = from.map((n) => fromItem(sel, n, ctx, true));
  const itemErrors = (i: number) => planErrors(sel, nodeLocation(from[i]) ?? firstLocation(from[i]));
  items.forEach((item, i) => {
    for (let j = 0; j < i; j++) checkDistinctNames(items[j] as FromRelation, item, itemErrors(i));
  });
  const scope = items.slice(1).reduce(bothSides, items[0] as FromRelation);
  const remaining = where === undefined ? [] : conjuncts(ctx.translate(where, scope, "WHERE"));
  let rel = items[0] as FromRelation;
  items.slice(1).forEach((item, i) => {
    const condition = { kind: "where" as const, conjuncts: remaining };
    rel = joinRelations("inner", rel, item, condition, false, itemErrors(i + 1));
  });
  return { rel, where: remaining.length === 0 ? undefined : andAll(remaining) };
}

/** One item of FROM; `prefixed` inside a join (its columns are then named `qualifier.column`). */
function fromItem(sel: SelectSource, item: Node, ctx: FromContext, prefixed: boolean): FromRelation {
  if ("RangeVar" in item) {
    const rv = item.RangeVar;
    const location = rv.location;
    if (rv.schemaname !== undefined) {
      throw sel.error(
        ErrorCode.SqlUnsupported,
        location,
        `schema-qualified names are not supported: ${rv.schemaname}.${rv.relname}`,
      );
    }
    const name = rv.relname ?? "";
    if (rv.alias?.colnames !== undefined) throw sel.unsupported(location, "column aliases in FROM", "are");
    const qualifiers = [rv.alias?.aliasname ?? name];
    const cte = ctx.ctes.get(name);
    if (cte !== undefined) return entryRelation(cte.query, cte.names, qualifiers, prefixed);
    const columns = lookup(sel, ctx.catalog, name, location);
    return entryRelation(
      { kind: "scan", relation: name },
      columns.map((c) => c.name),
      qualifiers,
      prefixed,
    );
  }
  if ("JoinExpr" in item) return joinItem(sel, item.JoinExpr, ctx);
  if ("RangeFunction" in item) {
    const t = windowFunction(sel, item.RangeFunction, ctx.catalog);
    return entryRelation(
      t.query,
      t.columns.map((c) => c.name),
      t.qualifiers,
      prefixed,
    );
  }
  if ("RangeSubselect" in item) {
    const rs = item.RangeSubselect;
    const location = firstLocation(item);
    if (rs.lateral === true) throw sel.unsupported(location, "LATERAL subqueries", "are");
    const alias = rs.alias?.aliasname;
    if (alias === undefined) throw sel.error(ErrorCode.SqlSyntax, location, "subquery in FROM must have an alias");
    if (rs.alias?.colnames !== undefined) throw sel.unsupported(location, "column aliases in FROM", "are");
    const stmt = rs.subquery;
    if (stmt === undefined || !("SelectStmt" in stmt)) throw sel.unsupported(location, "this subquery form");
    const planned = ctx.subquery(stmt.SelectStmt, location);
    return entryRelation(planned.query, planned.names, [alias], prefixed);
  }
  const what: Record<string, string> = {
    RangeTableSample: "TABLESAMPLE",
    RangeTableFunc: "XMLTABLE",
    JsonTable: "JSON_TABLE",
  };
  const kind = nodeKind(item);
  throw sel.unsupported(firstLocation(item), what[kind] ?? kind);
}

const JOIN_KINDS: Readonly<Record<string, JoinKind>> = {
  JOIN_INNER: "inner",
  JOIN_LEFT: "left",
  JOIN_RIGHT: "right",
  JOIN_FULL: "full",
};

/** `left [kind] JOIN right ON ... | USING (...)`, `NATURAL JOIN`, `CROSS JOIN` (refused: no equality). */
function joinItem(sel: SelectSource, je: JoinExpr, ctx: FromContext): FromRelation {
  const location = firstLocation(je.rarg) ?? firstLocation(je);
  const kind = JOIN_KINDS[je.jointype ?? "JOIN_INNER"];
  if (kind === undefined) throw sel.unsupported(location, `join type ${je.jointype}`);
  if (je.alias !== undefined || je.join_using_alias !== undefined) {
    throw sel.unsupported(location, "an alias on a JOIN");
  }
  if (je.larg === undefined || je.rarg === undefined) throw sel.error(ErrorCode.SqlSyntax, location, "incomplete JOIN");
  const left = fromItem(sel, je.larg, ctx, true);
  const right = fromItem(sel, je.rarg, ctx, true);
  const errors = planErrors(sel, location);
  checkDistinctNames(left, right, errors);
  const temporal = "RangeVar" in je.rarg && sel.temporal.has(je.rarg.RangeVar.location ?? -1);
  if (temporal) checkTemporalRight(right.query, ctx.catalog, planErrors(sel, firstLocation(je.rarg)));
  if ("RangeVar" in je.larg && sel.temporal.has(je.larg.RangeVar.location ?? -1)) {
    throw sel.unsupported(
      je.larg.RangeVar.location,
      "FOR SYSTEM_TIME AS OF PROCTIME() on the left side of a join",
      "is",
      "put the table on the right",
    );
  }
  let condition: JoinCondition;
  if (je.isNatural === true) condition = { kind: "using", names: commonNames(left, right) };
  else if (je.usingClause !== undefined) condition = { kind: "using", names: nameParts(je.usingClause) };
  else if (je.quals !== undefined) {
    condition = { kind: "on", expr: ctx.translate(je.quals, bothSides(left, right), "JOIN conditions") };
  } else condition = { kind: "where", conjuncts: [] };
  return joinRelations(kind, left, right, condition, temporal, errors);
}
