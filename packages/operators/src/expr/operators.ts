import { unsupported } from "../errors.js";
import {
  type ArithOp,
  arithNumbers,
  dateArith,
  intervalArith,
  negate,
  timestampDiff,
  timestampPlusInterval,
} from "./arith.js";
import { andOr, type CompareOp, compareCols, isBool, isNullCol, not, rowNullTest } from "./logic.js";
import { callNode, castNode, coerce, type Node, unify } from "./node.js";
import { concatOp, like } from "./strings.js";
import { datePlusTime, intervalScale, timeDiff, timePlusInterval } from "./time-arith.js";
import {
  BOOLEAN,
  DOUBLE,
  INTEGER,
  INTERVAL,
  isIntegerType,
  isNumberType,
  promoteNumbers,
  TIME,
  TIMESTAMP,
  typeName,
  VARCHAR,
} from "./types.js";

/** SQL operators: arithmetic with PostgreSQL's promotion, comparisons, three-valued logic. */

function noOperator(op: string, l: Node, r: Node): Error {
  return unsupported(`operator does not exist: ${typeName(l.type)} ${op} ${typeName(r.type)}`);
}

/** Gives an untyped side the other side's type. */
function adopt(l: Node, r: Node): [Node, Node] {
  if (l.untyped && !r.untyped) return [coerce(l, r.type, "operand"), r];
  if (r.untyped && !l.untyped) return [l, coerce(r, l.type, "operand")];
  return [l, r];
}

export function arithmetic(op: ArithOp, left: Node, right: Node): Node {
  let [l, r] = adopt(left, right);
  if (l.untyped && r.untyped) {
    l = coerce(l, INTEGER, "operand");
    r = coerce(r, INTEGER, "operand");
  }
  const lt = l.type.kind;
  const rt = r.type.kind;
  if (isNumberType(l.type) && isNumberType(r.type)) {
    const type = promoteNumbers(l.type, r.type);
    const a = castNode(l, type);
    const b = castNode(r, type);
    return callNode(type, [a, b], ([x, y], ctx) => arithNumbers(op, x as never, y as never, type, ctx.warnings));
  }
  const isTs = (k: string) => k === "timestamp" || k === "timestamptz";
  if ((op === "*" || op === "/") && lt === "interval" && isNumberType(r.type)) {
    const f = castNode(r, DOUBLE);
    return callNode(INTERVAL, [l, f], ([x, y], ctx) =>
      intervalScale(x as never, y as never, op === "/", INTERVAL, ctx.warnings),
    );
  }
  if (op === "*" && isNumberType(l.type) && rt === "interval") return arithmetic("*", right, left);
  if (op === "+" && lt === "date" && rt === "time") {
    return callNode(TIMESTAMP, [l, r], ([x, y]) => datePlusTime(x as never, y as never, TIMESTAMP));
  }
  if (op === "+" && lt === "time" && rt === "date") return arithmetic("+", right, left);
  if ((op === "+" || op === "-") && lt === "time" && rt === "interval") {
    const sign = op === "+" ? 1 : -1;
    return callNode(TIME, [l, r], ([x, y]) => timePlusInterval(x as never, y as never, sign, TIME));
  }
  if (op === "+" && lt === "interval" && rt === "time") return arithmetic("+", right, left);
  if (op === "-" && lt === "time" && rt === "time") {
    return callNode(INTERVAL, [l, r], ([x, y]) => timeDiff(x as never, y as never, INTERVAL));
  }
  if ((op === "+" || op === "-") && (isTs(lt) || lt === "date") && rt === "interval") {
    const type = lt === "date" ? TIMESTAMP : l.type;
    const sign = op === "+" ? 1 : -1;
    return callNode(type, [l, r], ([x, y], ctx) =>
      timestampPlusInterval(x as never, y as never, sign, type, ctx.warnings),
    );
  }
  if (op === "+" && lt === "interval" && (isTs(rt) || rt === "date")) return arithmetic("+", right, left);
  if (op === "-" && isTs(lt) && isTs(rt)) {
    const a = castNode(l, lt === rt ? l.type : { kind: "timestamptz" });
    const b = castNode(r, a.type);
    return callNode(INTERVAL, [a, b], ([x, y]) => timestampDiff(x as never, y as never, INTERVAL));
  }
  if ((op === "+" || op === "-") && lt === "date" && isIntegerType(r.type)) {
    const b = castNode(r, INTEGER);
    return callNode(l.type, [l, b], ([x, y]) => dateArith(op, x as never, y as never, l.type));
  }
  if (op === "+" && isIntegerType(l.type) && rt === "date") return arithmetic("+", right, left);
  if (op === "-" && lt === "date" && rt === "date") {
    return callNode(INTEGER, [l, r], ([x, y]) => dateArith("-", x as never, y as never, INTEGER));
  }
  if ((op === "+" || op === "-") && lt === "interval" && rt === "interval") {
    return callNode(INTERVAL, [l, r], ([x, y]) => intervalArith(op, x as never, y as never, INTERVAL));
  }
  throw noOperator(op, l, r);
}

export function negation(arg: Node): Node {
  const a = arg.untyped ? coerce(arg, INTEGER, "operand of unary -") : arg;
  if (!isNumberType(a.type) && a.type.kind !== "interval") {
    throw unsupported(`operator does not exist: - ${typeName(a.type)}`);
  }
  return callNode(a.type, [a], ([x], ctx) => negate(x as never, ctx.warnings));
}

export function comparison(op: CompareOp, left: Node, right: Node): Node {
  const [l, r] = adopt(left, right);
  const { type, nodes } = unify([l, r], `operator ${op}`);
  if (type.kind === "struct" || type.kind === "list") throw noOperator(op, l, r);
  return callNode(BOOLEAN, nodes, ([x, y]) => compareCols(op, x as never, y as never));
}

function asBoolean(node: Node, what: string): Node {
  if (node.type.kind === "boolean") return node;
  if (node.untyped) return coerce(node, BOOLEAN, what);
  throw unsupported(`argument of ${what} must be type boolean, not type ${typeName(node.type)}`);
}

export function logical(fn: "and" | "or", args: readonly Node[]): Node {
  const nodes = args.map((a) => asBoolean(a, fn.toUpperCase()));
  if (nodes.length < 2) throw unsupported(`${fn.toUpperCase()} needs two arguments`);
  return callNode(BOOLEAN, nodes, (cols) =>
    cols.slice(1).reduce((acc, c) => andOr(fn === "and", acc, c), cols[0] as never),
  );
}

export function negationNot(arg: Node): Node {
  return callNode(BOOLEAN, [asBoolean(arg, "NOT")], ([x]) => not(x as never));
}

export function nullTest(arg: Node, wantNull: boolean): Node {
  if (arg.type.kind === "struct") return callNode(BOOLEAN, [arg], ([x]) => rowNullTest(x as never, wantNull));
  return callNode(BOOLEAN, [arg], ([x]) => isNullCol(x as never, wantNull));
}

export function truthTest(arg: Node, want: boolean): Node {
  return callNode(BOOLEAN, [asBoolean(arg, want ? "IS TRUE" : "IS FALSE")], ([x]) => isBool(x as never, want));
}

/** `x IN (v1, ...)`: TRUE on a match, else NULL if any side is NULL, else FALSE. */
export function inList(args: readonly Node[]): Node {
  if (args.length < 2) throw unsupported("IN needs a value and at least one list element");
  const { nodes } = unify(args, "IN");
  const [x, ...list] = nodes as [Node, ...Node[]];
  return callNode(BOOLEAN, [x, ...list], ([v, ...items]) =>
    items.map((item) => compareCols("=", v as never, item)).reduce((acc, c) => andOr(false, acc, c)),
  );
}

export function between(args: readonly Node[]): Node {
  if (args.length !== 3) throw unsupported("BETWEEN needs a value, a low and a high bound");
  const { nodes } = unify(args, "BETWEEN");
  return callNode(BOOLEAN, nodes, ([v, lo, hi]) =>
    andOr(true, compareCols(">=", v as never, lo as never), compareCols("<=", v as never, hi as never)),
  );
}

function asText(node: Node, what: string): Node {
  if (node.type.kind === "varchar") return node;
  if (node.untyped) return coerce(node, VARCHAR, what);
  throw unsupported(`${what} expects text, got ${typeName(node.type)}`);
}

export function likeNode(args: readonly Node[], caseInsensitive: boolean): Node {
  const what = caseInsensitive ? "ILIKE" : "LIKE";
  if (args.length < 2 || args.length > 3) throw unsupported(`${what} needs a value and a pattern`);
  const nodes = args.map((a) => asText(a, what));
  return callNode(BOOLEAN, nodes, ([s, p, e]) => like(s as never, p as never, e, caseInsensitive));
}

/** `a || b`: text concatenation; a non-text side is cast to text, as PostgreSQL's anynonarray || text. */
export function concatNode(left: Node, right: Node): Node {
  const l = left.untyped || left.type.kind !== "varchar" ? castNode(left, VARCHAR) : left;
  const r = right.untyped || right.type.kind !== "varchar" ? castNode(right, VARCHAR) : right;
  if (left.type.kind !== "varchar" && right.type.kind !== "varchar" && !left.untyped && !right.untyped) {
    throw noOperator("||", left, right);
  }
  return callNode(VARCHAR, [l, r], ([x, y]) => concatOp(x as never, y as never));
}
