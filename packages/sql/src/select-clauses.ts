import { ErrorCode } from "@jetflow/core";
import type { Expr } from "@jetflow/operators";
import type { Node } from "libpg-query";
import { intervalMicros } from "./interval.js";
import { conjuncts } from "@jetflow/pipeline";
import { type SelectSource, firstLocation, nodeLocation } from "./select-ast.js";

/** `LIMIT count OFFSET offset`, both integer constants. */
export interface Limit {
  readonly count: number;
  readonly offset: number;
}

/** LIMIT / OFFSET as integer constants; LIMIT needs ORDER BY. */
export function limitOf(sel: SelectSource): Limit | undefined {
  const stmt = sel.stmt;
  if (stmt.limitOption === "LIMIT_OPTION_WITH_TIES") {
    throw sel.unsupported(nodeLocation(stmt.limitCount), "FETCH FIRST ... WITH TIES");
  }
  const count = constant(sel, stmt.limitCount, "LIMIT");
  const offset = constant(sel, stmt.limitOffset, "OFFSET") ?? 0;
  if (count === undefined) {
    if (offset > 0) throw sel.unsupported(nodeLocation(stmt.limitOffset), "OFFSET without LIMIT");
    return undefined;
  }
  if ((stmt.sortClause?.length ?? 0) === 0) {
    throw sel.unsupported(
      nodeLocation(stmt.limitCount),
      "LIMIT without ORDER BY",
      "is",
      "which rows the view keeps would be arbitrary",
    );
  }
  return { count, offset };
}

function constant(sel: SelectSource, node: Node | undefined, clause: string): number | undefined {
  if (node === undefined) return undefined;
  const location = nodeLocation(node);
  if ("A_Const" in node) {
    const c = node.A_Const;
    if (c.isnull === true) return undefined;
    const value =
      c.ival !== undefined ? (c.ival.ival ?? 0) : /^-?\d+$/.test(c.fval?.fval ?? "") ? Number(c.fval?.fval) : undefined;
    if (value !== undefined) {
      if (value < 0) throw sel.error(ErrorCode.SqlSyntax, location, `${clause} must not be negative`);
      if (!Number.isSafeInteger(value)) throw sel.unsupported(location, `${clause} ${c.fval?.fval}`, "is", "too large");
      return value;
    }
  }
  throw sel.unsupported(location, `${clause} other than an integer constant`);
}

/** Clauses that make a SELECT something other than one relation's rows, grouped or not. */
export function rejectUnsupportedClauses(sel: SelectSource): void {
  const stmt = sel.stmt;
  if (stmt.op !== undefined && stmt.op !== "SETOP_NONE" && stmt.op !== "SETOP_UNION") {
    throw sel.unsupported(firstLocation(stmt.rarg), stmt.op.replace("SETOP_", ""));
  }
  if (stmt.withClause?.recursive === true) {
    throw sel.unsupported(stmt.withClause.location, "WITH RECURSIVE");
  }
  if (stmt.intoClause !== undefined) throw sel.unsupported(firstLocation(stmt.intoClause), "SELECT INTO");
  if (stmt.valuesLists !== undefined) throw sel.unsupported(firstLocation(stmt.valuesLists), "VALUES lists", "are");
  if (stmt.lockingClause !== undefined) {
    throw sel.unsupported(firstLocation(stmt.lockingClause), "FOR UPDATE / FOR SHARE");
  }
  if (stmt.windowClause !== undefined) throw sel.unsupported(firstLocation(stmt.windowClause), "WINDOW clauses", "are");
  if (stmt.groupDistinct === true) throw sel.unsupported(firstLocation(stmt.groupClause), "GROUP BY DISTINCT");
  if (stmt.distinctClause?.some((n) => Object.keys(n).length > 0)) {
    throw sel.unsupported(firstLocation(stmt.distinctClause), "SELECT DISTINCT ON");
  }
}

/** A WHERE part `col > now() - INTERVAL '...'`, as a temporal filter's settings. */
export interface TemporalCondition {
  readonly timeColumn: string;
  readonly windowUs: number;
  readonly inclusive: boolean;
}

/**
 * Splits WHERE into its temporal conditions (`col > now() - INTERVAL '1 hour'`, `>=`, or written
 * the other way round, `now() - INTERVAL '1 hour' < col`) and the rest, which stays a filter.
 */
export function temporalConditions(where: Expr | undefined): { temporal: TemporalCondition[]; rest: Expr | undefined } {
  const temporal: TemporalCondition[] = [];
  const rest: Expr[] = [];
  for (const part of where === undefined ? [] : conjuncts(where)) {
    const found = temporalCondition(part);
    if (found === undefined) rest.push(part);
    else temporal.push(found);
  }
  // Nothing temporal: WHERE stays the tree it was written as (the DSL plans the same tree).
  if (temporal.length === 0) return { temporal, rest: where };
  const joined =
    rest.length === 0 ? undefined : rest.reduce((a, b): Expr => ({ kind: "call", fn: "and", args: [a, b] }));
  return { temporal, rest: joined };
}

function temporalCondition(e: Expr): TemporalCondition | undefined {
  if (e.kind !== "call" || e.args.length !== 2) return undefined;
  const flipped: Record<string, string> = { "<": ">", "<=": ">=" };
  const [a, b] = e.args as [Expr, Expr];
  const [op, column, bound] = e.fn === ">" || e.fn === ">=" ? [e.fn, a, b] : [flipped[e.fn], b, a];
  if (op === undefined || column.kind !== "column") return undefined;
  if (bound.kind !== "call" || bound.fn !== "-" || bound.args.length !== 2) return undefined;
  const [now, interval] = bound.args as [Expr, Expr];
  if (now.kind !== "call" || now.fn !== "now") return undefined;
  const text =
    interval.kind === "cast" && interval.type.kind === "interval" && interval.expr.kind === "literal"
      ? interval.expr.value
      : interval.kind === "literal" && interval.type?.kind === "interval"
        ? interval.value
        : undefined;
  if (typeof text !== "string") return undefined;
  const us = intervalMicros(text);
  if (typeof us === "string" || !(us > 0) || !Number.isSafeInteger(us)) return undefined;
  return { timeColumn: column.name, windowUs: us, inclusive: op === ">=" };
}
