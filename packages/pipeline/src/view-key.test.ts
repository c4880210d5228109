import { call, col, lit } from "@jetflow/operators";
import { describe, expect, it } from "vitest";
import type { ViewQuery } from "./spec.js";
import { viewKey } from "./view-key.js";

const scan: ViewQuery = { kind: "scan", relation: "t" };
const byRegion: ViewQuery = {
  kind: "aggregate",
  input: scan,
  groupBy: [{ name: "region", expr: col("region") }],
  aggregates: [{ name: "count", fn: "count", arg: undefined, distinct: false }],
};

const keys: Record<string, readonly string[]> = { t: [], orders: ["id"], pair: ["a", "b"] };
const keyOf = (relation: string) => keys[relation] ?? [];
const scanOf = (relation: string): ViewQuery => ({ kind: "scan", relation });

describe("viewKey", () => {
  it("is the group columns of an aggregate, through HAVING", () => {
    expect(viewKey(byRegion, keyOf)).toEqual(["region"]);
    expect(viewKey({ kind: "filter", input: byRegion, predicate: call(">", col("count"), lit(1)) }, keyOf)).toEqual([
      "region",
    ]);
  });

  it("follows a projection that keeps every group column, renamed or not", () => {
    const renamed: ViewQuery = {
      kind: "project",
      input: byRegion,
      columns: [
        { name: "n", expr: col("count") },
        { name: "r", expr: col("region") },
      ],
    };
    expect(viewKey(renamed, keyOf)).toEqual(["r"]);
    const dropped: ViewQuery = { kind: "project", input: byRegion, columns: [{ name: "n", expr: col("count") }] };
    expect(viewKey(dropped, keyOf)).toEqual([]);
  });

  it("is the key of the relation scanned (a table's primary key, a view's key), through filters and projections keeping it", () => {
    expect(viewKey(scanOf("orders"), keyOf)).toEqual(["id"]);
    const filtered: ViewQuery = { kind: "filter", input: scanOf("pair"), predicate: call(">", col("a"), lit(1)) };
    expect(viewKey(filtered, keyOf)).toEqual(["a", "b"]);
    const recent: ViewQuery = {
      kind: "temporalFilter",
      input: filtered,
      timeColumn: "ts",
      windowUs: 1e6,
      inclusive: true,
    };
    const kept: ViewQuery = {
      kind: "project",
      input: recent,
      columns: [
        { name: "second", expr: col("b") },
        { name: "first", expr: col("a") },
        { name: "double", expr: call("*", col("a"), lit(2)) },
      ],
    };
    expect(viewKey(kept, keyOf)).toEqual(["first", "second"]);
    const half: ViewQuery = { kind: "project", input: scanOf("pair"), columns: [{ name: "a", expr: col("a") }] };
    expect(viewKey(half, keyOf)).toEqual([]);
    const computed: ViewQuery = {
      kind: "project",
      input: scanOf("orders"),
      columns: [{ name: "id", expr: call("+", col("id"), lit(1)) }],
    };
    expect(viewKey(computed, keyOf)).toEqual([]);
  });

  it("is empty for rows without a key: a source or a table without a primary key, a join", () => {
    expect(viewKey(scan, keyOf)).toEqual([]);
    expect(viewKey({ kind: "project", input: scan, columns: [{ name: "a", expr: col("a") }] }, keyOf)).toEqual([]);
    const join: ViewQuery = {
      kind: "join",
      join: "inner",
      left: scanOf("orders"),
      right: scanOf("pair"),
      names: ["id", "a", "b"],
      on: [{ left: col("id"), right: col("a") }],
    };
    expect(viewKey(join, keyOf)).toEqual([]);
  });

  it("is a top-N's input's key: its rows are some of its input's", () => {
    const top = (input: ViewQuery): ViewQuery => ({ kind: "topN", input, orderBy: [], limit: 3, offset: 0 });
    expect(viewKey(top(scanOf("orders")), keyOf)).toEqual(["id"]);
    expect(viewKey(top(byRegion), keyOf)).toEqual(["region"]);
    expect(viewKey(top(scan), keyOf)).toEqual([]);
  });
});
