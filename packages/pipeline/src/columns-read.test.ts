import { call, col, lit } from "@jetflow/operators";
import { describe, expect, it } from "vitest";
import { columnsRead, readsOf } from "./columns-read.js";
import type { ViewQuery } from "./spec.js";

const scan: ViewQuery = { kind: "scan", relation: "t" };
const sorted = (q: ViewQuery) => columnsRead(q)?.sort();

describe("columnsRead", () => {
  it("reads only what aggregates, group keys and projections use, through filters", () => {
    const filtered: ViewQuery = { kind: "filter", input: scan, predicate: call(">=", col("v"), lit(5)) };
    expect(
      sorted({
        kind: "aggregate",
        input: filtered,
        groupBy: [{ name: "k", expr: col("k") }],
        aggregates: [
          { name: "n", fn: "count", arg: undefined, distinct: false },
          { name: "s", fn: "sum", arg: call("*", col("price"), col("qty")), distinct: false },
        ],
      }),
    ).toEqual(["k", "price", "qty", "v"]);
    expect(sorted({ kind: "project", input: filtered, columns: [{ name: "x", expr: col("id") }] })).toEqual([
      "id",
      "v",
    ]);
  });

  it("reads every column when the view keeps input rows whole", () => {
    expect(columnsRead(scan)).toBeUndefined();
    expect(columnsRead({ kind: "filter", input: scan, predicate: call(">", col("v"), lit(0)) })).toBeUndefined();
    expect(
      columnsRead({
        kind: "topN",
        input: scan,
        orderBy: [{ expr: col("v"), desc: true, nullsFirst: false }],
        limit: 3,
        offset: 0,
      }),
    ).toBeUndefined();
    expect(columnsRead({ kind: "tumble", input: scan, timeColumn: "ts", sizeUs: 1e6 })).toBeUndefined();
  });

  it("adds what top-n orders by and tumble windows on, under a projection", () => {
    const top: ViewQuery = {
      kind: "topN",
      input: { kind: "tumble", input: scan, timeColumn: "ts", sizeUs: 1e6 },
      orderBy: [{ expr: col("v"), desc: true, nullsFirst: false }],
      limit: 3,
      offset: 0,
    };
    expect(sorted({ kind: "project", input: top, columns: [{ name: "w", expr: col("window_start") }] })).toEqual([
      "ts",
      "v",
      "window_start",
    ]);
  });
  it("reads the key a join side or a top-N identifies its input's rows by, though nothing above reads it", () => {
    // SELECT c.country, sum(o.amount) FROM orders o JOIN customers c ON o.cust = c.id GROUP BY c.country
    const orders: ViewQuery = { kind: "scan", relation: "orders" };
    const customers: ViewQuery = { kind: "scan", relation: "customers" };
    const joined: ViewQuery = {
      kind: "join",
      join: "inner",
      left: orders,
      right: customers,
      names: ["o_id", "cust", "amount", "note", "c_id", "country"],
      on: [{ left: col("cust"), right: col("c_id") }],
      residual: undefined,
    };
    const query: ViewQuery = {
      kind: "aggregate",
      input: joined,
      groupBy: [{ name: "country", expr: col("country") }],
      aggregates: [{ name: "total", fn: "sum", arg: col("amount"), distinct: false }],
    };
    const names = (q: ViewQuery) =>
      q === orders ? ["id", "cust", "amount", "note"] : q === customers ? ["id", "country"] : joined.names;
    const keys = (q: ViewQuery) => (q.kind === "scan" ? ["id"] : []);
    expect(readsOf(query, names, keys).scans.map((r) => r?.sort())).toEqual([["amount", "cust", "id"], undefined]);
    // Without keys only what is read above and the join keys.
    expect(readsOf(query, names).scans.map((r) => r?.sort())).toEqual([["amount", "cust"], undefined]);

    const top: ViewQuery = {
      kind: "project",
      input: {
        kind: "topN",
        input: orders,
        orderBy: [{ expr: col("amount"), desc: true, nullsFirst: false }],
        limit: 3,
        offset: 0,
      },
      columns: [{ name: "cust", expr: col("cust") }],
    };
    expect(readsOf(top, names, keys).scans[0]?.sort()).toEqual(["amount", "cust", "id"]);
  });
});
