import { type ColumnDef, ErrorCode } from "@jetflow/core";
import type { Expr } from "@jetflow/operators";
import type { Catalog, ViewQuery } from "@jetflow/pipeline";
import type { ColumnRef } from "libpg-query";
import { nameParts, type SelectSource } from "./select-ast.js";

/** A name a FROM clause makes visible: `qualifier.name` and/or plain `name`. */
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

/** What a view reads, as its FROM clause names it: one relation, or a join tree of several. */
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
 * A relation's columns as a FROM entry: qualified by `qualifiers`, named `qualifier.column`
 * inside a join (`prefixed`), as they are otherwise.
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

/** Whether a plain `name` finds a column. */
export function hasColumn(rel: FromRelation, name: string): boolean {
  return rel.entries.some((e) => e.unqualified && e.name === name);
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
  const name = parts.at(-1) ?? "";
  let found: FromEntry[];
  if (parts.length === 2) {
    const qualifier = parts[0] ?? "";
    checkQualifier(sel, rel, qualifier, at);
    found = rel.entries.filter((e) => e.name === name && e.qualifiers.includes(qualifier));
  } else {
    found = rel.entries.filter((e) => e.name === name && e.unqualified);
  }
  if (found.length > 1) throw sel.error(ErrorCode.SqlName, at, `column reference "${name}" is ambiguous`);
  const entry = found[0];
  if (entry === undefined) {
    const known = [...new Set(rel.entries.filter((e) => e.star).map((e) => e.name))];
    const list = known.length > 12 ? `${known.slice(0, 12).join(", ")}, ...` : known.join(", ");
    throw sel.error(ErrorCode.SqlName, at, `column "${name}" does not exist (columns: ${list})`);
  }
  return entry.expr;
}

/** `q.*` / `q.col`: `q` must name a FROM entry. */
export function checkQualifier(sel: SelectSource, rel: FromRelation, qualifier: string, location?: number): void {
  if (!rel.qualifiers.includes(qualifier)) {
    throw sel.error(
      ErrorCode.SqlName,
      location,
      `missing FROM-clause entry for table "${qualifier}" (the relation is called ${rel.qualifiers.map((q) => `"${q}"`).join(" or ")} here)`,
    );
  }
}

/** The columns of a relation in the catalog, or SQL_NAME naming it. */
export function lookup(sel: SelectSource, catalog: Catalog, name: string, location?: number): readonly ColumnDef[] {
  const columns = catalog.columnsOf(name);
  if (columns === undefined) throw sel.error(ErrorCode.SqlName, location, `relation "${name}" does not exist`);
  return columns;
}
