import type { Expr } from "@jetflow/operators";

/** A canonical text of an expression, equal for structurally equal expressions (bigint-safe). */
export function exprKey(expr: Expr): string {
  return JSON.stringify(expr, (_key, value: unknown) => {
    if (typeof value === "bigint") return `${value}n`;
    if (value instanceof Uint8Array) return `bytes:${Array.from(value).join(",")}`;
    return value;
  });
}

/** Structural equality of two expressions: how GROUP BY expressions are matched in the select list. */
export function exprEquals(a: Expr, b: Expr): boolean {
  return exprKey(a) === exprKey(b);
}

/** True when the expression reads a column (false for constants and `now()`). */
export function readsColumns(expr: Expr): boolean {
  switch (expr.kind) {
    case "column":
      return true;
    case "literal":
      return false;
    case "call":
      return expr.args.some(readsColumns);
    case "cast":
      return readsColumns(expr.expr);
    case "case":
      return (
        (expr.operand !== undefined && readsColumns(expr.operand)) ||
        expr.branches.some((b) => readsColumns(b.when) || readsColumns(b.then)) ||
        (expr.else !== undefined && readsColumns(expr.else))
      );
  }
}
