import { type Expr, exprColumns, type JoinKind } from "@jetflow/operators";
import type { Catalog, ViewQuery } from "./spec.js";

// The FROM scope of a SELECT and how its joins are planned, independent of how the query was
// written: the SQL front end and the TypeScript query builder both resolve names and split join
// conditions through these, so the same join gives the same tree.

/**
 * A name a FROM clause makes visible: `qualifier.name` and/or plain `name`.
 * @example const e: FromEntry = { name: "id", qualifiers: ["o"], expr: { kind: "column", name: "o.id" }, unqualified: true, star: true };
 */
export interface FromEntry {
  /** The column name as written in queries. */
  readonly name: string;
  /** The FROM entries (alias, else relation name) that may qualify it; empty for a merged USING column. */
  readonly qualifiers: readonly string[];
  /** What it stands for, over the relation's {@link FromRelation.outputs}. */
  readonly expr: Expr;
  /** Whether a plain `name` finds it (not the two sides of a USING column, which `name` finds merged). */
  readonly unqualified: boolean;
  /** Whether `SELECT *` lists it. */
  readonly star: boolean;
}

/**
 * What a view reads, as its FROM clause names it: one relation, or a join tree of several.
 * @example entryRelation({ kind: "scan", relation: "orders" }, ["id"], ["orders"], false)
 */
export interface FromRelation {
  readonly query: ViewQuery;
  /**
   * The names of the query's output columns as expressions use them, in order. For a relation that
   * is one side of a join these are `qualifier.column`, the names the join gives them.
   */
  readonly outputs: readonly string[];
  readonly entries: readonly FromEntry[];
  /** Every qualifier in scope (a join has those of both sides). */
  readonly qualifiers: readonly string[];
}

/**
 * How a front end reports a broken rule while planning FROM: each returns the error to throw,
 * located and typed as that front end does.
 *
 * @example const errors: PlanErrors = { name: (m) => new RelationNameError(m), unsupported: (w) => new QueryError(`${w} is not supported`) };
 */
export interface PlanErrors {
  /** An unknown, ambiguous or duplicated name. */
  name(message: string): Error;
  /** `<what> is (are) not supported in materialized views (<hint>)`. */
  unsupported(what: string, verb: "is" | "are", hint: string): Error;
}

/**
 * How a join's two sides are matched, as the query says it.
 * @example const c: JoinCondition = { kind: "using", names: ["user_id"] };
 */
export type JoinCondition =
  /** `ON expr`, already translated over both sides' outputs. */
  | { readonly kind: "on"; readonly expr: Expr }
  /** `USING (a, b)`; NATURAL is USING of the names both sides have. */
  | { readonly kind: "using"; readonly names: readonly string[] }
  /** A comma or CROSS JOIN: equalities are taken from WHERE (`conjuncts`, which loses those it uses). */
  | { readonly kind: "where"; readonly conjuncts: Expr[] };

/**
 * A relation's columns as a FROM entry: qualified by `qualifiers`, named `qualifier.column`
 * inside a join (`prefixed`), as they are otherwise.
 *
 * @example entryRelation({ kind: "scan", relation: "orders" }, ["id", "amount"], ["o"], true).outputs // ["o.id", "o.amount"]
 */
export function entryRelation(
  query: ViewQuery,
  columns: readonly string[],
  qualifiers: readonly string[],
  prefixed: boolean,
): FromRelation {
  const outputs = columns.map((c) => (prefixed ? `${qualifiers[0]}.${c}` : c));
  return {
    query,
    outputs,
    entries: columns.map((name, i) => ({
      name,
      qualifiers,
      expr: { kind: "column", name: outputs[i] as string },
      unqualified: true,
      star: true,
    })),
    qualifiers,
  };
}

/**
 * The scope of both sides of a join, before it is planned (what its ON condition sees).
 * @example bothSides(left, right).qualifiers // ["o", "c"]
 */
export function bothSides(left: FromRelation, right: FromRelation): FromRelation {
  return {
    query: left.query,
    outputs: [...left.outputs, ...right.outputs],
    entries: [...left.entries, ...right.entries],
    qualifiers: [...left.qualifiers, ...right.qualifiers],
  };
}

/**
 * Whether a plain `name` finds a column.
 * @example hasColumn(rel, "amount")
 */
export function hasColumn(rel: FromRelation, name: string): boolean {
  return rel.entries.some((e) => e.unqualified && e.name === name);
}

/**
 * A column reference, `name` or `qualifier.name`, as the expression it stands for.
 *
 * @throws what `errors.name` makes, for an unknown column or qualifier, or a plain name two relations have
 * @example findColumn(rel, "user_id", "o", errors) // { kind: "column", name: "o.user_id" }
 */
export function findColumn(rel: FromRelation, name: string, qualifier: string | undefined, errors: PlanErrors): Expr {
  let found: FromEntry[];
  if (qualifier !== undefined) {
    checkQualifier(rel, qualifier, errors);
    found = rel.entries.filter((e) => e.name === name && e.qualifiers.includes(qualifier));
  } else {
    found = rel.entries.filter((e) => e.name === name && e.unqualified);
  }
  if (found.length > 1) throw errors.name(`column reference "${name}" is ambiguous`);
  const entry = found[0];
  if (entry === undefined) {
    const known = [...new Set(rel.entries.filter((e) => e.star).map((e) => e.name))];
    const list = known.length > 12 ? `${known.slice(0, 12).join(", ")}, ...` : known.join(", ");
    throw errors.name(`column "${name}" does not exist (columns: ${list})`);
  }
  return entry.expr;
}

/**
 * `q.*` / `q.col`: `q` must name a FROM entry.
 * @example checkQualifier(rel, "o", errors)
 */
export function checkQualifier(rel: FromRelation, qualifier: string, errors: PlanErrors): void {
  if (!rel.qualifiers.includes(qualifier)) {
    throw errors.name(
      `missing FROM-clause entry for table "${qualifier}" (the relation is called ${rel.qualifiers.map((q) => `"${q}"`).join(" or ")} here)`,
    );
  }
}

/**
 * What `*` (`qualifier` undefined) or `q.*` stands for: each column by name, with the qualifier
 * to reference it by (so that a name both sides of a join have is not ambiguous); undefined for a
 * merged USING column, which only its plain name reaches.
 *
 * @throws what `errors.name` makes, for a qualifier not in scope
 * @example starColumns(rel, "c", errors) // [{ name: "user_id", qualifier: "c" }, { name: "name", qualifier: "c" }]
 */
export function starColumns(
  rel: FromRelation,
  qualifier: string | undefined,
  errors: PlanErrors,
): { readonly name: string; readonly qualifier: string | undefined }[] {
  if (qualifier !== undefined) checkQualifier(rel, qualifier, errors);
  return rel.entries
    .filter((e) => (qualifier === undefined ? e.star : e.qualifiers.includes(qualifier)))
    .map((e) => ({ name: e.name, qualifier: qualifier ?? e.qualifiers[0] }));
}

/**
 * Joins two FROM relations into one. The ON condition (or WHERE, for comma joins) is split into
 * its AND-ed parts: each `left expr = right expr` becomes an equi-key pair, every other part the
 * residual. A join without any equality between its sides is a cross join, which is refused.
 *
 * @throws what `errors` makes, for a cross join, a name both sides qualify, or a USING column one side lacks
 * @example joinRelations("left", orders, customers, { kind: "using", names: ["user_id"] }, false, errors)
 */
export function joinRelations(
  kind: JoinKind,
  left: FromRelation,
  right: FromRelation,
  condition: JoinCondition,
  temporal: boolean,
  errors: PlanErrors,
): FromRelation {
  checkDistinctNames(left, right, errors);
  if (temporal && kind !== "inner" && kind !== "left") {
    throw errors.unsupported(
      `FOR SYSTEM_TIME AS OF PROCTIME() in a ${kind.toUpperCase()} join`,
      "is",
      "use an INNER or LEFT join",
    );
  }
  const leftNames = new Set(left.outputs);
  const rightNames = new Set(right.outputs);
  const on: { left: Expr; right: Expr }[] = [];
  const residual: Expr[] = [];
  let entries: FromEntry[] = [...left.entries, ...right.entries];

  if (condition.kind === "using") {
    const merged: FromEntry[] = [];
    const hidden = new Set<FromEntry>();
    for (const name of condition.names) {
      const l = usingSide(left, name, "left", errors);
      const r = usingSide(right, name, "right", errors);
      on.push({ left: l.expr, right: r.expr });
      hidden.add(l).add(r);
      const expr: Expr =
        kind === "full" ? { kind: "call", fn: "coalesce", args: [l.expr, r.expr] } : kind === "right" ? r.expr : l.expr;
      merged.push({ name, qualifiers: [], expr, unqualified: true, star: true });
    }
    entries = [...merged, ...entries.map((e) => (hidden.has(e) ? { ...e, unqualified: false, star: false } : e))];
  } else {
    const parts = condition.kind === "on" ? conjuncts(condition.expr) : condition.conjuncts;
    const rest: Expr[] = [];
    for (const part of parts) {
      const pair = equiPair(part, leftNames, rightNames);
      if (pair !== undefined) on.push(pair);
      else rest.push(part);
    }
    if (condition.kind === "on") residual.push(...rest);
    else condition.conjuncts.splice(0, condition.conjuncts.length, ...rest);
  }
  if (on.length === 0) {
    throw errors.unsupported(
      "joins without an equality between the two sides (cross joins)",
      "are",
      condition.kind === "where" ? "add one to WHERE, e.g. a.id = b.a_id" : "add one to ON, e.g. a.id = b.a_id",
    );
  }
  const names = [...left.outputs, ...right.outputs];
  const query: ViewQuery = {
    kind: "join",
    join: kind,
    left: left.query,
    right: right.query,
    names,
    on,
    residual: residual.length === 0 ? undefined : andAll(residual),
    temporal: temporal ? true : undefined,
  };
  return { query, outputs: names, entries, qualifiers: [...left.qualifiers, ...right.qualifiers] };
}

/**
 * The right side of `FOR SYSTEM_TIME AS OF PROCTIME()` must be a table: a temporal join looks
 * each left row up in the table's current rows. A source keeps no rows, and a view or a
 * subquery is not looked up as of now (join it without the clause: a regular join then keeps
 * both sides). A catalog without {@link Catalog.kindOf} skips the check for relations.
 *
 * @throws what `errors.unsupported` makes, naming the relation and why
 * @example checkTemporalRight({ kind: "scan", relation: "customers" }, catalog, errors)
 */
export function checkTemporalRight(right: ViewQuery, catalog: Catalog, errors: PlanErrors): void {
  const clause = "FOR SYSTEM_TIME AS OF PROCTIME()";
  if (right.kind !== "scan") {
    throw errors.unsupported(
      `${clause} on a subquery or WITH query`,
      "is",
      "a temporal join looks rows up in a table; name a table, or drop the clause for a regular join",
    );
  }
  const kind = catalog.kindOf?.(right.relation);
  if (kind === "source") {
    throw errors.unsupported(
      `${clause} on source "${right.relation}"`,
      "is",
      "a source keeps no rows to look up; make it a TABLE with a PRIMARY KEY, or drop the clause",
    );
  }
  if (kind === "view") {
    throw errors.unsupported(
      `${clause} on materialized view "${right.relation}"`,
      "is",
      "a temporal join looks rows up in a table; drop the clause to join the view's rows as they change",
    );
  }
}

/**
 * Two sides of a join may not share a qualifier (a self-join needs aliases).
 * @example checkDistinctNames(orders, customers, errors)
 */
export function checkDistinctNames(left: FromRelation, right: FromRelation, errors: PlanErrors): void {
  for (const q of right.qualifiers) {
    if (left.qualifiers.includes(q))
      throw errors.name(`table name "${q}" specified more than once (give each an alias)`);
  }
}

/**
 * The names a plain reference finds on both sides: NATURAL JOIN's USING list.
 * @example commonNames(orders, customers) // ["user_id"]
 */
export function commonNames(left: FromRelation, right: FromRelation): string[] {
  const rightNames = new Set(right.entries.filter((e) => e.unqualified).map((e) => e.name));
  return [...new Set(left.entries.filter((e) => e.unqualified && rightNames.has(e.name)).map((e) => e.name))];
}

/**
 * The AND-ed parts of a condition.
 * @example conjuncts(and(a, and(b, c))) // [a, b, c]
 */
export function conjuncts(e: Expr): Expr[] {
  if (e.kind === "call" && e.fn === "and") return e.args.flatMap(conjuncts);
  return [e];
}

/**
 * The parts AND-ed together, left-deep (`(a AND b) AND c`).
 * @example andAll([a, b]) // { kind: "call", fn: "and", args: [a, b] }
 */
export function andAll(parts: readonly Expr[]): Expr {
  return parts.reduce((a, b): Expr => ({ kind: "call", fn: "and", args: [a, b] }));
}

/** `a = b` with one operand over the left side only and the other over the right only, left first. */
function equiPair(
  e: Expr,
  leftNames: ReadonlySet<string>,
  rightNames: ReadonlySet<string>,
): { left: Expr; right: Expr } | undefined {
  if (e.kind !== "call" || e.fn !== "=" || e.args.length !== 2) return undefined;
  const [a, b] = e.args as [Expr, Expr];
  const within = (x: Expr, names: ReadonlySet<string>) => {
    const read = exprColumns(x, new Set());
    return read.size > 0 && [...read].every((c) => names.has(c));
  };
  if (within(a, leftNames) && within(b, rightNames)) return { left: a, right: b };
  if (within(b, leftNames) && within(a, rightNames)) return { left: b, right: a };
  return undefined;
}

function usingSide(rel: FromRelation, name: string, side: string, errors: PlanErrors): FromEntry {
  const found = rel.entries.filter((e) => e.unqualified && e.name === name);
  if (found.length === 0)
    throw errors.name(`column "${name}" specified in USING clause does not exist in ${side} table`);
  if (found.length > 1) throw errors.name(`common column name "${name}" appears more than once in ${side} table`);
  return found[0] as FromEntry;
}
