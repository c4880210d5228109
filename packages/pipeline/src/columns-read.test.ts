import { call, col, lit } from "@jetflow/operators";
import { describe, expect, it } from "vitest";
import { columnsRead } from "./columns-read.js";
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
});
