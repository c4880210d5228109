import { InvalidOptionError, UnknownTypeError, parseSqlType } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { QueryError, RelationNameError } from "../errors.js";
import type { Catalog } from "../spec.js";
import { type JoinOnArg, from, tumble, using } from "./query.js";
import { count, sum } from "./aggregate.js";
import { col, fn, lit } from "./value.js";

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

  it("names the rule a join breaks", () => {
    const on = col("a.id").eq(col("b.id"));
    const cases: [() => { plan(c: Catalog): unknown }, new (...args: never[]) => Error, RegExp][] = [
      [
        () => from("orders").join("orders", using(["id"])),
        RelationNameError,
        /table name "orders" specified more than once/,
      ],
      [
        () => from("orders", "a").join("orders", "b", on).select("id"),
        RelationNameError,
        /column reference "id" is ambiguous/,
      ],
      [
        () => from("orders", "a").join("orders", "b", on).select("c.id"),
        RelationNameError,
        /missing FROM-clause entry for table "c"/,
      ],
      [
        () => from("orders", "a").join("orders", "b", col("a.id").gt(col("b.id"))),
        QueryError,
        /cross joins\) are not supported in materialized views \(add one to ON/,
      ],
      [
        () => from("orders", "a").join("orders", "b", on.and(count().gt(1))),
        QueryError,
        /aggregate functions are not allowed in join\(\)/,
      ],
      [
        () => from("orders", "a").join("orders", "b", using(["nope"])),
        RelationNameError,
        /"nope" specified in USING clause does not exist in left table/,
      ],
      [
        () => from("orders", "a").fullJoin("orders", "b", on, { temporal: true }),
        QueryError,
        /PROCTIME\(\) in a FULL join/,
      ],
      [
        () => from("orders", "a").join(tumble("orders", "at", { minutes: 1 }), "b", on, { temporal: true }),
        QueryError,
        /temporal join .* needs a table on the right/,
      ],
    ];
    for (const [build, type, message] of cases) {
      const e = errorOf(build);
      expect(e).toBeInstanceOf(type);
      expect((e as Error).message).toMatch(message);
    }
  });

  it("refuses a join without a condition, a second condition, or an empty using()", () => {
    const join = from("orders", "a").join as (...args: unknown[]) => unknown;
    expect(() => join.call(from("orders", "a"), "orders", "b")).toThrow(/inner join of "orders" needs a condition/);
    expect(() => from("orders", "a").leftJoin("orders", "b", undefined as unknown as JoinOnArg)).toThrow(
      /left join of "orders" needs a condition/,
    );
    expect(() => using([])).toThrow(/at least one column/);
    const joined = from("orders", "a").join("orders", "b", using("id"));
    expect(() => from(joined.parts.from, "j")).toThrow(/an alias \("j"\) on a join is not supported/);
  });

  it("keeps a plain query's parts as they were: a join is a FROM item of its own", () => {
    expect(from("orders", "o").parts.from).toEqual({ kind: "relation", name: "orders", alias: "o" });
    expect(from("orders").join("customers", "c", using(["id"]), { temporal: true }).parts.from).toEqual({
      kind: "join",
      join: "inner",
      left: { kind: "relation", name: "orders" },
      right: { kind: "relation", name: "customers", alias: "c" },
      on: { kind: "using", names: ["id"] },
      temporal: true,
    });
  });
});
