import type { Col } from "../columnar/col.js";
import { constantCol } from "../columnar/plain.js";
import { unsupported } from "../errors.js";
import { castCol } from "./cast.js";
import { isNullCol, selectRows } from "./logic.js";
import { abs, roundDouble, roundNumeric } from "./math.js";
import { compileNested } from "./nested.js";
import { callNode, castNode, coerce, type Node, unify } from "./node.js";
import { comparison } from "./operators.js";
import { concat, length, lower, replace, substr, trim, upper } from "./strings.js";
import { canonicalUnit, dateTrunc, extract, toTimestamp, TRUNC_UNITS } from "./time-fns.js";
import { BOOLEAN, DOUBLE, INTEGER, isNumberType, NUMERIC, TIMESTAMPTZ, typeName, VARCHAR } from "./types.js";

/** Scalar functions by name: argument checks at compile time, column kernels at run time. */

function arity(name: string, args: readonly Node[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    throw unsupported(`function ${name} takes ${want} argument(s), got ${args.length}`);
  }
}

function text(node: Node, fn: string): Node {
  if (node.type.kind === "varchar") return node;
  if (node.untyped) return coerce(node, VARCHAR, fn);
  throw unsupported(`function ${fn}(${typeName(node.type)}) does not exist`);
}

function integer(node: Node, fn: string): Node {
  if (node.untyped || node.type.kind === "integer" || node.type.kind === "smallint") return castNode(node, INTEGER);
  if (node.type.kind === "bigint") return castNode(node, INTEGER);
  throw unsupported(`function ${fn}: expected an integer argument, got ${typeName(node.type)}`);
}

function number(node: Node, fn: string): Node {
  if (isNumberType(node.type)) return node;
  if (node.untyped) return coerce(node, NUMERIC, fn);
  throw unsupported(`function ${fn}(${typeName(node.type)}) does not exist`);
}

/** A unit or field argument that is a literal: checked once, here. */
function checkUnit(node: Node, fn: string, accepted: readonly string[]): void {
  if (node.constant === undefined || typeof node.constant.value !== "string") return;
  const unit = canonicalUnit(node.constant.value);
  if (!accepted.includes(unit)) {
    throw unsupported(`${fn}: unit "${node.constant.value}" not recognized (accepted: ${accepted.join(", ")})`);
  }
}

const EXTRACT_FIELDS = [...TRUNC_UNITS, "microsecond", "epoch", "dow", "isodow", "doy", "isoyear", "week"] as const;

export function compileFunction(fn: string, args: readonly Node[]): Node {
  const nested = compileNested(fn, args);
  if (nested !== undefined) return nested;
  switch (fn) {
    case "lower":
    case "upper": {
      arity(fn, args, 1, 1);
      const f = fn === "lower" ? lower : upper;
      return callNode(VARCHAR, [text(args[0] as Node, fn)], ([s]) => f(s as Col));
    }
    case "length":
    case "char_length": {
      arity(fn, args, 1, 1);
      const a = args[0] as Node;
      return callNode(INTEGER, [a.type.kind === "bytea" ? a : text(a, fn)], ([s]) => length(s as Col));
    }
    case "substr":
    case "substring": {
      arity(fn, args, 2, 3);
      const [s, st, ct] = args as [Node, Node, Node | undefined];
      const nodes = [text(s, fn), integer(st, fn), ...(ct === undefined ? [] : [integer(ct, fn)])];
      return callNode(VARCHAR, nodes, ([a, b, c]) => substr(a as Col, b as Col, c));
    }
    case "trim":
    case "btrim":
    case "ltrim":
    case "rtrim": {
      arity(fn, args, 1, 2);
      const lead = fn !== "rtrim";
      const trail = fn !== "ltrim";
      return callNode(
        VARCHAR,
        args.map((a) => text(a, fn)),
        ([s, c]) => trim(s as Col, c, lead, trail),
      );
    }
    case "replace":
      arity(fn, args, 3, 3);
      return callNode(
        VARCHAR,
        args.map((a) => text(a, fn)),
        ([s, f, t]) => replace(s as Col, f as Col, t as Col),
      );
    case "concat":
      arity(fn, args, 1, Number.POSITIVE_INFINITY);
      return callNode(
        VARCHAR,
        args.map((a) => castNode(a, VARCHAR)),
        (cols, ctx) => concat(cols, ctx.n),
      );
    case "coalesce": {
      arity(fn, args, 1, Number.POSITIVE_INFINITY);
      const { type, nodes } = unify(args, "COALESCE", "values");
      return callNode(type, nodes, (cols) => {
        const last = cols[cols.length - 1] as Col;
        const firsts = cols.slice(0, -1);
        return selectRows(
          firsts.map((c) => isNullCol(c, false)),
          firsts,
          last,
        );
      });
    }
    case "nullif": {
      arity(fn, args, 2, 2);
      const a = args[0] as Node;
      const equal = comparison("=", a, args[1] as Node);
      return callNode(a.type, [a, equal], ([x, eq], ctx) =>
        selectRows([eq as Col], [constantCol(a.type, ctx.n, null)], x as Col),
      );
    }
    case "abs": {
      arity(fn, args, 1, 1);
      const a = number(args[0] as Node, fn);
      return callNode(a.type, [a], ([x], ctx) => abs(x as Col, ctx.warnings));
    }
    case "round":
    case "floor":
    case "ceil":
    case "ceiling":
      return rounding(fn === "ceiling" ? "ceil" : fn, args);
    case "date_trunc": {
      arity(fn, args, 2, 2);
      const [unit, value] = args as [Node, Node];
      checkUnit(unit, fn, TRUNC_UNITS);
      const v = value.untyped ? coerce(value, TIMESTAMPTZ, fn) : value;
      if (!["timestamp", "timestamptz", "date"].includes(v.type.kind)) {
        throw unsupported(`function date_trunc(varchar, ${typeName(v.type)}) does not exist`);
      }
      const type = v.type.kind === "date" ? TIMESTAMPTZ : v.type;
      return callNode(type, [text(unit, fn), v], ([u, x], ctx) => dateTrunc(u as Col, x as Col, type, ctx.warnings));
    }
    case "extract":
    case "date_part": {
      arity(fn, args, 2, 2);
      const [field, value] = args as [Node, Node];
      checkUnit(field, fn, EXTRACT_FIELDS);
      const v = value.untyped ? coerce(value, TIMESTAMPTZ, fn) : value;
      if (!["timestamp", "timestamptz", "date", "time"].includes(v.type.kind)) {
        throw unsupported(`function ${fn}(varchar, ${typeName(v.type)}) does not exist`);
      }
      const type = fn === "extract" ? NUMERIC : DOUBLE;
      return callNode(type, [text(field, fn), v], ([f, x], ctx) => {
        const r = extract(f as Col, x as Col, ctx.warnings);
        return fn === "extract" ? r : castCol(r, DOUBLE, ctx.warnings);
      });
    }
    case "to_timestamp": {
      arity(fn, args, 1, 1);
      const a = castNode(number(args[0] as Node, fn), DOUBLE);
      return callNode(TIMESTAMPTZ, [a], ([x], ctx) => toTimestamp(x as Col, ctx.warnings));
    }
    case "now":
      arity(fn, args, 0, 0);
      return callNode(TIMESTAMPTZ, [], (_cols, ctx) => constantCol(TIMESTAMPTZ, ctx.n, ctx.nowUs));
    case "starts_with": {
      arity(fn, args, 2, 2);
      return callNode(
        BOOLEAN,
        args.map((a) => text(a, fn)),
        ([s, p], ctx) => {
          const x = (s as Col).values as string[];
          const y = (p as Col).values as string[];
          const out = new Uint8Array(ctx.n);
          for (let i = 0; i < ctx.n; i++) out[i] = (x[i] as string).startsWith(y[i] as string) ? 1 : 0;
          return { type: BOOLEAN, length: ctx.n, values: out, valid: andValidOf(s as Col, p as Col, ctx.n) };
        },
      );
    }
    default:
      throw unsupported(`function ${fn} is not supported`);
  }
}

function andValidOf(a: Col, b: Col, n: number): Uint8Array | undefined {
  if (a.valid === undefined) return b.valid;
  if (b.valid === undefined) return a.valid;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (a.valid[i] as number) & (b.valid[i] as number);
  return out;
}

/** round(x), round(numeric, s), floor(x), ceil(x): numeric stays numeric, every other number is double. */
function rounding(fn: "round" | "floor" | "ceil", args: readonly Node[]): Node {
  arity(fn, args, 1, fn === "round" ? 2 : 1);
  const a = number(args[0] as Node, fn);
  if (args.length === 2 || a.type.kind === "numeric") {
    const x = castNode(a, NUMERIC);
    const scale = args.length === 2 ? [integer(args[1] as Node, fn)] : [];
    return callNode(NUMERIC, [x, ...scale], ([v, s]) => roundNumeric(v as Col, s, fn));
  }
  const x = castNode(a, DOUBLE);
  return callNode(DOUBLE, [x], ([v]) => roundDouble(v as Col, fn));
}
