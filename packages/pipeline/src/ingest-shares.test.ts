import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { call, col } from "@jetflow/operators";
import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shareOffsets, sharePull } from "./ingest-shares.js";
import { pipeline } from "./pipeline.js";
import type { ViewQuery } from "./spec.js";
import { consumerNames, jsonTable } from "./test-support.js";

describe("sharePull", () => {
  it("splits one consumer's pull over the shares, down to a floor", () => {
    expect([1, 2, 4, 16].map(sharePull)).toEqual([10_000, 5_000, 2_500, 1_000]);
    expect(sharePull(3) * 3).toBeGreaterThanOrEqual(10_000);
  });
});

describe("shareOffsets", () => {
  const whole = { subject: "o.*.*", stream: "O" };
  const shares = [0, 1].map((p) => ({ subject: `o.${p}.*`, stream: "O" }));
  it("resumes every partition after the whole input's offset when the checkpoint read it whole", () => {
    expect(shareOffsets(new Map([["o.*.*", 41]]), whole, shares)).toEqual(
      new Map([
        ["o.0.*", 41],
        ["o.1.*", 41],
      ]),
    );
  });
  it("keeps the partitions' own offsets, and leaves one share's offsets alone", () => {
    const own = new Map([
      ["o.0.*", 7],
      ["o.1.*", 9],
    ]);
    expect(shareOffsets(own, whole, shares)).toEqual(own);
    expect(shareOffsets(new Map([["o.*.*", 3]]), whole, [whole])).toEqual(new Map([["o.*.*", 3]]));
  });
});

// A stream's own subject transform needs nats-server 2.10.
const transforms = versionAtLeast(harnessServerVersion(), 2, 10);
const PARTITIONS = 4;
const COLUMNS = { id: "int", region: "varchar", amount: "double precision" };

/** SELECT region, count(*) AS n, sum(amount) AS total FROM <relation> GROUP BY region */
function byRegion(relation: string): ViewQuery {
  return {
    kind: "aggregate",
    input: { kind: "scan", relation },
    groupBy: [{ name: "region", expr: col("region") }],
    aggregates: [
      { name: "n", fn: "count", arg: undefined, distinct: false },
      { name: "total", fn: "sum", arg: call("+", col("amount"), col("amount")), distinct: false },
    ],
  };
}

describe.runIf(transforms)("an input whose stream the server partitions is read per partition", () => {
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-shares-"));
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({
      name: "PO",
      subjects: ["po.*"],
      subject_transform: { src: "po.*", dest: `po.{{partition(${PARTITIONS},1)}}.{{wildcard(1)}}` },
    });
    await nc.close();
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Orders `from..to-1`, each id updated `rounds` times; returns what the last round holds. */
  const publish = async (from: number, to: number, rounds: number) => {
    const nc = await connect({ servers: server.url });
    const js = (await jetstreamManager(nc)).jetstream();
    for (let r = 0; r < rounds; r++)
      for (let id = from; id < to; id++)
        await js.publish(`po.${id}`, JSON.stringify({ id, region: ["eu", "us", "ap"][(id + r) % 3], amount: r }));
    await nc.close();
  };
  const define = (workers: number) =>
    pipeline({ state: { kind: "filesystem", dir }, checkpointIntervalMs: 0, workers })
      .table(
        "orders",
        jsonTable(server.url, "PO", "po.*.*", COLUMNS, ["id"], {
          "group.partition_token": "2",
          "consumer.durable_name": "po_orders",
        }),
      )
      .source("events", jsonTable(server.url, "PO", "po.*.*", COLUMNS, [], { "group.partition_token": "2" }))
      .materializedView("by_region", byRegion("orders"))
      .materializedView("events_by_region", byRegion("events"));
  const sorted = (rows: readonly Record<string, unknown>[]) =>
    rows
      .map((r) => ({ region: r["region"], n: Number(r["n"]), total: Number(r["total"]) }))
      .sort((a, b) => String(a.region).localeCompare(String(b.region)));

  it("gives every key's last row and every event exactly once, across restarts on 2, 0 and 1 reader threads", async () => {
    await publish(0, 60, 3);
    const first = define(2);
    await first.start();
    await first.caughtUp();
    // One durable consumer per partition, each filtering its partition's subjects.
    expect((await consumerNames(server.url, "PO")).filter((n) => n.startsWith("po_orders")).sort()).toEqual(
      Array.from({ length: PARTITIONS }, (_, p) => `po_orders_p${p}`),
    );
    // Last round (r = 2): region of id is (id + 2) % 3, amount 2.
    const tableAfter = (ids: number, round: number) =>
      sorted(
        ["eu", "us", "ap"].map((region, k) => {
          const n = Array.from({ length: ids }, (_, id) => id).filter((id) => (id + round) % 3 === k).length;
          return { region, n, total: 2 * round * n };
        }),
      );
    expect(sorted(first.view("by_region").rows())).toEqual(tableAfter(60, 2));
    expect(sorted(first.view("events_by_region").rows()).reduce((s, r) => s + r.n, 0)).toBe(180);
    const report = await first.checkpoint();
    expect(report).toBeDefined();
    await first.stop();

    // More of the same ids and new ones while stopped; then on one thread, then on another count.
    await publish(0, 90, 1); // round 0 again for 0..89
    const second = define(0);
    await second.start();
    await second.caughtUp();
    expect(sorted(second.view("events_by_region").rows()).reduce((s, r) => s + r.n, 0)).toBe(270);
    // Restored, then only the new messages read: 90 by each of the two relations.
    expect(second.metrics.total("jetflow_messages_in_total")).toBe(180);
    await second.stop();
    await publish(30, 90, 1);
    const third = define(1);
    await third.start();
    await third.caughtUp();
    // Every event once: 180 + 90 + 60.
    expect(sorted(third.view("events_by_region").rows()).reduce((s, r) => s + r.n, 0)).toBe(330);
    expect(third.metrics.total("jetflow_messages_in_total")).toBe(120);
    // The table: ids 0..29 last written in round 0 (the second batch), 30..89 in round 0 again.
    expect(sorted(third.view("by_region").rows())).toEqual(tableAfter(90, 0));
    await third.stop();
  }, 120_000);
});

describe.runIf(transforms)("group.partition_count against the stream's own transform", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).streams.add({
      name: "PT",
      subjects: ["pt.*"],
      subject_transform: { src: "pt.*", dest: "pt.{{partition(4,1)}}" },
    });
    await nc.close();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("must equal the transform's count: start fails naming both", async () => {
    const p = pipeline({ workers: 0 }).table(
      "orders",
      jsonTable(server.url, "PT", "pt.*", COLUMNS, ["id"], {
        "group.partition_token": "2",
        "group.partition_count": "5",
      }),
    );
    await expect(p.start()).rejects.toThrow(
      "group.partition_count = '5', but stream 'PT' partitions its subjects into 4: they must be equal",
    );
  });
});

describe("an input partitioned by a mapping (group.partition_count), on any server", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("reads one consumer per declared partition; every key's last row, once", async () => {
    // What a server mapping `pm.* -> pm.{{partition(3,1)}}` would store, published directly.
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "PM", subjects: ["pm.*"] });
    const js = jsm.jetstream();
    for (let r = 0; r < 2; r++)
      for (let id = 0; id < 30; id++)
        await js.publish(`pm.${id % 3}`, JSON.stringify({ id, region: ["eu", "us"][(id + r) % 2], amount: r + 1 }));
    await nc.close();
    const p = pipeline({ workers: 1 })
      .table(
        "orders",
        jsonTable(server.url, "PM", "pm.*", COLUMNS, ["id"], {
          "group.partition_token": "2",
          "group.partition_count": "3",
          "consumer.durable_name": "pm_orders",
        }),
      )
      .materializedView("by_region", byRegion("orders"));
    await p.start();
    await p.caughtUp();
    expect((await consumerNames(server.url, "PM")).sort()).toEqual(["pm_orders_p0", "pm_orders_p1", "pm_orders_p2"]);
    // Last round r = 1: region (id + 1) % 2, amount 2, total counts 2 * amount.
    expect(
      p
        .view("by_region")
        .rows()
        .map((r) => [r["region"], Number(r["n"]), Number(r["total"])])
        .sort(),
    ).toEqual([
      ["eu", 15, 60],
      ["us", 15, 60],
    ]);
    expect(p.metrics.total("jetflow_messages_in_total")).toBe(60);
    await p.stop();
  });
});
