import { type Expr, call, col, lit } from "@jetflow/operators";
import { describe, expect, it } from "vitest";
import type { ViewQuery } from "./spec.js";
import { GroupedPlan, assembleView, freshName, orderColumnName } from "./view-plan.js";

const scan: ViewQuery = { kind: "scan", relation: "t" };
const named = (name: string, expr: Expr = col(name)) => ({ name, expr });

describe("the shared planning steps", () => {
  it("freshName skips taken names and takes the one it gives", () => {
    const taken = new Set(["_a0", "_a2"]);
    expect([freshName(taken, "_a"), freshName(taken, "_a"), freshName(taken, "_o")]).toEqual(["_a1", "_a3", "_o0"]);
    expect(taken.has("_a3")).toBe(true);
  });

  it("assembleView leaves out a project that keeps its input, and hides sort-only columns after top-N", () => {
    expect(assembleView(scan, ["a", "b"], [named("a"), named("b")], undefined, undefined)).toBe(scan);
    expect(assembleView(scan, ["a", "b"], [named("b"), named("a")], undefined, undefined)).toEqual({
      kind: "project",
      input: scan,
      columns: [named("b"), named("a")],
    });
    const hidden = [named("_o0", col("c"))];
    const order = { orderBy: [{ expr: col("_o0"), desc: true, nullsFirst: true }], hidden };
    expect(assembleView(scan, ["a", "c"], [named("a")], order, { count: 3, offset: 1 })).toEqual({
      kind: "project",
      input: {
        kind: "topN",
        input: { kind: "project", input: scan, columns: [named("a"), ...hidden] },
        orderBy: order.orderBy,
        limit: 3,
        offset: 1,
      },
      columns: [named("a")],
    });
  });

  it("orderColumnName reuses an output or hidden column, adds one only where allowed", () => {
    const taken = new Set(["a"]);
    const hidden: { name: string; expr: Expr }[] = [];
    const plus = call("+", col("a"), lit(1));
    expect(orderColumnName(col("a"), [named("a")], hidden, taken, true)).toBe("a");
    expect(orderColumnName(plus, [named("a")], hidden, taken, false)).toBeUndefined();
    expect(orderColumnName(plus, [named("a")], hidden, taken, true)).toBe("_o0");
    expect(orderColumnName(plus, [named("a")], hidden, taken, true)).toBe("_o0");
    expect(hidden).toEqual([named("_o0", plus)]);
  });

  it("GroupedPlan names keys and aggregates as SQL does", () => {
    // SELECT count(*) AS n, sum(v) + 1 AS s FROM t GROUP BY k, k2 + 1 HAVING max(v) > 0
    const taken = new Set(["n", "s"]);
    const plan = new GroupedPlan(
      [
        { expr: col("k"), name: undefined },
        { expr: call("+", col("k2"), lit(1)), name: undefined },
      ],
      taken,
    );
    const count = { fn: "count", arg: undefined, distinct: false } as const;
    plan.nameAggregate(count, "n");
    plan.nameRest();
    expect(plan.aggregateColumn({ fn: "sum", arg: col("v"), distinct: false })).toEqual(col("_a0"));
    expect(plan.aggregateColumn(count)).toEqual(col("n"));
    expect(plan.intercept(call("+", col("k2"), lit(1)))).toEqual(col("_g0"));
    expect(plan.intercept(lit(5))).toEqual(lit(5));
    expect(plan.intercept(col("v"))).toBeUndefined();
    const mark = plan.mark();
    plan.aggregateColumn({ fn: "max", arg: col("v"), distinct: false });
    plan.dropSince(mark);
    const { query, names } = plan.query(scan, undefined);
    expect(names).toEqual(["k", "_g0", "n", "_a0"]);
    expect(query).toEqual({
      kind: "aggregate",
      input: scan,
      groupBy: [named("k"), named("_g0", call("+", col("k2"), lit(1)))],
      aggregates: [
        { name: "n", ...count },
        { name: "_a0", fn: "sum", arg: col("v"), distinct: false },
      ],
    });
  });
});
