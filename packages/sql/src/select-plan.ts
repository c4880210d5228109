import { ErrorCode } from "@jetflow/core";
import type { Expr, NamedExpr } from "@jetflow/operators";
import {
  type Catalog,
  type FromRelation,
  GroupedPlan,
  type OrderPlan,
  type ViewQuery,
  assembleView,
  hasColumn,
  orderColumnName,
  starColumns,
} from "@jetflow/pipeline";
import type { Node, SelectStmt } from "libpg-query";
import { outputColumnName } from "./column-name.js";
import { exprEquals } from "./expr-util.js";
import { ExprTranslator, type Scope, containsAggregate, isAggregateCall } from "./expr-translate.js";
import { type PlannedQuery, resolveFrom } from "./from-clause.js";
import { planErrors, resolveColumn } from "./from-scope.js";
import { type SelectSource, firstLocation, nameParts, nodeLocation } from "./select-ast.js";
import { type Limit, limitOf, rejectUnsupportedClauses, temporalConditions } from "./select-clauses.js";

/** One output column of the select list, `*` already expanded. */
interface Item {
  readonly name: string;
  readonly node: Node;
  readonly location: number | undefined;
}

interface Group {
  readonly expr: Expr;
  name: string | undefined;
}

const col = (name: string): Expr => ({ kind: "column", name });

/**
 * Plans a materialized view's SELECT against the catalog, as the tree
 * scan -> [tumble] -> [filter WHERE] -> [aggregate -> [filter HAVING]] -> project -> [topN -> [project]].
 * Steps that would do nothing (a project that keeps every column as is) are left out.
 *
 * ORDER BY without LIMIT is checked, then ignored, as RisingWave does: a view is a set of rows.
 * LIMIT needs ORDER BY (otherwise which rows stay would be arbitrary). Output columns are named
 * as PostgreSQL names them; two with the same name are an error, since the view could not be queried.
 */
export function planSelect(sel: SelectSource, catalog: Catalog): ViewQuery {
  return new SelectPlanner(sel, catalog, new Map()).plan().query;
}

class SelectPlanner {
  private readonly tx: ExprTranslator;
  private readonly stmt: SelectStmt;
  private rel: FromRelation = { query: { kind: "scan", relation: "" }, outputs: [], entries: [], qualifiers: [] };
  private items: Item[] = [];
  private readonly taken = new Set<string>();

  constructor(
    private readonly sel: SelectSource,
    private readonly catalog: Catalog,
    /** WITH queries in scope (of enclosing queries, then this one's). */
    private readonly ctes: ReadonlyMap<string, PlannedQuery>,
  ) {
    this.tx = new ExprTranslator(sel);
    this.stmt = sel.stmt;
  }

  /** The view's query and its output column names. */
  plan(): PlannedQuery {
    if (this.stmt.op === "SETOP_UNION") return this.planUnion();
    const query = this.planQuery();
    return { query, names: this.items.map((i) => i.name) };
  }

  /** The WITH queries in scope here: the enclosing ones, then this statement's, each planned once. */
  private withQueries(): Map<string, PlannedQuery> {
    const ctes = new Map(this.ctes);
    for (const node of this.stmt.withClause?.ctes ?? []) {
      if (!("CommonTableExpr" in node)) continue;
      const cte = node.CommonTableExpr;
      const body = cte.ctequery;
      if (cte.aliascolnames !== undefined)
        throw this.sel.unsupported(cte.location, "column lists on WITH queries", "are");
      if (body === undefined || !("SelectStmt" in body))
        throw this.sel.unsupported(cte.location, "WITH queries other than SELECT", "are");
      ctes.set(cte.ctename ?? "", new SelectPlanner(this.sel.with(body.SelectStmt), this.catalog, ctes).plan());
    }
    return ctes;
  }

  /** `a UNION ALL b`: a union node (flattened); `a UNION b`: a group-by of every column above it. */
  private planUnion(): PlannedQuery {
    const stmt = this.stmt;
    rejectUnsupportedClauses(this.sel);
    if ((stmt.sortClause?.length ?? 0) > 0 || stmt.limitCount !== undefined || stmt.limitOffset !== undefined) {
      throw this.sel.unsupported(
        firstLocation(stmt.sortClause ?? stmt.limitCount ?? stmt.limitOffset),
        "ORDER BY / LIMIT on a UNION",
        "is",
        "wrap the UNION in a subquery: SELECT * FROM (... UNION ...) AS u ORDER BY ... LIMIT n",
      );
    }
    const ctes = this.withQueries();
    const side = (s: SelectStmt | undefined) => new SelectPlanner(this.sel.with(s ?? {}), this.catalog, ctes).plan();
    const left = side(stmt.larg);
    const right = side(stmt.rarg);
    if (left.names.length !== right.names.length) {
      throw this.sel.error(
        ErrorCode.SqlSyntax,
        firstLocation(stmt.rarg),
        `each UNION query must have the same number of columns (${left.names.length} and ${right.names.length})`,
      );
    }
    const all = stmt.all === true;
    const flat = (q: ViewQuery) => (all && q.kind === "union" ? q.inputs : [q]);
    const query: ViewQuery = { kind: "union", inputs: [...flat(left.query), ...flat(right.query)] };
    if (all) return { query, names: left.names };
    const groupBy = left.names.map((name) => ({ name, expr: col(name) }));
    return { query: { kind: "aggregate", input: query, groupBy, aggregates: [] }, names: left.names };
  }

  private planQuery(): ViewQuery {
    const stmt = this.stmt;
    rejectUnsupportedClauses(this.sel);
    const ctes = this.withQueries();
    const from = resolveFrom(this.sel, stmt.fromClause, stmt.whereClause, {
      catalog: this.catalog,
      ctes,
      translate: (node, rel, clause) => {
        const saved = this.rel;
        this.rel = rel;
        try {
          return this.tx.expr(node, this.rowScope(clause));
        } finally {
          this.rel = saved;
        }
      },
      subquery: (sub) => new SelectPlanner(this.sel.with(sub), this.catalog, ctes).plan(),
    });
    this.rel = from.rel;
    let input = this.rel.query;
    const { temporal, rest } = temporalConditions(from.where);
    if (rest !== undefined) input = { kind: "filter", input, predicate: rest };
    for (const t of temporal) input = { kind: "temporalFilter", input, ...t };
    this.items = this.selectItems();
    for (const item of this.items) this.taken.add(item.name);
    const limit = limitOf(this.sel);
    const grouped =
      (stmt.groupClause?.length ?? 0) > 0 ||
      stmt.havingClause !== undefined ||
      this.items.some((i) => containsAggregate(i.node)) ||
      (stmt.sortClause ?? []).some(containsAggregate);
    if (stmt.distinctClause !== undefined) {
      if (grouped)
        throw this.sel.unsupported(firstLocation(stmt.distinctClause), "SELECT DISTINCT with GROUP BY or aggregates");
      return this.planDistinct(input, limit);
    }
    return grouped ? this.planGrouped(input, limit) : this.planPlain(input, limit);
  }

  private planPlain(input: ViewQuery, limit: Limit | undefined): ViewQuery {
    const scope = this.rowScope("the select list");
    const outputs = this.items.map((i) => ({ name: i.name, expr: this.tx.expr(i.node, scope, i.location) }));
    const order = this.orderBy(outputs, scope, "hidden");
    return this.assemble(input, this.rel.outputs, outputs, limit === undefined ? undefined : order, limit);
  }

  /** `SELECT DISTINCT a, b`: a group-by of the outputs with no aggregates. */
  private planDistinct(input: ViewQuery, limit: Limit | undefined): ViewQuery {
    const scope = this.rowScope("the select list");
    const outputs = this.items.map((i) => ({ name: i.name, expr: this.tx.expr(i.node, scope, i.location) }));
    const order = this.orderBy(outputs, scope, "outputs only");
    const grouped: ViewQuery = { kind: "aggregate", input, groupBy: outputs, aggregates: [] };
    const names = outputs.map((o) => o.name);
    return this.assemble(
      grouped,
      names,
      names.map((n) => ({ name: n, expr: col(n) })),
      limit && order,
      limit,
    );
  }

  private planGrouped(input: ViewQuery, limit: Limit | undefined): ViewQuery {
    const stmt = this.stmt;
    const groups = this.groupKeys();
    const plan = new GroupedPlan(groups, this.taken);
    const argScope = this.rowScope("aggregate");

    // Outputs that are exactly a group key or an aggregate lend it their name.
    for (const item of this.items) {
      const node = item.node;
      if (isAggregateCall(node)) {
        plan.nameAggregate(this.tx.aggregateCall(node.FuncCall, item.location, argScope), item.name);
      } else if (!containsAggregate(node)) {
        plan.nameGroup(this.tx.expr(node, this.rowScope("the select list"), item.location), item.name);
      }
    }
    plan.nameRest();

    const scope: Scope = {
      column: (ref, location) => {
        resolveColumn(this.sel, this.rel, ref, location);
        const name = nameParts(ref.fields).at(-1) ?? "";
        throw this.sel.error(
          ErrorCode.SqlName,
          ref.location ?? location,
          `column "${name}" must appear in the GROUP BY clause or be used in an aggregate function`,
        );
      },
      aggregate: (fc, location) => plan.aggregateColumn(this.tx.aggregateCall(fc, location, argScope)),
      intercept: (node, location) =>
        containsAggregate(node) ? undefined : plan.intercept(this.tx.expr(node, this.rowScope("GROUP BY"), location)),
    };

    const outputs = this.items.map((i) => ({ name: i.name, expr: this.tx.expr(i.node, scope, i.location) }));
    const having = stmt.havingClause === undefined ? undefined : this.tx.expr(stmt.havingClause, scope);
    const mark = plan.mark();
    const order = this.orderBy(outputs, scope, "hidden");
    // Without LIMIT the ORDER BY was only checked: drop the aggregates it alone asked for.
    if (limit === undefined) plan.dropSince(mark);
    const { query, names } = plan.query(input, having);
    return this.assemble(query, names, outputs, limit === undefined ? undefined : order, limit);
  }

  /** project (unless it keeps the input as is) -> [topN -> [project dropping hidden order columns]]. */
  private assemble(
    input: ViewQuery,
    inputNames: readonly string[],
    outputs: readonly NamedExpr[],
    order: OrderPlan | undefined,
    limit: Limit | undefined,
  ): ViewQuery {
    return assembleView(input, inputNames, outputs, order, limit);
  }

  private selectItems(): Item[] {
    const items: Item[] = [];
    for (const target of this.stmt.targetList ?? []) {
      if (!("ResTarget" in target) || target.ResTarget.val === undefined) continue;
      const { val, name, location } = target.ResTarget;
      if ("ColumnRef" in val && nameParts(val.ColumnRef.fields).at(-1) === "*") {
        const parts = nameParts(val.ColumnRef.fields);
        if (parts.length > 2) throw this.sel.unsupported(location, `qualified name ${parts.join(".")}`);
        const qualifier = parts.length === 2 ? (parts[0] ?? "") : undefined;
        for (const c of starColumns(this.rel, qualifier, planErrors(this.sel, location))) {
          const fields = [...(c.qualifier === undefined ? [] : [c.qualifier]), c.name].map((sval) => ({
            String: { sval },
          }));
          items.push({ name: c.name, node: { ColumnRef: { fields, location: location ?? -1 } }, location });
        }
      } else {
        items.push({ name: name ?? outputColumnName(val), node: val, location });
      }
    }
    if (items.length === 0) {
      throw this.sel.error(ErrorCode.SqlSyntax, undefined, "a materialized view needs at least one output column");
    }
    const seen = new Set<string>();
    for (const item of items) {
      if (seen.has(item.name)) {
        throw this.sel.error(
          ErrorCode.SqlName,
          item.location,
          `output column "${item.name}" appears more than once; name each with AS so the view's columns are distinct`,
        );
      }
      seen.add(item.name);
    }
    return items;
  }

  /** GROUP BY items: expressions, ordinals (`GROUP BY 1`) and output aliases, deduplicated. */
  private groupKeys(): Group[] {
    const groups: Group[] = [];
    for (const g of this.stmt.groupClause ?? []) {
      if ("GroupingSet" in g) {
        if (g.GroupingSet.kind === "GROUPING_SET_EMPTY") continue;
        throw this.sel.unsupported(g.GroupingSet.location, "ROLLUP, CUBE and GROUPING SETS", "are");
      }
      let node: Node = g;
      const location = nodeLocation(g);
      const byOutput = this.outputItem(g, "GROUP BY");
      if (byOutput !== undefined) {
        node = byOutput.node;
      } else if ("ColumnRef" in g) {
        // A bare name is an input column first, an output alias only if no input column has it.
        const parts = nameParts(g.ColumnRef.fields);
        const alias = parts.length === 1 ? this.items.find((i) => i.name === parts[0]) : undefined;
        if (alias !== undefined && !hasColumn(this.rel, parts[0] ?? "")) node = alias.node;
      }
      const e = this.tx.expr(node, this.rowScope("GROUP BY"), location);
      if (!groups.some((x) => exprEquals(x.expr, e))) groups.push({ expr: e, name: undefined });
    }
    return groups;
  }

  /** An ordinal (`1`) names a select-list item; other constants are an error, as in PostgreSQL. */
  private outputItem(node: Node, clause: string): Item | undefined {
    if (!("A_Const" in node)) return undefined;
    const c = node.A_Const;
    if (c.ival === undefined)
      throw this.sel.error(ErrorCode.SqlSyntax, c.location, `non-integer constant in ${clause}`);
    const k = c.ival.ival ?? 0;
    const item = this.items[k - 1];
    if (item === undefined)
      throw this.sel.error(ErrorCode.SqlSyntax, c.location, `${clause} position ${k} is not in select list`);
    return item;
  }

  /**
   * ORDER BY items as sort keys over the output columns: an ordinal or an output name refers to
   * that column; another expression equal to an output uses it; any other becomes a hidden column
   * (`"outputs only"` — SELECT DISTINCT — rejects those, as PostgreSQL does).
   */
  private orderBy(outputs: readonly NamedExpr[], scope: Scope, others: "hidden" | "outputs only"): OrderPlan {
    const orderBy: OrderPlan["orderBy"][number][] = [];
    const hidden: NamedExpr[] = [];
    for (const s of this.stmt.sortClause ?? []) {
      if (!("SortBy" in s) || s.SortBy.node === undefined) continue;
      const { node, sortby_dir, sortby_nulls } = s.SortBy;
      const location = nodeLocation(node);
      if (sortby_dir === "SORTBY_USING") throw this.sel.unsupported(location, "ORDER BY ... USING");
      const desc = sortby_dir === "SORTBY_DESC";
      const nullsFirst =
        sortby_nulls === "SORTBY_NULLS_FIRST" ? true : sortby_nulls === "SORTBY_NULLS_LAST" ? false : desc;
      let name = this.outputItem(node, "ORDER BY")?.name;
      if (name === undefined && "ColumnRef" in node) {
        const parts = nameParts(node.ColumnRef.fields);
        if (parts.length === 1) name = outputs.find((o) => o.name === parts[0])?.name;
      }
      name ??= orderColumnName(this.tx.expr(node, scope, location), outputs, hidden, this.taken, others === "hidden");
      if (name === undefined) {
        throw this.sel.error(
          ErrorCode.SqlSyntax,
          location,
          "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
        );
      }
      orderBy.push({ expr: col(name), desc, nullsFirst });
    }
    return { orderBy, hidden };
  }

  private rowScope(clause: string): Scope {
    return {
      column: (ref, location) => resolveColumn(this.sel, this.rel, ref, location),
      aggregate: (_fc, location) => {
        throw this.sel.error(
          ErrorCode.SqlSyntax,
          location,
          clause === "aggregate"
            ? "aggregate function calls cannot be nested"
            : `aggregate functions are not allowed in ${clause}`,
        );
      },
    };
  }
}
