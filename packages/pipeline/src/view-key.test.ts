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

describe("viewKey", () => {
  it("is the group columns of an aggregate, through HAVING", () => {
    expect(viewKey(byRegion)).toEqual(["region"]);
    expect(viewKey({ kind: "filter", input: byRegion, predicate: call(">", col("count"), lit(1)) })).toEqual([
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
    expect(viewKey(renamed)).toEqual(["r"]);
    const dropped: ViewQuery = { kind: "project", input: byRegion, columns: [{ name: "n", expr: col("count") }] };
    expect(viewKey(dropped)).toEqual([]);
  });

  it("is empty for rows without a key: scans, projections of tables, top-N", () => {
    expect(viewKey(scan)).toEqual([]);
    expect(viewKey({ kind: "project", input: scan, columns: [{ name: "a", expr: col("a") }] })).toEqual([]);
  });
});
