import { ErrorCode } from "@jetflow/core";
import { type AggregateOrder, type Expr, exprEquals } from "@jetflow/operators";
import type { AggregateCallSpec } from "@jetflow/pipeline";
import type { FuncCall, Node } from "libpg-query";
import { type SelectSource, nodeLocation } from "./select-ast.js";

/**
 * The parts of `string_agg(value, delimiter [ORDER BY ...])`, and of `string_agg(DISTINCT ...)`
 * (whose ORDER BY may only name the value, as in PostgreSQL); FILTER is added by the caller. The
 * delimiter must be a text constant (or NULL).
 * `translate` reads an argument in the aggregate's argument scope.
 *
 * @throws SqlError: SQL_SYNTAX for a wrong argument count or a DISTINCT ORDER BY on something else,
 *   SQL_UNSUPPORTED for a delimiter that is not a constant or ORDER BY ... USING
 * @example stringAggParts(sel, translate, fc, location) // { fn: "string_agg", arg, distinct: false, delimiter: ", " }
 */
export function stringAggParts(
  sel: SelectSource,
  translate: (node: Node, location: number | undefined) => Expr,
  fc: FuncCall,
  location: number | undefined,
): AggregateCallSpec {
  const args = fc.args ?? [];
  const [value, delimiterNode] = args;
  if (args.length !== 2 || value === undefined || delimiterNode === undefined) {
    throw sel.error(ErrorCode.SqlSyntax, location, `string_agg() takes exactly two arguments, got ${args.length}`);
  }
  const arg = translate(value, location);
  let delimiter = translate(delimiterNode, location);
  if (delimiter.kind === "cast" && delimiter.expr.kind === "literal") delimiter = delimiter.expr;
  if (delimiter.kind !== "literal" || (delimiter.value !== null && typeof delimiter.value !== "string")) {
    throw sel.unsupported(
      nodeLocation(delimiterNode) ?? location,
      "a string_agg() delimiter that is not a text constant",
      "is",
      "write it as a literal, e.g. ', '",
    );
  }
  const orderBy: AggregateOrder[] = [];
  for (const s of fc.agg_order ?? []) {
    if (!("SortBy" in s) || s.SortBy.node === undefined) continue;
    const { node, sortby_dir, sortby_nulls } = s.SortBy;
    if (sortby_dir === "SORTBY_USING") throw sel.unsupported(nodeLocation(node), "ORDER BY ... USING");
    const desc = sortby_dir === "SORTBY_DESC";
    const nullsFirst =
      sortby_nulls === "SORTBY_NULLS_FIRST" ? true : sortby_nulls === "SORTBY_NULLS_LAST" ? false : desc;
    const expr = translate(node, nodeLocation(node) ?? location);
    if (fc.agg_distinct === true && !exprEquals(expr, arg)) {
      throw sel.error(
        ErrorCode.SqlSyntax,
        nodeLocation(node) ?? location,
        "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
      );
    }
    orderBy.push({ expr, desc, nullsFirst });
  }
  return {
    fn: "string_agg",
    arg,
    distinct: fc.agg_distinct === true,
    delimiter: delimiter.value as string | null,
    ...(orderBy.length === 0 ? {} : { orderBy }),
  };
}
