import { RETRACT } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { call, col, lit } from "./expr/expr.js";
import { filter } from "./filter.js";
import { changeFrom, rowsOf, schemaFrom } from "./test-support.js";

const schema = schemaFrom({ id: "integer", name: "varchar", amount: "double precision", ts: "timestamptz" });

describe("filter", () => {
  it("keeps rows where the predicate is TRUE, dropping FALSE and NULL, with their ops", () => {
    const f = filter(schema, call(">", col("amount"), lit(10)));
    const out = f.process(
      changeFrom(
        schema,
        [
          { id: 1, amount: 5 },
          { id: 2, amount: 50 },
          { id: 3, amount: null },
          { id: 4, amount: 11 },
        ],
        [1, 1, 1, RETRACT],
      ),
    );
    expect(rowsOf(out).map((r) => [r._op, r.id])).toEqual([
      [1, 2],
      [-1, 4],
    ]);
    expect(f.process(changeFrom(schema, [{ id: 1, amount: 1 }]))).toBeUndefined();
  });

  it("counts division by zero and keeps going", () => {
    const f = filter(schema, call(">", call("/", col("amount"), lit(0)), lit(1)));
    expect(f.process(changeFrom(schema, [{ id: 1, amount: 3 }]))).toBeUndefined();
    expect(f.warnings?.divisionByZero).toBe(1);
  });

  it("rejects a non-boolean predicate and unknown columns", () => {
    expect(() => filter(schema, col("amount"))).toThrow(/must be type boolean/);
    expect(() => filter(schema, call("=", col("nope"), lit(1)))).toThrow(/column "nope" does not exist/);
  });
});
