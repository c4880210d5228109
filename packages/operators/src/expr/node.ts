import type { SqlType } from "@jetflow/core";
import type { Col } from "../columnar/col.js";
import { unsupported } from "../errors.js";
import { fromPlain } from "../columnar/plain.js";
import { canCast, castCol, castValue } from "./cast.js";
import type { EvalContext } from "./context.js";
import {
  BIGINT,
  BOOLEAN,
  commonType,
  DOUBLE,
  INTEGER,
  isNumberType,
  NUMERIC,
  sameType,
  typeName,
  unionNumbers,
  VARCHAR,
} from "./types.js";

/** A compiled expression: its SQL type and a column-at-a-time evaluator. */
export interface Node {
  readonly type: SqlType;
  /** A bare string literal or NULL: it takes the type its context wants, like PostgreSQL's `unknown`. */
  readonly untyped: boolean;
  /** Set on literals: the value in plain form (see plain.ts). */
  readonly constant: { readonly value: unknown } | undefined;
  evaluate(ctx: EvalContext): Col;
}

/** A literal node of a plain value of `type`. */
export function literalNode(value: unknown, type: SqlType, untyped = false): Node {
  return {
    type,
    untyped,
    constant: { value },
    evaluate: (ctx) => fromPlain(new Array(ctx.n).fill(value), type),
  };
}

/** The SQL type a JS literal has when SQL gave it none (PostgreSQL's rules for numeric literals). */
export function literalOf(value: unknown, type: SqlType | undefined): Node {
  if (value === null) return type === undefined ? literalNode(null, VARCHAR, true) : literalNode(null, type);
  let natural: SqlType;
  let v = value;
  if (typeof value === "boolean") natural = BOOLEAN;
  else if (typeof value === "bigint") natural = BIGINT;
  else if (typeof value === "number") {
    if (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) natural = INTEGER;
    else if (Number.isSafeInteger(value)) {
      natural = BIGINT;
      v = BigInt(value);
    } else if (Number.isFinite(value)) {
      natural = NUMERIC;
      v = String(value);
    } else natural = DOUBLE;
  } else if (typeof value === "string") natural = VARCHAR;
  else if (value instanceof Uint8Array) natural = { kind: "bytea" };
  else throw unsupported(`unsupported literal ${String(value)}`);
  if (type === undefined) return literalNode(v, natural, typeof value === "string");
  // Integers given for temporal types are their storage: microseconds, or days for date.
  if ((natural === INTEGER || natural === BIGINT) && ["timestamp", "timestamptz", "time"].includes(type.kind)) {
    return literalNode(BigInt(v as number | bigint), type);
  }
  if (natural === INTEGER && type.kind === "date") return literalNode(v, type);
  return literalNode(convertLiteral(v, natural, type), type);
}

function convertLiteral(value: unknown, from: SqlType, to: SqlType): unknown {
  const r = castValue(value, from, to);
  if (r === undefined) throw unsupported(`invalid input syntax for type ${typeName(to)}: "${String(value)}"`);
  return r;
}

/** `CAST(node AS to)`: folded for literals; an error when PostgreSQL has no such cast. */
export function castNode(node: Node, to: SqlType): Node {
  if (sameType(node.type, to)) return node.untyped ? { ...node, untyped: false } : node;
  if (!canCast(node.type, to)) throw unsupported(`cannot cast type ${typeName(node.type)} to ${typeName(to)}`);
  if (node.constant !== undefined) return literalNode(convertLiteral(node.constant.value, node.type, to), to);
  return {
    type: to,
    untyped: false,
    constant: undefined,
    evaluate: (ctx) => castCol(node.evaluate(ctx), to, ctx.warnings),
  };
}

/**
 * Brings `node` to `to` where PostgreSQL would do so implicitly: an untyped literal adopts the
 * type, numbers widen, date/timestamp/timestamptz convert, jsonb reads as text.
 * @throws ExpressionError naming `what` when the types do not meet
 */
export function coerce(node: Node, to: SqlType, what: string): Node {
  if (sameType(node.type, to)) return node;
  if (node.untyped || commonType(node.type, to) !== undefined) return castNode(node, to);
  throw unsupported(`${what}: expected ${typeName(to)}, got ${typeName(node.type)}`);
}

/**
 * The common type of several nodes (untyped literals follow the typed ones), each coerced to it.
 * `values` is for CASE and COALESCE, whose results PostgreSQL types like UNION: among numbers the
 * one the others implicitly cast to (`COALESCE(real, 1)` is real); comparisons, IN and BETWEEN
 * (the default) compare as arithmetic does (`real = integer` in double precision).
 */
export function unify(
  nodes: readonly Node[],
  what: string,
  mode: "compare" | "values" = "compare",
): { type: SqlType; nodes: Node[] } {
  let type: SqlType | undefined;
  for (const n of nodes) {
    if (n.untyped) continue;
    if (type === undefined) type = n.type;
    else {
      const t =
        mode === "values" && isNumberType(type) && isNumberType(n.type)
          ? unionNumbers(type, n.type)
          : commonType(type, n.type);
      if (t === undefined)
        throw unsupported(`${what}: types ${typeName(type)} and ${typeName(n.type)} cannot be matched`);
      type = t;
    }
  }
  const target = type ?? VARCHAR;
  return { type: target, nodes: nodes.map((n) => coerce(n, target, what)) };
}

/** A node computing `f` over its arguments' columns. */
export function callNode(type: SqlType, args: readonly Node[], f: (cols: Col[], ctx: EvalContext) => Col): Node {
  return {
    type,
    untyped: false,
    constant: undefined,
    evaluate: (ctx) =>
      f(
        args.map((a) => a.evaluate(ctx)),
        ctx,
      ),
  };
}
