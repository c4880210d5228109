import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type ChangeBatch, RETRACT } from "@jetflow/core";
import { call, col, lit } from "@jetflow/operators";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { OperatorThreads } from "./operator-threads.js";
import { pipeline } from "./pipeline.js";
import type { ViewQuery } from "./spec.js";
import { ShardedJoin } from "./sharded-join.js";
import { ShardedOperator } from "./sharded-operator.js";
import { changeOf, jsonTable, seed } from "./test-support.js";

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

/** SELECT * FROM orders ORDER BY amount DESC LIMIT 7 OFFSET 3: ties (amounts 0..9) broken by row identity. */
const TOP_ORDERS: ViewQuery = {
  kind: "topN",
  input: { kind: "scan", relation: "orders" },
  orderBy: [{ expr: col("amount"), desc: true, nullsFirst: false }],
  limit: 7,
  offset: 3,
};

/** SELECT * FROM events ORDER BY amount LIMIT 6 OFFSET 1: a source's rows have no key, so they are counted by content. */
const TOP_EVENTS: ViewQuery = { ...TOP_ORDERS, input: { kind: "scan", relation: "events" }, limit: 6, offset: 1 };

/** The 4 regions with the most orders: a top-N on the sharded view. */
const TOP_REGIONS: ViewQuery = {
  kind: "topN",
  input: { kind: "scan", relation: "by_region" },
  orderBy: [
    { expr: col("n"), desc: true, nullsFirst: false },
    { expr: col("region"), desc: false, nullsFirst: false },
  ],
  limit: 4,
  offset: 0,
};

const LABELS = { region: "varchar", label: "varchar", cap: "int" };
const ORDERS_SCAN: ViewQuery = { kind: "scan", relation: "orders" };
const LABELS_SCAN: ViewQuery = { kind: "scan", relation: "labels" };
const JOIN_NAMES = ["id", "region", "amount", "l_region", "label", "cap"];
const BY_REGION_KEY = [{ left: col("region"), right: col("l_region") }];

/** Joins that keep both sides (sharded), one that probes the labels table (not), and a GROUP BY over a join. */
const JOINS: Record<string, ViewQuery> = {
  // SELECT * FROM orders FULL JOIN labels ON region = l_region
  everything: {
    kind: "join",
    join: "full",
    left: ORDERS_SCAN,
    right: LABELS_SCAN,
    names: JOIN_NAMES,
    on: BY_REGION_KEY,
  },
  // ... LEFT JOIN labels ON region = l_region AND amount < cap
  capped: {
    kind: "join",
    join: "left",
    left: ORDERS_SCAN,
    right: LABELS_SCAN,
    names: JOIN_NAMES,
    on: BY_REGION_KEY,
    residual: call("<", col("amount"), col("cap")),
  },
  // ... JOIN labels ON region = l_region: labels' primary key, so the join probes the table's rows.
  probed: { kind: "join", join: "inner", left: ORDERS_SCAN, right: LABELS_SCAN, names: JOIN_NAMES, on: BY_REGION_KEY },
  // SELECT label, count(*), sum(amount) FROM everything GROUP BY label
  per_label: {
    kind: "aggregate",
    input: { kind: "scan", relation: "everything" },
    groupBy: [{ name: "label", expr: col("label") }],
    aggregates: [
      { name: "n", fn: "count", arg: undefined, distinct: false },
      { name: "total", fn: "sum", arg: col("amount"), distinct: false },
    ],
  },
};

/** Labels of regions r0..r(count-1) (r150.. have no orders), caps 0..9, label `tag`. */
function labels(count: number, tag: string): object[] {
  return Array.from({ length: count }, (_, i) => ({ region: `r${i}`, label: `${tag}${i % 13}`, cap: i % 10 }));
}

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
      .materializedView("inverse", INVERSE)
      .materializedView("top_orders", TOP_ORDERS)
      .materializedView("top_regions", TOP_REGIONS)
      .materializedView("top_events", TOP_EVENTS);
    await p.start();
    await p.caughtUp();
    return p;
  }

  // Seven pipelines over one stream, each with 3-4 operator threads: well past the default timeout on a loaded 2-core machine.
  it("gives the views, changes, lookups and warnings one thread gives, and restores into any number of shards", {
    timeout: 120_000,
  }, async () => {
    await seed(server.url, "SH", "sh.x", orders(0, 2000));
    const state = path.join(dir, "state");

    const one = await run(0);
    const expected = {
      byRegion: sorted(one.view("by_region").rows()),
      bySize: sorted(one.view("by_size").rows()),
      tops: [
        sorted(one.view("top_orders").rows()),
        sorted(one.view("top_regions").rows()),
        sorted(one.view("top_events").rows()),
      ],
    };
    const inverse = sorted(one.view("inverse").rows());
    await one.stop();
    expect(expected.byRegion).toHaveLength(150);

    // 3 shards, from scratch; the changes a subscriber sees add up to the view.
    const three = pipeline({ shards: 3, state: { kind: "filesystem", dir: state } })
      .table("orders", jsonTable(server.url, "SH", "sh.x", COLUMNS, ["id"]))
      .source("events", jsonTable(server.url, "SH", "sh.x", COLUMNS))
      .materializedView("by_region", BY_REGION)
      .materializedView("by_size", BY_SIZE)
      .materializedView("inverse", INVERSE)
      .materializedView("top_orders", TOP_ORDERS)
      .materializedView("top_regions", TOP_REGIONS)
      .materializedView("top_events", TOP_EVENTS);
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
    expect([
      sorted(three.view("top_orders").rows()),
      sorted(three.view("top_regions").rows()),
      sorted(three.view("top_events").rows()),
    ]).toEqual(expected.tops);
    expect(expected.tops.map((rows) => rows.length)).toEqual([7, 4, 6]);
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
      tops: [
        sorted(reference.view("top_orders").rows()),
        sorted(reference.view("top_regions").rows()),
        sorted(reference.view("top_events").rows()),
      ],
    };
    await reference.stop();

    // The 3 shards' state into 2 shards, then into the main thread, then into 4 shards.
    for (const shards of [2, 0, 4]) {
      const p = await run(shards, state);
      expect({ shards, byRegion: sorted(p.view("by_region").rows()) }).toEqual({ shards, byRegion: want.byRegion });
      expect(sorted(p.view("by_size").rows())).toEqual(want.bySize);
      // The merge of each top-N is rebuilt from its restored shards' windows.
      const tops = [
        sorted(p.view("top_orders").rows()),
        sorted(p.view("top_regions").rows()),
        sorted(p.view("top_events").rows()),
      ];
      expect({ shards, tops }).toEqual({ shards, tops: want.tops });
      await p.stop();
    }
  });

  it("joins as one thread joins, and restores a join's state into any number of shards", {
    timeout: 120_000,
  }, async () => {
    await seed(server.url, "SJO", "sjo.x", orders(0, 1500));
    await seed(server.url, "SJL", "sjl.x", [...labels(120, "a"), { region: null, label: "none", cap: 1 }]);
    const state = path.join(dir, "join-state");
    const joins = async (shards: number, state?: string) => {
      let p = pipeline({ shards, ...(state === undefined ? {} : { state: { kind: "filesystem", dir: state } }) })
        .table("orders", jsonTable(server.url, "SJO", "sjo.x", COLUMNS, ["id"]))
        .table("labels", jsonTable(server.url, "SJL", "sjl.x", LABELS, ["region"]));
      for (const [name, query] of Object.entries(JOINS)) p = p.materializedView(name, query);
      await p.start();
      await p.caughtUp();
      return p;
    };
    const rowsOf = (p: Awaited<ReturnType<typeof joins>>) =>
      Object.fromEntries(Object.keys(JOINS).map((name) => [name, sorted(p.view(name).rows())]));

    const one = await joins(0);
    const expected = rowsOf(one);
    await one.stop();
    // Every order joins or is padded (regions r120..r149 have no label); 13 labels, NULL, "none".
    expect(expected.everything?.length).toBeGreaterThan(700);
    expect(expected.per_label).toHaveLength(15);

    const three = await joins(3, state);
    expect(rowsOf(three)).toEqual(expected);
    // Labels change (overwrites retract through the joins), orders move: the running pipeline
    // reaches what a fresh one computes (caughtUp() covers only what was there at the start).
    await seed(server.url, "SJL", "sjl.x", labels(200, "b"));
    await seed(server.url, "SJO", "sjo.x", orders(1500, 400));
    const reference = await joins(0);
    const changed = rowsOf(reference);
    await reference.stop();
    expect(changed).not.toEqual(expected);
    await vi.waitFor(() => expect(rowsOf(three)).toEqual(changed), { timeout: 20_000, interval: 100 });
    await three.stop(); // a last checkpoint, taken with 3 shards

    for (const shards of [2, 0, 4]) {
      const p = await joins(shards, state);
      expect({ shards, ...rowsOf(p) }).toEqual({ shards, ...changed });
      await p.stop();
    }
  });

  it("a sharded join answers as the join it stands for: rows, sizes, emitted columns", async () => {
    const threads = new OperatorThreads(2);
    try {
      const int = { kind: "integer" } as const;
      const spec = {
        kind: "join",
        id: "j",
        left: [
          { name: "k", type: int },
          { name: "v", type: int },
        ],
        right: [
          { name: "k", type: int },
          { name: "w", type: int },
        ],
        join: "left",
        names: ["lk", "lv", "rk", "rw"],
        on: [{ left: col("lk"), right: col("rk") }],
        residual: undefined,
        temporal: false,
        rowKey: { left: undefined, right: undefined },
      } as const;
      const j = new ShardedJoin(threads, spec);
      expect(j.stores.map((s) => s.id)).toEqual(["j/left", "j/right"]);
      j.emitOnly(["lv", "rw"]);
      const left = (rows: [number | null, number][]) =>
        changeOf(
          { k: "int", v: "int" },
          rows.map(([k, v]) => ({ k, v })),
        );
      const right = (rows: [number, number][]) =>
        changeOf(
          { k: "int", w: "int" },
          rows.map(([k, w]) => ({ k, w })),
        );
      const out = (c: ChangeBatch | undefined) => sorted(c?.batch.toArray().map((r) => ({ ...r.toJSON() })));
      expect(
        out(
          j.process(
            "right",
            right([
              [1, 10],
              [2, 20],
              [3, 30],
            ]),
          ),
        ),
      ).toEqual([]);
      expect(
        out(
          j.process(
            "left",
            left([
              [1, 1],
              [2, 2],
              [2, 3],
              [9, 9],
              [null, 0],
            ]),
          ),
        ),
      ).toEqual(
        sorted([
          { lk: null, lv: 1, rk: null, rw: 10 },
          { lk: null, lv: 2, rk: null, rw: 20 },
          { lk: null, lv: 3, rk: null, rw: 20 },
          { lk: null, lv: 9, rk: null, rw: null },
          { lk: null, lv: 0, rk: null, rw: null },
        ]),
      );
      expect(j.sizes).toEqual({ left: 4, right: 3 });
      expect(j.stores[1]?.size).toBe(3);
      j.close();
    } finally {
      await threads.close();
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
      // The entries live in the threads: the store here has none to give.
      expect(() => op.stores[0]?.get("x")).toThrow('store "v" lives in operator threads: get() reads no entry here');
    } finally {
      await threads.close();
    }
    expect(() => first.call({ t: "restored", op: 0 })).toThrow(/^operator thread 0 is lost: it exited with code/);
  });
});
