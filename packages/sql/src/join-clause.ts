import { ErrorCode } from "@jetflow/core";
import { type Expr, exprColumns, type JoinKind } from "@jetflow/operators";
import type { ViewQuery } from "@jetflow/pipeline";
import type { FromEntry, FromRelation } from "./from-scope.js";
import type { SelectSource } from "./select-ast.js";

/** How a join's two sides are matched, as the SQL says it. */
export type JoinCondition =
  /** `ON expr`, already translated over both sides' outputs. */
  | { readonly kind: "on"; readonly expr: Expr }
  /** `USING (a, b)`; NATURAL is USING of the names both sides have. */
  | { readonly kind: "using"; readonly names: readonly string[] }
  /** A comma or CROSS JOIN: equalities are taken from WHERE (`conjuncts`, which loses those it uses). */
  | { readonly kind: "where"; readonly conjuncts: Expr[] };

/**
 * Joins two FROM relations into one. The ON condition (or WHERE, for comma joins) is split into
 * its AND-ed parts: each `left expr = right expr` becomes an equi-key pair, every other part the
 * residual. A join without any equality between its sides is a cross join, which is refused.
 *
 * @throws SqlError for a cross join, a name both sides qualify, or a USING column one side lacks
 */
export function joinRelations(
  sel: SelectSource,
  kind: JoinKind,
  left: FromRelation,
  right: FromRelation,
  condition: JoinCondition,
  location: number | undefined,
  temporal: boolean,
): FromRelation {
  checkDistinctNames(sel, left, right, location);
  if (temporal && kind !== "inner" && kind !== "left") {
    throw sel.unsupported(
      location,
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
      const l = usingSide(sel, left, name, "left", location);
      const r = usingSide(sel, right, name, "right", location);
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
    throw sel.unsupported(
      location,
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
    residual:
      residual.length === 0 ? undefined : residual.reduce((a, b) => ({ kind: "call", fn: "and", args: [a, b] })),
    temporal: temporal ? true : undefined,
  };
  return { query, outputs: names, entries, qualifiers: [...left.qualifiers, ...right.qualifiers] };
}

/** Two sides of a join may not share a qualifier (a self-join needs aliases). */
export function checkDistinctNames(
  sel: SelectSource,
  left: FromRelation,
  right: FromRelation,
  location: number | undefined,
): void {
  for (const q of right.qualifiers) {
    if (left.qualifiers.includes(q)) {
      throw sel.error(ErrorCode.SqlName, location, `table name "${q}" specified more than once (give each an alias)`);
    }
  }
}

/** The names a plain reference finds on both sides: NATURAL JOIN's USING list. */
export function commonNames(left: FromRelation, right: FromRelation): string[] {
  const rightNames = new Set(right.entries.filter((e) => e.unqualified).map((e) => e.name));
  return [...new Set(left.entries.filter((e) => e.unqualified && rightNames.has(e.name)).map((e) => e.name))];
}

/** The AND-ed parts of a condition. */
export function conjuncts(e: Expr): Expr[] {
  if (e.kind === "call" && e.fn === "and") return e.args.flatMap(conjuncts);
  return [e];
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

function usingSide(
  sel: SelectSource,
  rel: FromRelation,
  name: string,
  side: string,
  location: number | undefined,
): FromEntry {
  const found = rel.entries.filter((e) => e.unqualified && e.name === name);
  if (found.length === 0) {
    throw sel.error(
      ErrorCode.SqlName,
      location,
      `column "${name}" specified in USING clause does not exist in ${side} table`,
    );
  }
  if (found.length > 1) {
    throw sel.error(
      ErrorCode.SqlName,
      location,
      `common column name "${name}" appears more than once in ${side} table`,
    );
  }
  return found[0] as FromEntry;
}
