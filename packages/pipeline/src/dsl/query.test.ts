import { InvalidOptionError, UnknownTypeError, parseSqlType } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { QueryError, RelationNameError } from "../errors.js";
import type { Catalog } from "../spec.js";
import { from, tumble } from "./query.js";
import { col, count, fn, lit, sum } from "./value.js";

const catalog: Catalog = {
  columnsOf: (name) =>
    name === "orders"
      ? [
          { name: "id", type: parseSqlType("int") },
          { name: "region", type: parseSqlType("varchar") },
          { name: "amount", type: parseSqlType("double") },
          { name: "at", type: parseSqlType("timestamptz") },
        ]
      : undefined,
};

const errorOf = (build: () => { plan(c: Catalog): unknown }) => {
  try {
    build().plan(catalog);
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
};

describe("from(): a query builder", () => {
  it("is immutable: a shared base query is not changed by what is built on it", () => {
    const base = from("orders").where(col("amount").gt(0));
    const byRegion = base.groupBy("region").select("region", { n: count() });
    expect(base.plan(catalog)).toEqual({
      kind: "filter",
      input: { kind: "scan", relation: "orders" },
      predicate: { kind: "call", fn: ">", args: [col("amount").term, lit(0).term] },
    });
    expect(byRegion.plan(catalog).kind).toBe("aggregate");
  });

  it("types JS literals as SQL types the same literal", () => {
    expect([lit(1), lit(2.5), lit(3_000_000_000), lit(7n), lit("x"), lit(true), lit(null)].map((v) => v.term)).toEqual([
      { kind: "literal", value: 1, type: { kind: "integer" } },
      { kind: "literal", value: "2.5", type: { kind: "numeric" } },
      { kind: "literal", value: 3_000_000_000n, type: { kind: "bigint" } },
      { kind: "literal", value: 7n, type: { kind: "bigint" } },
      { kind: "literal", value: "x", type: undefined },
      { kind: "literal", value: true, type: { kind: "boolean" } },
      { kind: "literal", value: null, type: undefined },
    ]);
  });

  it("names the SQL rule a query breaks", () => {
    const cases: [() => { plan(c: Catalog): unknown }, new (...args: never[]) => Error, RegExp][] = [
      [() => from("nope"), RelationNameError, /relation "nope" does not exist/],
      [
        () => from("orders").select("price"),
        RelationNameError,
        /column "price" does not exist \(columns: id, region, amount, at\)/,
      ],
      [() => from("orders").where(count().gt(1)), QueryError, /aggregate functions are not allowed in where\(\)/],
      [
        () => from("orders").groupBy(sum(col("amount"))),
        QueryError,
        /aggregate functions are not allowed in groupBy\(\)/,
      ],
      [
        () => from("orders").select({ s: sum(sum(col("amount"))) }),
        QueryError,
        /aggregate function calls cannot be nested/,
      ],
      [() => from("orders").groupBy("region").select("id"), QueryError, /column "id" must appear in groupBy\(\)/],
      [
        () =>
          from("orders")
            .select("id")
            .orderBy("id")
            .limit(1)
            .select({ id: col("region") }),
        QueryError,
        /output column "id" appears more than once/,
      ],
      [() => from("orders").select("id").limit(1), QueryError, /limit\(\) needs orderBy\(\)/],
      [() => from("orders").select("region", { n: count() }).distinct(), QueryError, /distinct\(\) cannot be combined/],
      [() => from("orders").select("region").distinct().orderBy("id").limit(2), QueryError, /only name output columns/],
      [
        () => from(tumble("orders", "amount", { minutes: 1 })),
        QueryError,
        /timestamp or timestamptz time column; "amount" is double precision/,
      ],
      [() => from(tumble("orders", "ts", { minutes: 1 })), RelationNameError, /column "ts" does not exist in "orders"/],
      [() => from("orders").select({ h: fn("extract", "HOUR", col("nope")) }), RelationNameError, /column "nope"/],
    ];
    for (const [build, type, message] of cases) {
      const e = errorOf(build);
      expect(e).toBeInstanceOf(type);
      expect((e as Error).message).toMatch(message);
    }
  });

  it("refuses a bad limit, window size or constant sort key when it is given", () => {
    expect(() => from("orders").orderBy(lit(1))).toThrow(
      /orderBy\(\) takes a column or an expression, not the constant 1/,
    );
    expect(() => from("orders").orderBy("id").limit(-1)).toThrow(InvalidOptionError);
    expect(() => from("orders").orderBy("id").limit(1, { offset: 0.5 })).toThrow(/offset must be a whole number/);
    expect(() => tumble("orders", "at", {})).toThrow(/window size must be a positive/);
    expect(() => tumble("orders", "at", { seconds: -5 })).toThrow(InvalidOptionError);
    expect(tumble("orders", "at", { seconds: 1, milliseconds: 500 })).toEqual({
      kind: "tumble",
      relation: "orders",
      timeColumn: "at",
      sizeUs: 1_500_000,
    });
  });

  it("leaves unknown types to the one type parser", () => {
    expect(() => col("a").cast("money" as "int")).toThrow(UnknownTypeError);
  });
});
