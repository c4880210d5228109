import type { SqlType } from "@jetflow/core";

/**
 * A scalar expression over the columns of one input, as SQL writes it. The SQL layer builds
 * these; `compileExpr` turns one into a vectorized evaluator over Arrow columns.
 * NULL follows SQL: three-valued logic for AND/OR/NOT, NULL in -> NULL out elsewhere.
 */
export type Expr =
  | { readonly kind: "column"; readonly name: string }
  /** `value` is a JS value of the type: boolean, number, bigint (bigint), string, Uint8Array, or null. */
  | { readonly kind: "literal"; readonly value: LiteralValue; readonly type: SqlType | undefined }
  | { readonly kind: "call"; readonly fn: ScalarFn; readonly args: readonly Expr[] }
  | {
      readonly kind: "case";
      /** `CASE operand WHEN ...`; undefined for `CASE WHEN cond ...`. */
      readonly operand: Expr | undefined;
      readonly branches: readonly { readonly when: Expr; readonly then: Expr }[];
      readonly else: Expr | undefined;
    }
  | { readonly kind: "cast"; readonly expr: Expr; readonly type: SqlType };

export type LiteralValue = boolean | number | bigint | string | Uint8Array | null;

/**
 * Scalar functions and operators, by SQL name. Binary operators take two args,
 * `not`/`neg`/`is_null`/`is_not_null` one; the rest as in PostgreSQL.
 */
export type ScalarFn =
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "neg"
  | "="
  | "<>"
  | "<"
  | "<="
  | ">"
  | ">="
  | "and"
  | "or"
  | "not"
  | "is_null"
  | "is_not_null"
  | "is_true"
  | "is_false"
  | "in"
  | "between"
  | "like"
  | "ilike"
  | "||"
  | "lower"
  | "upper"
  | "length"
  | "substr"
  | "trim"
  | "concat"
  | "coalesce"
  | "nullif"
  | "abs"
  | "round"
  | "floor"
  | "ceil"
  | "date_trunc"
  | "extract"
  | "to_timestamp"
  | "now"
  // Added by the operators package (all implemented in expr/functions.ts):
  | "ltrim"
  | "rtrim"
  | "btrim"
  | "char_length"
  | "substring"
  | "ceiling"
  | "date_part"
  | "replace"
  | "starts_with"
  // Nested values (expr/nested.ts): jsonb `->`, `->>`, `#>>`, `(struct).field`, `list[i]`, array_length.
  | "json_get"
  | "json_get_text"
  | "json_path_text"
  | "field"
  | "subscript"
  | "array_length";

/** Aggregate functions. `count` with no argument is `count(*)`. */
export type AggregateFn = "count" | "sum" | "avg" | "min" | "max" | "string_agg";

/** A sort key inside an aggregate call (`string_agg(x, ',' ORDER BY k DESC NULLS LAST)`). */
export interface AggregateOrder {
  readonly expr: Expr;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

export interface AggregateCall {
  /** Output column name. */
  readonly name: string;
  readonly fn: AggregateFn;
  /** The argument; undefined only for `count(*)`. */
  readonly arg: Expr | undefined;
  readonly distinct: boolean;
  /** string_agg's delimiter, a constant (NULL: none). @default null */
  readonly delimiter?: string | null;
  /** string_agg's `ORDER BY` inside the call, over the input's columns. @default [] (by the value) */
  readonly orderBy?: readonly AggregateOrder[];
}

/** Shorthands for building expressions in code and tests. */
export const col = (name: string): Expr => ({ kind: "column", name });
export const lit = (value: LiteralValue, type?: SqlType): Expr => ({ kind: "literal", value, type });
export const call = (fn: ScalarFn, ...args: Expr[]): Expr => ({ kind: "call", fn, args });

/** Adds the names of the columns `expr` reads to `into`. */
export function exprColumns(expr: Expr, into: Set<string>): Set<string> {
  switch (expr.kind) {
    case "column":
      into.add(expr.name);
      break;
    case "literal":
      break;
    case "call":
      for (const a of expr.args) exprColumns(a, into);
      break;
    case "case":
      if (expr.operand !== undefined) exprColumns(expr.operand, into);
      for (const b of expr.branches) {
        exprColumns(b.when, into);
        exprColumns(b.then, into);
      }
      if (expr.else !== undefined) exprColumns(expr.else, into);
      break;
    case "cast":
      exprColumns(expr.expr, into);
      break;
  }
  return into;
}

/**
 * A canonical text of an expression, equal for structurally equal expressions (bigint-safe).
 * @example exprKey(call("+", col("a"), lit(1n))) === exprKey(call("+", col("a"), lit(1n)))
 */
export function exprKey(expr: Expr): string {
  return JSON.stringify(expr, (_key, value: unknown) => {
    if (typeof value === "bigint") return `${value}n`;
    if (value instanceof Uint8Array) return `bytes:${Array.from(value).join(",")}`;
    return value;
  });
}

/**
 * Structural equality of two expressions: how planners match GROUP BY expressions in the select list.
 * @example exprEquals(col("a"), col("a")) // true
 */
export function exprEquals(a: Expr, b: Expr): boolean {
  return exprKey(a) === exprKey(b);
}

/**
 * True when the expression reads a column (false for constants and `now()`).
 * @example readsColumns(call("now")) // false
 */
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

/**
 * The expression with every column reference renamed by `rename` (what a planner needs when it
 * moves an expression from one relation's column names to another's).
 * @example renameColumns(call("+", col("o.a"), lit(1)), (n) => n.slice(2)) // a + 1
 */
export function renameColumns(expr: Expr, rename: (name: string) => string): Expr {
  const sub = (e: Expr): Expr => renameColumns(e, rename);
  switch (expr.kind) {
    case "column":
      return { kind: "column", name: rename(expr.name) };
    case "literal":
      return expr;
    case "call":
      return { kind: "call", fn: expr.fn, args: expr.args.map(sub) };
    case "cast":
      return { kind: "cast", expr: sub(expr.expr), type: expr.type };
    case "case":
      return {
        kind: "case",
        operand: expr.operand === undefined ? undefined : sub(expr.operand),
        // biome-ignore lint/suspicious/noThenProperty: the Expr contract names CASE branches { when, then }
        branches: expr.branches.map((b) => ({ when: sub(b.when), then: sub(b.then) })),
        else: expr.else === undefined ? undefined : sub(expr.else),
      };
  }
}

/** An expression with its output column name. */
export interface NamedExpr {
  readonly name: string;
  readonly expr: Expr;
}
