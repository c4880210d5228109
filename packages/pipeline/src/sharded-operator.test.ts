import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type ChangeBatch, RETRACT } from "@jetflow/core";
import { call, col, lit } from "@jetflow/operators";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OperatorThreads } from "./operator-threads.js";
import { pipeline } from "./pipeline.js";
import type { ViewQuery } from "./spec.js";
import { ShardedOperator } from "./sharded-operator.js";
import { jsonTable, seed } from "./test-support.js";

const COLUMNS = { id: "int", region: "varchar", amount: "int" };

/** SELECT region, count(*), sum(amount), min(amount), max(amount), count(DISTINCT amount) FROM orders GROUP BY region */
const BY_REGION: ViewQuery = {
  kind: "aggregate",
  input: { kind: "scan", relation: "orders" },
  groupBy: [{ name: "region", expr: col("region") }],
  aggregates: [
    { name: "n", fn: "count", arg: undefined, distinct: false },
    { name: "total", fn: "sum", arg: col("amount"), distinct: false },
    { name: "low", fn: "min", arg: col("amount"), distinct: false },
    { name: "high", fn: "max", arg: col("amount"), distinct: false },
    { name: "amounts", fn: "count", arg: col("amount"), distinct: true },
  ],
};

/** SELECT region, sum(100 / amount) FROM events GROUP BY region: amount 0 is a NULL and a warning, once per message. */
const INVERSE: ViewQuery = {
  kind: "aggregate",
  input: { kind: "scan", relation: "events" },
  groupBy: [{ name: "region", expr: col("region") }],
  aggregates: [{ name: "inverse", fn: "sum", arg: call("/", lit(100), col("amount")), distinct: false }],
};

/** A view on the sharded view, keyed by another expression: its own shards. */
const BY_SIZE: ViewQuery = {
  kind: "aggregate",
  input: { kind: "filter", input: { kind: "scan", relation: "by_region" }, predicate: call(">", col("n"), lit(1)) },
  groupBy: [{ name: "size", expr: call("%", col("n"), lit(5)) }],
  aggregates: [{ name: "regions", fn: "count", arg: undefined, distinct: false }],
};

/** Orders over 150 regions, ids overwritten (moved to other regions), amounts 0..9. */
function orders(from: number, count: number): object[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return { id: i % 700, region: `r${(i * 7) % 150}`, amount: i % 10 };
  });
}

function sorted(rows: Record<string, unknown>[] | undefined): string[] {
  return (rows ?? []).map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v))).sort();
}

describe("keyed operators in operator threads (shards)", () => {
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-shards-"));
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The views as a pipeline with `shards` computes them from the stream (restoring `state` when given). */
  async function run(shards: number, state?: string) {
    const p = pipeline({ shards, ...(state === undefined ? {} : { state: { kind: "filesystem", dir: state } }) })
      .table("orders", jsonTable(server.url, "SH", "sh.x", COLUMNS, ["id"]))
      .source("events", jsonTable(server.url, "SH", "sh.x", COLUMNS))
      .materializedView("by_region", BY_REGION)
      .materializedView("by_size", BY_SIZE)
      .materializedView("inverse", INVERSE);
    await p.start();
    await p.caughtUp();
    return p;
  }

  it("gives the views, changes, lookups and warnings one thread gives, and restores into any number of shards", async () => {
    await seed(server.url, "SH", "sh.x", orders(0, 2000));
    const state = path.join(dir, "state");

    const one = await run(0);
    const expected = { byRegion: sorted(one.view("by_region").rows()), bySize: sorted(one.view("by_size").rows()) };
    const inverse = sorted(one.view("inverse").rows());
    await one.stop();
    expect(expected.byRegion).toHaveLength(150);

    // 3 shards, from scratch; the changes a subscriber sees add up to the view.
    const three = pipeline({ shards: 3, state: { kind: "filesystem", dir: state } })
      .table("orders", jsonTable(server.url, "SH", "sh.x", COLUMNS, ["id"]))
      .source("events", jsonTable(server.url, "SH", "sh.x", COLUMNS))
      .materializedView("by_region", BY_REGION)
      .materializedView("by_size", BY_SIZE)
      .materializedView("inverse", INVERSE);
    const seen = new Map<string, number>();
    await three.start();
    three.relation("by_region").changes$.subscribe((c: ChangeBatch) => {
      const rows = c.batch.toArray();
      rows.forEach((r, i) => {
        const k = sorted([{ ...r.toJSON() }])[0] as string;
        seen.set(k, (seen.get(k) ?? 0) + (c.ops?.[i] === RETRACT ? -1 : 1));
      });
    });
    await three.caughtUp();
    expect(sorted(three.view("by_region").rows())).toEqual(expected.byRegion);
    expect(sorted(three.view("by_size").rows())).toEqual(expected.bySize);
    expect(sorted(three.view("inverse").rows())).toEqual(inverse);
    // One warning per message with amount 0 (every tenth), however the shards split them.
    expect(three.metrics.total("jetflow_expression_nulls_total")).toBe(200);
    const north = await three.relation("by_region").lookupByKey({ region: "r7" });
    expect(north?.rows).toHaveLength(1);
    expect(expected.byRegion.some((r) => r.startsWith('{"region":"r7","n":'))).toBe(true);

    // The changes from here on net to the difference between the view's rows before and after.
    seen.clear();
    const before = new Set(expected.byRegion);
    await seed(server.url, "SH", "sh.x", orders(2000, 500));
    await three.caughtUp();
    const after = sorted(three.view("by_region").rows());
    const net = [...seen].filter(([, n]) => n !== 0);
    expect(net.length).toBeGreaterThan(0);
    expect(new Map(net)).toEqual(
      new Map([
        ...after.filter((r) => !before.has(r)).map((r): [string, number] => [r, 1]),
        ...[...before].filter((r) => !after.includes(r)).map((r): [string, number] => [r, -1]),
      ]),
    );
    await three.stop(); // a last checkpoint, taken with 3 shards

    await seed(server.url, "SH", "sh.x", orders(2500, 500));
    const reference = await run(0);
    const want = {
      byRegion: sorted(reference.view("by_region").rows()),
      bySize: sorted(reference.view("by_size").rows()),
    };
    await reference.stop();

    // The 3 shards' state into 2 shards, then into the main thread, then into 4 shards.
    for (const shards of [2, 0, 4]) {
      const p = await run(shards, state);
      expect({ shards, byRegion: sorted(p.view("by_region").rows()) }).toEqual({ shards, byRegion: want.byRegion });
      expect(sorted(p.view("by_size").rows())).toEqual(want.bySize);
      await p.stop();
    }
  });

  it("reports a shard's error as the thread threw it, and a thread that is gone as lost", async () => {
    const threads = new OperatorThreads(2);
    const first = threads.thread(0);
    try {
      expect(() => threads.thread(1).call({ t: "restored", op: 42 })).toThrow(
        "operator thread 1: Error: operator thread: no operator 42",
      );
      // Every thread fails; the first error is thrown once every reply was taken, so the next
      // call reads its own reply, not one left over.
      expect(() => threads.all({ t: "restored", op: 42 })).toThrow(/^operator thread 0: /);
      expect(threads.thread(1).call({ t: "drop", op: 42 })).toBeNull();
      const op = new ShardedOperator(threads, {
        kind: "aggregate",
        id: "v",
        input: [{ name: "k", type: { kind: "integer" } }],
        groupBy: [{ name: "k", expr: col("k") }],
        aggregates: [{ name: "n", fn: "count", arg: undefined, distinct: false }],
      });
      expect(op.stores.map((s) => s.id)).toEqual(["v", "v:values"]);
      expect(op.stores[0]?.size).toBe(0);
    } finally {
      await threads.close();
    }
    expect(() => first.call({ t: "restored", op: 0 })).toThrow(/^operator thread 0 is lost: it exited with code/);
  });
});
