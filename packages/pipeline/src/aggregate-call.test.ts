import { type Expr, call, col, lit } from "@jetflow/operators";
import { describe, expect, it } from "vitest";
import { type AggregateParts, aggregateCallExpr, aggregatePartsOf } from "./aggregate-call.js";

const p: Expr = call("=", col("status"), lit("paid"));
const one: Expr = { kind: "literal", value: 1, type: { kind: "integer" } };
const caseWhen = (when: Expr, then: Expr): Expr => ({
  kind: "case",
  operand: undefined,
  branches: [{ when, then }],
  else: undefined,
});

describe("aggregatePartsOf", () => {
  it("folds FILTER into the argument; count(*) counts CASE WHEN p THEN 1 END", () => {
    expect(aggregatePartsOf({ fn: "sum", arg: col("a"), distinct: true, filter: p })).toEqual({
      fn: "sum",
      arg: caseWhen(p, col("a")),
      distinct: true,
    });
    expect(aggregatePartsOf({ fn: "count", arg: undefined, distinct: false, filter: p })).toEqual({
      fn: "count",
      arg: caseWhen(p, one),
      distinct: false,
    });
  });

  it("leaves an unfiltered call as is, and has no one column for bool_and", () => {
    expect(aggregatePartsOf({ fn: "max", arg: col("a"), distinct: false })).toEqual({
      fn: "max",
      arg: col("a"),
      distinct: false,
    });
    expect(aggregatePartsOf({ fn: "bool_and", arg: col("f"), distinct: false })).toBeUndefined();
  });
});

describe("aggregateCallExpr", () => {
  it("plans bool_or(x) FILTER (WHERE p) over two counts of CASE WHEN p THEN x END", () => {
    const asked: AggregateParts[] = [];
    const e = aggregateCallExpr({ fn: "bool_or", arg: col("f"), distinct: false, filter: p }, (parts) => {
      asked.push(parts);
      return col(`_a${asked.length - 1}`);
    });
    const value = caseWhen(p, col("f"));
    expect(asked).toEqual([
      { fn: "count", arg: value, distinct: false },
      { fn: "count", arg: caseWhen(value, one), distinct: false },
    ]);
    const zero: Expr = { kind: "literal", value: 0, type: { kind: "bigint" } };
    const nullBool: Expr = { kind: "literal", value: null, type: { kind: "boolean" } };
    expect(e).toEqual({ ...caseWhen(call("=", col("_a0"), zero), nullBool), else: call(">", col("_a1"), zero) });
  });

  it("counts the values that are not true for bool_and and every", () => {
    for (const fn of ["bool_and", "every"] as const) {
      const asked: AggregateParts[] = [];
      aggregateCallExpr({ fn, arg: col("f"), distinct: false }, (parts) => {
        asked.push(parts);
        return col("_a");
      });
      expect(asked[1]?.arg).toEqual(caseWhen(call("not", col("f")), one));
    }
  });
});
