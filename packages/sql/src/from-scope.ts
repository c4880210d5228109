import { type ColumnDef, ErrorCode } from "@jetflow/core";
import type { Expr } from "@jetflow/operators";
import { type Catalog, type FromRelation, type PlanErrors, findColumn } from "@jetflow/pipeline";
import type { ColumnRef } from "libpg-query";
import { nameParts, type SelectSource } from "./select-ast.js";

// The FROM scope itself (entries, qualifiers, joins) is planned by @jetflow/pipeline's join-plan,
// which the TypeScript query builder shares; this file locates its errors in the SQL text.

/**
 * The errors of FROM planning as SqlErrors at `location` of the SELECT.
 * @example joinRelations("inner", left, right, condition, false, planErrors(sel, location))
 */
export function planErrors(sel: SelectSource, location: number | undefined): PlanErrors {
  return {
    name: (message) => sel.error(ErrorCode.SqlName, location, message),
    unsupported: (what, verb, hint) => sel.unsupported(location, what, verb, hint),
  };
}

/**
 * A column reference in the relation: `col` or `qualifier.col`, as the expression it stands for.
 *
 * @throws SqlError (SQL_NAME) for an unknown column or qualifier, or a plain name two relations have
 */
export function resolveColumn(sel: SelectSource, rel: FromRelation, ref: ColumnRef, location?: number): Expr {
  const parts = nameParts(ref.fields);
  const at = ref.location ?? location;
  if (parts.includes("*")) throw sel.unsupported(at, "* in expressions");
  if (parts.length > 2) throw sel.unsupported(at, `qualified name ${parts.join(".")}`);
  const qualifier = parts.length === 2 ? (parts[0] ?? "") : undefined;
  return findColumn(rel, parts.at(-1) ?? "", qualifier, planErrors(sel, at));
}

/** The columns of a relation in the catalog, or SQL_NAME naming it. */
export function lookup(sel: SelectSource, catalog: Catalog, name: string, location?: number): readonly ColumnDef[] {
  const columns = catalog.columnsOf(name);
  if (columns === undefined) throw sel.error(ErrorCode.SqlName, location, `relation "${name}" does not exist`);
  return columns;
}
