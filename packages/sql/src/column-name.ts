import type { Node } from "libpg-query";
import { nameParts } from "./select-ast.js";

const SQL_VALUE_FUNCTION_NAMES: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: "current_date",
  SVFOP_CURRENT_TIME: "current_time",
  SVFOP_CURRENT_TIME_N: "current_time",
  SVFOP_CURRENT_TIMESTAMP: "current_timestamp",
  SVFOP_CURRENT_TIMESTAMP_N: "current_timestamp",
  SVFOP_LOCALTIME: "localtime",
  SVFOP_LOCALTIME_N: "localtime",
  SVFOP_LOCALTIMESTAMP: "localtimestamp",
  SVFOP_LOCALTIMESTAMP_N: "localtimestamp",
  SVFOP_CURRENT_ROLE: "current_role",
  SVFOP_CURRENT_USER: "current_user",
  SVFOP_USER: "user",
  SVFOP_SESSION_USER: "session_user",
  SVFOP_CURRENT_CATALOG: "current_catalog",
  SVFOP_CURRENT_SCHEMA: "current_schema",
};

/**
 * The name PostgreSQL gives an unaliased select-list expression (its `FigureColname`): a column
 * reference -> the column, a function call (aggregates included) -> the function, a cast -> the
 * casted expression's name or else the type's internal name (`1::bigint` -> `int8`), CASE ->
 * `case`, and `?column?` for anything else (operators, literals).
 *
 * @example outputColumnName(parse("count(*)")) // "count"
 */
export function outputColumnName(node: Node): string {
  return figure(node).name ?? "?column?";
}

/** `strength` 2 is a name from the expression itself, 1 a fallback a cast may override. */
function figure(node: Node): { name: string | undefined; strength: 0 | 1 | 2 } {
  if ("ColumnRef" in node) {
    const last = nameParts(node.ColumnRef.fields).at(-1);
    return last === undefined || last === "*" ? none : { name: last, strength: 2 };
  }
  if ("FuncCall" in node) return { name: nameParts(node.FuncCall.funcname).at(-1), strength: 2 };
  if ("A_Expr" in node) return node.A_Expr.kind === "AEXPR_NULLIF" ? { name: "nullif", strength: 2 } : none;
  if ("TypeCast" in node) {
    const inner = node.TypeCast.arg === undefined ? none : figure(node.TypeCast.arg);
    if (inner.strength <= 1) {
      const type = nameParts(node.TypeCast.typeName?.names).at(-1);
      if (type !== undefined) return { name: type, strength: 1 };
    }
    return inner;
  }
  if ("CollateClause" in node) return node.CollateClause.arg === undefined ? none : figure(node.CollateClause.arg);
  if ("A_Indirection" in node) {
    const last = nameParts(node.A_Indirection.indirection?.filter((n) => "String" in n)).at(-1);
    if (last !== undefined) return { name: last, strength: 2 };
    return node.A_Indirection.arg === undefined ? none : figure(node.A_Indirection.arg);
  }
  if ("CaseExpr" in node) return { name: "case", strength: 1 };
  if ("CoalesceExpr" in node) return { name: "coalesce", strength: 2 };
  if ("MinMaxExpr" in node) return { name: node.MinMaxExpr.op === "IS_LEAST" ? "least" : "greatest", strength: 2 };
  if ("A_ArrayExpr" in node) return { name: "array", strength: 2 };
  if ("RowExpr" in node) return { name: "row", strength: 2 };
  if ("GroupingFunc" in node) return { name: "grouping", strength: 2 };
  if ("SQLValueFunction" in node) {
    return { name: SQL_VALUE_FUNCTION_NAMES[node.SQLValueFunction.op ?? ""], strength: 2 };
  }
  if ("SubLink" in node && node.SubLink.subLinkType === "EXISTS_SUBLINK") return { name: "exists", strength: 2 };
  return none;
}

const none = { name: undefined, strength: 0 } as const;
