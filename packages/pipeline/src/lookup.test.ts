import { toJsonLines } from "@jetflow/core";
import { col } from "@jetflow/operators";
import { NatsServer } from "@jetflow/test-harness";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LookupError } from "./errors.js";
import { pipeline } from "./pipeline.js";
import { jsonTable, seed } from "./test-support.js";

/** `--print` lines of the rows equal to `equal`, filtered by hand: what a lookup must give. */
function printedWhere(all: string, equal: Record<string, unknown>): string {
  return all
    .split("\n")
    .filter((l) => l !== "")
    .filter((l) => {
      const row = JSON.parse(l) as Record<string, unknown>;
      return Object.entries(equal).every(([k, v]) => row[k] === v);
    })
    .map((l) => `${l}\n`)
    .join("");
}

describe("RelationHandle.lookup(): lookups against a real nats-server", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
    const payloads = Array.from({ length: 300 }, (_, i) => ({
      id: i % 120,
      region: ["north", "south", "east"][i % 3],
      amount: i,
    }));
    await seed(server.url, "RH", "rh.x", [...payloads, "not json"]);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("answers lookups by primary key and by group key with a probe, others with a scan, equal to --print filtered", async () => {
    const p = pipeline()
      .source("events", jsonTable(server.url, "RH", "rh.x", { id: "int", region: "varchar", amount: "int" }))
      .table("orders", jsonTable(server.url, "RH", "rh.x", { id: "int", region: "varchar", amount: "int" }, ["id"]))
      .materializedView("by_region", {
        kind: "aggregate",
        input: { kind: "scan", relation: "orders" },
        groupBy: [{ name: "region", expr: col("region") }],
        aggregates: [{ name: "n", fn: "count", arg: undefined, distinct: false }],
      })
      // SELECT region AS r, n FROM (... GROUP BY region): the key follows the rename.
      .materializedView("renamed", {
        kind: "project",
        input: {
          kind: "aggregate",
          input: { kind: "scan", relation: "orders" },
          groupBy: [{ name: "region", expr: col("region") }],
          aggregates: [{ name: "n", fn: "count", arg: undefined, distinct: false }],
        },
        columns: [
          { name: "r", expr: col("region") },
          { name: "n", expr: col("n") },
        ],
      });
    await p.start();
    try {
      await p.caughtUp();
      const orders = p.relation("orders");
      expect([orders.kind, orders.key, orders.size]).toEqual(["table", ["id"], 120]);
      const view = p.relation("by_region");
      expect([view.kind, view.key]).toEqual(["view", ["region"]]);
      const events = p.relation("events");
      expect([events.kind, events.key, events.snapshot()]).toEqual(["source", [], undefined]);
      expect((await events.lookup({ id: 1 })).numRows).toBe(0);

      const all = toJsonLines(orders.snapshot() as Table);
      expect(orders.lookupPlan(["id"])).toBe("index");
      expect(toJsonLines(await orders.lookup({ id: 7 }))).toBe(printedWhere(all, { id: 7 }));
      expect(toJsonLines(await orders.lookup({ id: "7" }))).toBe(printedWhere(all, { id: 7 }));
      expect(toJsonLines(await orders.lookup({ id: 7, region: "east" }))).toBe(
        printedWhere(all, { id: 7, region: "east" }),
      );
      expect((await orders.lookup({ id: 7, region: "nowhere" })).numRows).toBe(0);
      expect((await orders.lookup({ id: 1000 })).numRows).toBe(0);
      expect(orders.lookupPlan(["region"])).toBe("scan");
      const north = toJsonLines(await orders.lookup({ region: "north" }));
      expect(north).toBe(printedWhere(all, { region: "north" }));
      expect(north.split("\n").length - 1).toBe(40);

      const viewAll = toJsonLines(view.snapshot() as Table);
      expect(view.lookupPlan(["region"])).toBe("index");
      expect(toJsonLines(await view.lookup({ region: "south" }))).toBe(printedWhere(viewAll, { region: "south" }));
      expect(toJsonLines(await view.lookup({}))).toBe(viewAll);
      const renamed = p.relation("renamed");
      expect([renamed.key, renamed.lookupPlan(["r"])]).toEqual([["r"], "index"]);
      expect(toJsonLines(await renamed.lookup({ r: "east" }))).toBe(
        printedWhere(toJsonLines(renamed.snapshot() as Table), { r: "east" }),
      );
      expect((await renamed.lookup({ r: "east" })).numRows).toBe(1);
    } finally {
      await p.stop();
    }
  });

  it("answers a repeated lookup from the rows of its moment, not of the first time it was asked", async () => {
    const columns = { id: "int", region: "varchar", amount: "int" } as const;
    await seed(server.url, "RH2", "rh2.x", [{ id: 1, region: "north", amount: 10 }]);
    const p = pipeline()
      .table("t", jsonTable(server.url, "RH2", "rh2.x", columns, ["id"]))
      .materializedView("by_region", {
        kind: "aggregate",
        input: { kind: "scan", relation: "t" },
        groupBy: [{ name: "region", expr: col("region") }],
        aggregates: [{ name: "n", fn: "count", arg: undefined, distinct: false }],
      });
    await p.start();
    try {
      await p.caughtUp();
      const t = p.relation("t");
      const view = p.relation("by_region");
      expect(toJsonLines(await t.lookup({ id: 1 }))).toBe('{"id":1,"region":"north","amount":10}\n');
      expect(toJsonLines(await t.lookup({ id: 1, amount: 10 }))).toBe('{"id":1,"region":"north","amount":10}\n');
      expect(toJsonLines(await view.lookup({ region: "north" }))).toBe('{"region":"north","n":1}\n');
      await seed(server.url, "RH2", "rh2.x", [
        { id: 1, region: "north", amount: 11 },
        { id: 2, region: "north", amount: 20 },
      ]);
      // caughtUp() resolved once already: wait for the new rows themselves.
      await vi.waitFor(async () => expect(toJsonLines(await view.lookup({ region: "north" }))).toContain('"n":2'), {
        timeout: 30_000,
        interval: 50,
      });
      expect(toJsonLines(await t.lookup({ id: 1 }))).toBe('{"id":1,"region":"north","amount":11}\n');
      expect((await t.lookup({ id: 1, amount: 10 })).numRows).toBe(0);
      expect(toJsonLines(await t.lookup({ id: 1, amount: 11 }))).toBe('{"id":1,"region":"north","amount":11}\n');
      // A refused lookup is refused again (nothing of it is kept).
      for (let i = 0; i < 2; i++) {
        expect(((await t.lookup({ id: "x" }).catch((e: unknown) => e)) as LookupError).code).toBe("INVALID_VALUE");
      }
    } finally {
      await p.stop();
    }
  });

  it("refuses an unknown column and a value of the wrong type, naming them", async () => {
    const p = pipeline().table(
      "t",
      jsonTable(server.url, "RH", "rh.x", { id: "int", region: "varchar", amount: "int" }, ["id"]),
    );
    await p.start();
    try {
      const t = p.relation("t");
      const unknown = await t.lookup({ nope: 1 }).catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(LookupError);
      expect((unknown as LookupError).code).toBe("UNKNOWN_COLUMN");
      expect((unknown as Error).message).toContain('"nope"');
      const bad = await t.lookup({ id: "seven" }).catch((e: unknown) => e);
      expect((bad as LookupError).code).toBe("INVALID_VALUE");
      expect((bad as Error).message).toContain("id");
    } finally {
      await p.stop();
    }
  });
});
