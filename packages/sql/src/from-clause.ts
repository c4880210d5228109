import { type ColumnDef, ErrorCode } from "@jetflow/core";
import type { Expr, JoinKind } from "@jetflow/operators";
import type { Catalog, ViewQuery } from "@jetflow/pipeline";
import type { FuncCall, JoinExpr, Node, SelectStmt } from "libpg-query";
import { functionName } from "./expr-translate.js";
import { entryRelation, type FromRelation } from "./from-scope.js";
import { intervalMicros } from "./interval.js";
import { checkDistinctNames, commonNames, conjuncts, type JoinCondition, joinRelations } from "./join-clause.js";
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
  items.forEach((item, i) => {
    for (let j = 0; j < i; j++)
      checkDistinctNames(sel, items[j] as FromRelation, item, nodeLocation(from[i]) ?? firstLocation(from[i]));
  });
  const scope = items.slice(1).reduce(
    (a, b): FromRelation => ({
      query: a.query,
      outputs: [...a.outputs, ...b.outputs],
      entries: [...a.entries, ...b.entries],
      qualifiers: [...a.qualifiers, ...b.qualifiers],
    }),
    items[0] as FromRelation,
  );
  const remaining = where === undefined ? [] : conjuncts(ctx.translate(where, scope, "WHERE"));
  let rel = items[0] as FromRelation;
  items.slice(1).forEach((item, i) => {
    const condition = { kind: "where" as const, conjuncts: remaining };
    rel = joinRelations(
      sel,
      "inner",
      rel,
      item,
      condition,
      nodeLocation(from[i + 1]) ?? firstLocation(from[i + 1]),
      false,
    );
  });
  const rest =
    remaining.length === 0 ? undefined : remaining.reduce((a, b): Expr => ({ kind: "call", fn: "and", args: [a, b] }));
  return { rel, where: rest };
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
    const t = tumble(sel, item.RangeFunction, ctx.catalog);
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
  checkDistinctNames(sel, left, right, location);
  const temporal = "RangeVar" in je.rarg && sel.temporal.has(je.rarg.RangeVar.location ?? -1);
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
    const scope = {
      ...left,
      outputs: [...left.outputs, ...right.outputs],
      entries: [...left.entries, ...right.entries],
      qualifiers: [...left.qualifiers, ...right.qualifiers],
    };
    condition = { kind: "on", expr: ctx.translate(je.quals, scope, "JOIN conditions") };
  } else condition = { kind: "where", conjuncts: [] };
  return joinRelations(sel, kind, left, right, condition, location, temporal);
}

function tumble(
  sel: SelectSource,
  rf: import("libpg-query").RangeFunction,
  catalog: Catalog,
): { query: ViewQuery; columns: readonly ColumnDef[]; qualifiers: string[] } {
  const list = rf.functions?.[0];
  const fnNode = list !== undefined && "List" in list ? list.List.items?.[0] : undefined;
  if (rf.lateral === true || rf.ordinality === true || rf.is_rowsfrom === true || (rf.functions?.length ?? 0) !== 1) {
    throw sel.unsupported(nodeLocation(fnNode), "this FROM function form");
  }
  if (fnNode === undefined || !("FuncCall" in fnNode)) {
    throw sel.unsupported(nodeLocation(fnNode), "table functions other than TUMBLE", "are");
  }
  const fc: FuncCall = fnNode.FuncCall;
  const location = fc.location;
  const fname = functionName(fc) ?? nameParts(fc.funcname).join(".");
  if (fname === "hop") throw sel.unsupported(location, "HOP windows", "are", "use TUMBLE");
  if (fname !== "tumble") {
    throw sel.unsupported(location, `table function ${fname}()`, "is", "use TUMBLE");
  }
  const args = fc.args ?? [];
  if (args.length === 4) throw sel.unsupported(firstLocation(args[3]), "a TUMBLE offset");
  const [relArg, timeArg, sizeArg] = args;
  if (args.length !== 3 || relArg === undefined || timeArg === undefined || sizeArg === undefined) {
    throw sel.error(
      ErrorCode.SqlSyntax,
      location,
      `TUMBLE takes 3 arguments: TUMBLE(relation, time_column, INTERVAL '1 minute'), got ${args.length}`,
    );
  }
  const relation = singleName(relArg);
  if (relation === undefined)
    throw sel.error(
      ErrorCode.SqlSyntax,
      nodeLocation(relArg) ?? location,
      "TUMBLE's first argument must name a table, source or view",
    );
  const inner = lookup(sel, catalog, relation, nodeLocation(relArg));
  const alias = rf.alias?.aliasname;
  if (rf.alias?.colnames !== undefined) throw sel.unsupported(location, "column aliases in FROM", "are");

  const timeParts = "ColumnRef" in timeArg ? nameParts(timeArg.ColumnRef.fields) : [];
  const timeColumn = timeParts.at(-1);
  const timeLocation = nodeLocation(timeArg) ?? location;
  if (timeColumn === undefined || timeParts.length > 2 || (timeParts.length === 2 && timeParts[0] !== relation)) {
    throw sel.error(ErrorCode.SqlSyntax, timeLocation, `TUMBLE's second argument must be a column of "${relation}"`);
  }
  const time = inner.find((c) => c.name === timeColumn);
  if (time === undefined)
    throw sel.error(ErrorCode.SqlName, timeLocation, `column "${timeColumn}" does not exist in "${relation}"`);
  if (time.type.kind !== "timestamp" && time.type.kind !== "timestamptz") {
    throw sel.error(
      ErrorCode.SqlUnsupported,
      timeLocation,
      `TUMBLE needs a timestamp or timestamptz time column; "${timeColumn}" is ${time.type.kind}`,
    );
  }
  for (const added of ["window_start", "window_end"]) {
    if (inner.some((c) => c.name === added)) {
      throw sel.error(
        ErrorCode.SqlName,
        location,
        `TUMBLE adds a column "${added}", but "${relation}" already has one`,
      );
    }
  }
  const sizeUs = windowSize(sel, sizeArg, location);
  return {
    query: { kind: "tumble", input: { kind: "scan", relation }, timeColumn, sizeUs },
    columns: [...inner, { name: "window_start", type: time.type }, { name: "window_end", type: time.type }],
    // Unaliased, PostgreSQL would call the entry "tumble"; the relation's own name reads better too.
    qualifiers: alias !== undefined ? [alias] : [relation, "tumble"],
  };
}

/** `INTERVAL '1 minute'`, `'1 minute'::interval`, `INTERVAL '5' MINUTE` or a bare '1 minute'. */
function windowSize(sel: SelectSource, node: Node, fallback?: number): number {
  // `INTERVAL '1 minute'` has no location of its own; its type name's is the INTERVAL keyword.
  const location = nodeLocation(node) ?? firstLocation(node) ?? fallback;
  let text: string | undefined;
  let mask: number | undefined;
  if ("TypeCast" in node) {
    const { arg, typeName } = node.TypeCast;
    if (nameParts(typeName?.names).at(-1) === "interval" && arg !== undefined && "A_Const" in arg) {
      text =
        arg.A_Const.sval?.sval ?? (arg.A_Const.ival !== undefined ? String(arg.A_Const.ival.ival ?? 0) : undefined);
      const typmod = typeName?.typmods?.[0];
      if (typmod !== undefined && "A_Const" in typmod) mask = typmod.A_Const.ival?.ival;
    }
  } else if ("A_Const" in node) {
    text = node.A_Const.sval?.sval;
  }
  if (text === undefined) {
    throw sel.error(
      ErrorCode.SqlUnsupported,
      location,
      "TUMBLE's window size must be an interval literal like INTERVAL '1 minute'",
    );
  }
  const us = intervalMicros(text, mask);
  if (typeof us === "string") throw sel.error(ErrorCode.SqlUnsupported, location, `TUMBLE window size: ${us}`);
  if (!(us > 0) || !Number.isSafeInteger(us)) {
    throw sel.error(ErrorCode.SqlSyntax, location, `TUMBLE window size must be positive, got '${text}'`);
  }
  return us;
}

function lookup(sel: SelectSource, catalog: Catalog, name: string, location?: number): readonly ColumnDef[] {
  const columns = catalog.columnsOf(name);
  if (columns === undefined) throw sel.error(ErrorCode.SqlName, location, `relation "${name}" does not exist`);
  return columns;
}

function singleName(node: Node): string | undefined {
  if (!("ColumnRef" in node)) return undefined;
  const parts = nameParts(node.ColumnRef.fields);
  return parts.length === 1 && parts[0] !== "*" ? parts[0] : undefined;
}
