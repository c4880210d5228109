import { ErrorCode, type SqlType, UnknownTypeError, parseSqlType } from "@jetflow/core";
import type { AggregateFn, Expr, ScalarFn } from "@jetflow/operators";
import { type AggregateCallSpec, COUNTED_AGGREGATES } from "@jetflow/pipeline";
import type { A_Const, A_Expr, ColumnRef, FuncCall, Node, TypeName } from "libpg-query";
import { type SelectSource, nameParts, nodeKind, nodeLocation } from "./select-ast.js";
import { stringAggParts } from "./string-agg-call.js";

/** How names and aggregates resolve where an expression stands (row scope, grouped scope, ...). */
export interface Scope {
  /** A column reference; returns the expression it stands for, or throws. */
  column(ref: ColumnRef, location: number | undefined): Expr;
  /** An aggregate call (`count`, ..., `string_agg`, `bool_and`, `bool_or`, `every`); returns what stands for its result, or throws. */
  aggregate(call: FuncCall, location: number | undefined): Expr;
  /** Asked first for every node: may return the node's translation (a GROUP BY expression's output column). */
  intercept?(node: Node, location: number | undefined): Expr | undefined;
}

const AGGREGATES: ReadonlySet<string> = new Set<AggregateFn>(["count", "sum", "avg", "min", "max", "string_agg"]);

/** The aggregates the unsupported-aggregate error lists. */
const SUPPORTED_AGGREGATES = "count, sum, avg, min, max, string_agg, bool_and, bool_or, every";

/** PostgreSQL / RisingWave aggregates jetflow lacks, so the error says "aggregate", not "function". */
const OTHER_AGGREGATES = new Set([
  "array_agg",
  "bit_and",
  "bit_or",
  "bit_xor",
  "stddev",
  "stddev_pop",
  "stddev_samp",
  "variance",
  "var_pop",
  "var_samp",
  "json_agg",
  "jsonb_agg",
  "json_object_agg",
  "jsonb_object_agg",
  "percentile_cont",
  "percentile_disc",
  "mode",
  "corr",
  "covar_pop",
  "covar_samp",
  "approx_count_distinct",
  "approx_percentile",
  "first_value",
  "last_value",
]);

/** SQL function name -> jetflow scalar function and its argument counts. */
const SCALAR_FUNCTIONS: Readonly<Record<string, { fn: ScalarFn; min: number; max: number }>> = {
  lower: { fn: "lower", min: 1, max: 1 },
  upper: { fn: "upper", min: 1, max: 1 },
  length: { fn: "length", min: 1, max: 1 },
  char_length: { fn: "length", min: 1, max: 1 },
  character_length: { fn: "length", min: 1, max: 1 },
  substr: { fn: "substr", min: 2, max: 3 },
  substring: { fn: "substr", min: 2, max: 3 },
  // `trim(x)` and `trim(both 'c' from x)` arrive as btrim(x [, 'c']).
  btrim: { fn: "trim", min: 1, max: 2 },
  trim: { fn: "trim", min: 1, max: 2 },
  ltrim: { fn: "ltrim", min: 1, max: 2 },
  rtrim: { fn: "rtrim", min: 1, max: 2 },
  replace: { fn: "replace", min: 3, max: 3 },
  starts_with: { fn: "starts_with", min: 2, max: 2 },
  concat: { fn: "concat", min: 1, max: Number.POSITIVE_INFINITY },
  abs: { fn: "abs", min: 1, max: 1 },
  round: { fn: "round", min: 1, max: 2 },
  floor: { fn: "floor", min: 1, max: 1 },
  ceil: { fn: "ceil", min: 1, max: 1 },
  ceiling: { fn: "ceil", min: 1, max: 1 },
  date_trunc: { fn: "date_trunc", min: 2, max: 2 },
  extract: { fn: "extract", min: 2, max: 2 },
  // date_part() is double precision where extract() is numeric (PostgreSQL 14+).
  date_part: { fn: "date_part", min: 2, max: 2 },
  to_timestamp: { fn: "to_timestamp", min: 1, max: 1 },
  now: { fn: "now", min: 0, max: 0 },
  array_length: { fn: "array_length", min: 2, max: 2 },
};

const BINARY_OPERATORS: Readonly<Record<string, ScalarFn>> = {
  "+": "+",
  "-": "-",
  "*": "*",
  "/": "/",
  "%": "%",
  "=": "=",
  "<>": "<>",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
  "||": "||",
  "->": "json_get",
  "->>": "json_get_text",
  "#>>": "json_path_text",
};

/** Constructs PostgreSQL parses but jetflow does not evaluate, by parse-tree node kind. */
const UNSUPPORTED_NODES: Readonly<Record<string, readonly [string, "is" | "are"]>> = {
  SubLink: ["subqueries", "are"],
  A_ArrayExpr: ["ARRAY[...] constructors", "are"],
  RowExpr: ["row constructors", "are"],
  MinMaxExpr: ["GREATEST / LEAST", "are"],
  CollateClause: ["COLLATE", "is"],
  ParamRef: ["query parameters ($n)", "are"],
  GroupingFunc: ["GROUPING()", "is"],
  A_Star: ["* in expressions", "is"],
};

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const call = (fn: ScalarFn, ...args: Expr[]): Expr => ({ kind: "call", fn, args });
const not = (e: Expr): Expr => call("not", e);

/** The function name of a call, without a `pg_catalog.` prefix; undefined for other schemas. */
export function functionName(fc: FuncCall): string | undefined {
  const parts = nameParts(fc.funcname);
  if (parts.length === 1) return parts[0];
  if (parts.length === 2 && parts[0] === "pg_catalog") return parts[1];
  return undefined;
}

/** True for a call of a supported aggregate (not a window function). */
export function isAggregateCall(node: Node): node is { FuncCall: FuncCall } {
  return "FuncCall" in node && node.FuncCall.over === undefined && AGGREGATES.has(functionName(node.FuncCall) ?? "");
}

/** A call of an aggregate planned over counts (bool_and, bool_or, every). */
function isCountedAggregate(node: Node): boolean {
  return (
    "FuncCall" in node && node.FuncCall.over === undefined && COUNTED_AGGREGATES.has(functionName(node.FuncCall) ?? "")
  );
}

/** True when an aggregate call appears anywhere in the tree (subqueries are rejected elsewhere). */
export function containsAggregate(node: Node): boolean {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== "object" || value === null) continue;
    if ("FuncCall" in value && (isAggregateCall(value as Node) || isCountedAggregate(value as Node))) return true;
    for (const child of Object.values(value)) if (typeof child === "object") stack.push(child);
  }
  return false;
}

/**
 * Turns PostgreSQL parse-tree expressions into jetflow {@link Expr}s: operators, CASE, casts,
 * IS [NOT] NULL, IN, BETWEEN, LIKE/ILIKE and the functions of {@link ScalarFn}. Names and
 * aggregates resolve through a {@link Scope}; anything else is a SqlError naming the construct.
 */
export class ExprTranslator {
  constructor(private readonly sel: SelectSource) {}

  expr(node: Node, scope: Scope, parentLocation?: number): Expr {
    const location = nodeLocation(node) ?? parentLocation;
    const intercepted = scope.intercept?.(node, location);
    if (intercepted !== undefined) return intercepted;
    const sub = (child: Node | undefined): Expr => {
      if (child === undefined) throw this.sel.error(ErrorCode.SqlSyntax, location, "incomplete expression");
      return this.expr(child, scope, location);
    };

    if ("ColumnRef" in node) return scope.column(node.ColumnRef, location);
    if ("A_Const" in node) return this.constant(node.A_Const, location);
    if ("A_Expr" in node) return this.operator(node.A_Expr, sub, location);
    if ("BoolExpr" in node) {
      const args = (node.BoolExpr.args ?? []).map(sub);
      if (node.BoolExpr.boolop === "NOT_EXPR") return not(args[0] ?? sub(undefined));
      const fn = node.BoolExpr.boolop === "AND_EXPR" ? "and" : "or";
      return args.reduce((acc, e) => call(fn, acc, e));
    }
    if ("NullTest" in node) {
      return call(node.NullTest.nulltesttype === "IS_NOT_NULL" ? "is_not_null" : "is_null", sub(node.NullTest.arg));
    }
    if ("BooleanTest" in node) {
      const arg = sub(node.BooleanTest.arg);
      switch (node.BooleanTest.booltesttype) {
        case "IS_TRUE":
          return call("is_true", arg);
        case "IS_NOT_TRUE":
          return not(call("is_true", arg));
        case "IS_FALSE":
          return call("is_false", arg);
        case "IS_NOT_FALSE":
          return not(call("is_false", arg));
        case "IS_UNKNOWN":
          return call("is_null", arg);
        default:
          return call("is_not_null", arg);
      }
    }
    if ("TypeCast" in node) {
      return { kind: "cast", expr: sub(node.TypeCast.arg), type: this.type(node.TypeCast.typeName, location) };
    }
    if ("CaseExpr" in node) {
      const c = node.CaseExpr;
      return {
        kind: "case",
        operand: c.arg === undefined ? undefined : sub(c.arg),
        branches: (c.args ?? []).map((w) => {
          if (!("CaseWhen" in w)) throw this.sel.error(ErrorCode.SqlSyntax, location, "malformed CASE");
          // biome-ignore lint/suspicious/noThenProperty: the Expr contract names CASE branches { when, then }
          return { when: sub(w.CaseWhen.expr), then: sub(w.CaseWhen.result) };
        }),
        else: c.defresult === undefined ? undefined : sub(c.defresult),
      };
    }
    if ("A_Indirection" in node) {
      // `(struct).field`, `list[i]`, in order: `(s).items[1]`.
      let e = sub(node.A_Indirection.arg);
      for (const step of node.A_Indirection.indirection ?? []) {
        if ("String" in step) {
          const field: Expr = { kind: "literal", value: step.String.sval ?? "", type: { kind: "varchar" } };
          e = call("field", e, field);
        } else if ("A_Indices" in step && step.A_Indices.is_slice !== true && step.A_Indices.uidx !== undefined) {
          e = call("subscript", e, sub(step.A_Indices.uidx));
        } else {
          throw this.sel.unsupported(location, "array slices and * in field selection", "are");
        }
      }
      return e;
    }
    if ("CoalesceExpr" in node) return { kind: "call", fn: "coalesce", args: (node.CoalesceExpr.args ?? []).map(sub) };
    if ("FuncCall" in node) return this.functionCall(node.FuncCall, scope, sub, location);
    if ("SQLValueFunction" in node) {
      const op = node.SQLValueFunction.op ?? "";
      if (op === "SVFOP_CURRENT_TIMESTAMP") return call("now");
      const name = op.replace(/^SVFOP_/, "").replace(/_N$/, "");
      throw this.sel.unsupported(location, name, "is", "use now()");
    }
    const kind = nodeKind(node);
    const [what, verb] = UNSUPPORTED_NODES[kind] ?? [`expressions of kind ${kind}`, "are"];
    throw this.sel.unsupported(location, what, verb);
  }

  /**
   * `fn`, `arg`, `distinct` and FILTER of an aggregate call (and string_agg's delimiter and ORDER BY),
   * read in `argScope`; bool_and / bool_or / every included (`GroupedPlan` plans them over counts).
   */
  aggregateCall(fc: FuncCall, location: number | undefined, argScope: Scope): AggregateCallSpec {
    const fn = functionName(fc) as AggregateCallSpec["fn"];
    if (fc.agg_filter !== undefined) {
      const { agg_filter: filter, ...unfiltered } = fc;
      const where = this.expr(filter, argScope, location);
      return { ...this.aggregateCall(unfiltered, location, argScope), filter: where };
    }
    if (fc.agg_within_group === true) throw this.sel.unsupported(location, "WITHIN GROUP");
    if (fn === "string_agg" && fc.agg_star !== true) {
      return stringAggParts(this.sel, (n, at) => this.expr(n, argScope, at), fc, location);
    }
    if (fc.agg_order !== undefined) throw this.sel.unsupported(location, `ORDER BY inside ${fn}()`);
    const args = fc.args ?? [];
    const counted = COUNTED_AGGREGATES.has(fn);
    if (fc.agg_star === true && !counted) {
      if (fn !== "count")
        throw this.sel.error(ErrorCode.SqlSyntax, location, `${fn}(*) is not valid; only count(*) is`);
      return { fn, arg: undefined, distinct: false };
    }
    const arg = args[0];
    if (fc.agg_star === true || args.length !== 1 || arg === undefined) {
      throw this.sel.error(
        ErrorCode.SqlSyntax,
        location,
        args.length === 0 && fn === "count"
          ? "count(*) must be used to count rows"
          : `${fn}() takes exactly one argument, got ${args.length}`,
      );
    }
    // bool_and(DISTINCT x) is bool_and(x): counted aggregates ignore DISTINCT.
    return { fn, arg: this.expr(arg, argScope, location), distinct: !counted && fc.agg_distinct === true };
  }

  private functionCall(fc: FuncCall, scope: Scope, sub: (n: Node | undefined) => Expr, location?: number): Expr {
    const name = functionName(fc);
    if (name === undefined) throw this.sel.unsupported(location, `function ${nameParts(fc.funcname).join(".")}()`);
    if (fc.over !== undefined) throw this.sel.unsupported(location, `window functions (${name}(...) OVER ...)`, "are");
    if (AGGREGATES.has(name) || COUNTED_AGGREGATES.has(name)) return scope.aggregate(fc, location);
    if (OTHER_AGGREGATES.has(name)) {
      throw this.sel.unsupported(location, `aggregate function ${name}()`, "is", `supported: ${SUPPORTED_AGGREGATES}`);
    }
    const scalar = SCALAR_FUNCTIONS[name];
    if (scalar === undefined) {
      const known = [...Object.keys(SCALAR_FUNCTIONS), "coalesce", "nullif"].sort().join(", ");
      throw this.sel.unsupported(location, `function ${name}()`, "is", `supported: ${known}`);
    }
    if (fc.agg_star === true || fc.agg_distinct === true || fc.agg_order !== undefined || fc.agg_filter !== undefined) {
      throw this.sel.error(ErrorCode.SqlSyntax, location, `${name}() is not an aggregate function`);
    }
    if (fc.func_variadic === true) throw this.sel.unsupported(location, "VARIADIC arguments", "are");
    const args = (fc.args ?? []).map(sub);
    if (args.length < scalar.min || args.length > scalar.max) {
      const range = scalar.min === scalar.max ? `${scalar.min}` : `${scalar.min} to ${scalar.max}`;
      const count = scalar.max === Number.POSITIVE_INFINITY ? `at least ${scalar.min}` : range;
      throw this.sel.error(
        ErrorCode.SqlSyntax,
        location,
        `${name}() takes ${count} argument${count === "1" ? "" : "s"}, got ${args.length}`,
      );
    }
    if (scalar.fn === "extract" || scalar.fn === "date_part") {
      // The field is a word PostgreSQL passes as a string ('epoch', 'hour'): normalize its case.
      const field = args[0];
      if (field?.kind === "literal" && typeof field.value === "string") {
        args[0] = { kind: "literal", value: field.value.toLowerCase(), type: undefined };
      }
    }
    return { kind: "call", fn: scalar.fn, args };
  }

  private operator(e: A_Expr, sub: (n: Node | undefined) => Expr, location?: number): Expr {
    const op = nameParts(e.name).at(-1) ?? "";
    const listItems = (): Expr[] => {
      const r = e.rexpr;
      if (r === undefined || !("List" in r)) throw this.sel.unsupported(location, "subqueries", "are");
      return (r.List.items ?? []).map(sub);
    };
    switch (e.kind) {
      case "AEXPR_OP": {
        if (e.lexpr === undefined) {
          if (op === "-") return call("neg", sub(e.rexpr));
          if (op === "+") return sub(e.rexpr);
          throw this.sel.unsupported(location, `prefix operator ${op}`);
        }
        const fn = BINARY_OPERATORS[op];
        if (fn === undefined) throw this.sel.unsupported(location, `operator ${op}`);
        return call(fn, sub(e.lexpr), sub(e.rexpr));
      }
      case "AEXPR_NULLIF":
        return call("nullif", sub(e.lexpr), sub(e.rexpr));
      case "AEXPR_IN": {
        const inList = call("in", sub(e.lexpr), ...listItems());
        return op === "<>" ? not(inList) : inList;
      }
      case "AEXPR_LIKE":
      case "AEXPR_ILIKE": {
        const r = e.rexpr;
        if (r !== undefined && "FuncCall" in r && functionName(r.FuncCall) === "like_escape") {
          throw this.sel.unsupported(location, "LIKE ... ESCAPE");
        }
        const like = call(e.kind === "AEXPR_LIKE" ? "like" : "ilike", sub(e.lexpr), sub(e.rexpr));
        return op.startsWith("!") ? not(like) : like;
      }
      case "AEXPR_DISTINCT":
      case "AEXPR_NOT_DISTINCT": {
        const a = sub(e.lexpr);
        const b = sub(e.rexpr);
        const distinct: Expr = {
          kind: "case",
          operand: undefined,
          branches: [
            // biome-ignore lint/suspicious/noThenProperty: the Expr contract names CASE branches { when, then }
            { when: call("is_null", a), then: call("is_not_null", b) },
            // biome-ignore lint/suspicious/noThenProperty: the Expr contract names CASE branches { when, then }
            { when: call("is_null", b), then: { kind: "literal", value: true, type: { kind: "boolean" } } },
          ],
          else: call("<>", a, b),
        };
        return e.kind === "AEXPR_DISTINCT" ? distinct : not(distinct);
      }
      case "AEXPR_BETWEEN":
      case "AEXPR_NOT_BETWEEN": {
        const between = call("between", sub(e.lexpr), ...listItems());
        return e.kind === "AEXPR_NOT_BETWEEN" ? not(between) : between;
      }
      default: {
        const names: Record<string, string> = {
          AEXPR_OP_ANY: `${op} ANY (...)`,
          AEXPR_OP_ALL: `${op} ALL (...)`,
          AEXPR_SIMILAR: "SIMILAR TO",
          AEXPR_BETWEEN_SYM: "BETWEEN SYMMETRIC",
          AEXPR_NOT_BETWEEN_SYM: "NOT BETWEEN SYMMETRIC",
        };
        throw this.sel.unsupported(location, names[e.kind ?? ""] ?? `operator ${op}`);
      }
    }
  }

  private constant(c: A_Const, location?: number): Expr {
    if (c.isnull === true) return { kind: "literal", value: null, type: undefined };
    if (c.ival !== undefined) return { kind: "literal", value: c.ival.ival ?? 0, type: { kind: "integer" } };
    if (c.boolval !== undefined)
      return { kind: "literal", value: c.boolval.boolval ?? false, type: { kind: "boolean" } };
    if (c.sval !== undefined) return { kind: "literal", value: c.sval.sval ?? "", type: undefined };
    if (c.fval !== undefined) {
      const text = c.fval.fval ?? "0";
      if (/^-?\d+$/.test(text)) {
        const big = BigInt(text);
        if (big >= INT64_MIN && big <= INT64_MAX) return { kind: "literal", value: big, type: { kind: "bigint" } };
      }
      // Like PostgreSQL, a literal with a point or exponent is numeric; numeric values travel as decimal text.
      return { kind: "literal", value: text, type: { kind: "numeric" } };
    }
    throw this.sel.unsupported(location, "bit-string literals", "are");
  }

  /** A cast's target type, from PostgreSQL's internal type names (`int4`, `timestamptz`, ...). */
  private type(typeName: TypeName | undefined, location?: number): SqlType {
    const parts = nameParts(typeName?.names).filter((p, i, all) => !(i === 0 && all.length > 1 && p === "pg_catalog"));
    const name = parts.join(".");
    const text = name + "[]".repeat(typeName?.arrayBounds?.length ?? 0);
    try {
      return parseSqlType(text, "cast");
    } catch (e) {
      if (!(e instanceof UnknownTypeError)) throw e;
      throw this.sel.unsupported(location, `type ${name}`);
    }
  }
}
