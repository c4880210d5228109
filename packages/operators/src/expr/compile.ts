import { type ChangeBatch, type SqlType, sqlTypeOfField } from "@jetflow/core";
import { type Data, makeVector, type RecordBatch, type Schema, type Vector } from "apache-arrow";
import { type Col, fromArrow, toArrow } from "../columnar/col.js";
import { ColumnsChange, columnOf } from "../columnar/columns-change.js";
import { constantCol } from "../columnar/plain.js";
import { unknownColumn, unsupported } from "../errors.js";
import type { Expr } from "./expr.js";
import type { EvalContext, EvalWarnings } from "./context.js";
import { newWarnings } from "./context.js";
import { compileFunction } from "./functions.js";
import { selectRows } from "./logic.js";
import { callNode, castNode, literalOf, type Node, unify } from "./node.js";
import {
  arithmetic,
  between,
  comparison,
  concatNode,
  inList,
  likeNode,
  logical,
  negation,
  negationNot,
  nullTest,
  truthTest,
} from "./operators.js";
import { BOOLEAN } from "./types.js";

/**
 * An expression compiled against an input schema.
 *
 * @example
 * ```ts
 * const e = compileExpr(call("*", col("price"), lit(2)), schema);
 * e.type;               // { kind: "integer" } when price is an integer
 * e.evaluate(batch);    // an Arrow Vector, one value per row
 * ```
 */
export interface CompiledExpr {
  readonly type: SqlType;
  evaluate(batch: RecordBatch): Vector;
  /** Rows turned NULL instead of failing (division by zero, overflow, invalid casts), since compilation. */
  readonly warnings: EvalWarnings;
}

/** The SQL types of a schema's columns (fields built with core's `sqlField`). */
export function sqlTypesOf(schema: Schema): SqlType[] {
  return schema.fields.map((f) => sqlTypeOfField(f));
}

/**
 * Compiles `expr` over the columns of `input`.
 * @throws ExpressionError naming an unknown column (and the columns there are), or an operator,
 *   function or cast that does not apply to its argument types
 */
export function compileExpr(expr: Expr, input: Schema): CompiledExpr {
  const node = compileNode(expr, input);
  const types = sqlTypesOf(input);
  const warnings = newWarnings();
  return {
    type: node.type,
    warnings,
    evaluate(batch: RecordBatch): Vector {
      return makeVector(toArrow(node.evaluate(evalContext(batch, types, warnings))));
    },
  };
}

/** The compiled tree; operators evaluate several of these against one shared context. */
export function compileNode(expr: Expr, input: Schema): Node {
  const names = input.fields.map((f) => f.name);
  const types = sqlTypesOf(input);
  return build(expr, names, types);
}

/**
 * A context over one change: each input column is unpacked at most once, when first used, and
 * taken as made when the change is a {@link ColumnsChange} (no Arrow batch built).
 */
export function changeContext(change: ChangeBatch, types: readonly SqlType[], warnings: EvalWarnings): EvalContext {
  if (!(change instanceof ColumnsChange)) return evalContext(change.batch, types, warnings);
  return lazyContext(change.length, warnings, (index) => columnOf(change, index, types[index] as SqlType));
}

/** A context over one batch: each input column is unpacked at most once, when first used. */
export function evalContext(batch: RecordBatch, types: readonly SqlType[], warnings: EvalWarnings): EvalContext {
  return lazyContext(batch.numRows, warnings, (index) =>
    fromArrow(batch.data.children[index] as Data, types[index] as SqlType),
  );
}

function lazyContext(n: number, warnings: EvalWarnings, unpack: (index: number) => Col): EvalContext {
  const cache: (Col | undefined)[] = [];
  return {
    n,
    warnings,
    nowUs: BigInt(Date.now()) * 1000n,
    input(index: number): Col {
      let c = cache[index];
      if (c === undefined) {
        c = unpack(index);
        cache[index] = c;
      }
      return c;
    },
  };
}

function build(expr: Expr, names: readonly string[], types: readonly SqlType[]): Node {
  const rec = (e: Expr) => build(e, names, types);
  switch (expr.kind) {
    case "column": {
      const index = names.indexOf(expr.name);
      if (index < 0) throw unknownColumn(expr.name, names);
      return {
        type: types[index] as SqlType,
        untyped: false,
        constant: undefined,
        evaluate: (ctx) => ctx.input(index),
      };
    }
    case "literal":
      return literalOf(expr.value, expr.type);
    case "cast":
      return castNode(rec(expr.expr), expr.type);
    case "case":
      return caseNode(expr, rec);
    case "call":
      return callOf(expr.fn, expr.args.map(rec));
  }
}

function callOf(fn: string, args: Node[]): Node {
  const two = (): [Node, Node] => {
    if (args.length !== 2) throw unsupported(`operator ${fn} takes two operands, got ${args.length}`);
    return args as [Node, Node];
  };
  switch (fn) {
    case "+":
    case "-":
      if (fn === "-" && args.length === 1) return negation(args[0] as Node);
      return arithmetic(fn, ...two());
    case "*":
    case "/":
    case "%":
      return arithmetic(fn, ...two());
    case "neg":
      return negation(args[0] as Node);
    case "=":
    case "<>":
    case "<":
    case "<=":
    case ">":
    case ">=":
      return comparison(fn, ...two());
    case "and":
    case "or":
      return logical(fn, args);
    case "not":
      return negationNot(args[0] as Node);
    case "is_null":
    case "is_not_null":
      return nullTest(args[0] as Node, fn === "is_null");
    case "is_true":
    case "is_false":
      return truthTest(args[0] as Node, fn === "is_true");
    case "in":
      return inList(args);
    case "between":
      return between(args);
    case "like":
    case "ilike":
      return likeNode(args, fn === "ilike");
    case "||":
      return concatNode(...two());
    default:
      return compileFunction(fn, args);
  }
}

/** CASE [operand] WHEN ... THEN ... [ELSE ...] END: branches are evaluated column-wise, then picked per row. */
function caseNode(expr: Extract<Expr, { kind: "case" }>, rec: (e: Expr) => Node): Node {
  if (expr.branches.length === 0) throw unsupported("CASE needs at least one WHEN");
  const operand = expr.operand === undefined ? undefined : rec(expr.operand);
  const whens = expr.branches.map((b) => {
    const w = rec(b.when);
    if (operand !== undefined) return comparison("=", operand, w);
    if (w.type.kind !== "boolean" && !w.untyped) throw unsupported("argument of CASE/WHEN must be type boolean");
    return w.untyped ? castNode(w, BOOLEAN) : w;
  });
  const results = [...expr.branches.map((b) => rec(b.then)), ...(expr.else === undefined ? [] : [rec(expr.else)])];
  const { type, nodes } = unify(results, "CASE", "values");
  const thens = nodes.slice(0, expr.branches.length);
  const otherwise = expr.else === undefined ? undefined : (nodes[nodes.length - 1] as Node);
  return callNode(type, [...whens, ...thens, ...(otherwise === undefined ? [] : [otherwise])], (cols, ctx) => {
    const k = whens.length;
    const elseCol = otherwise === undefined ? constantCol(type, ctx.n, null) : (cols[2 * k] as Col);
    return selectRows(cols.slice(0, k), cols.slice(k, 2 * k), elseCol);
  });
}
