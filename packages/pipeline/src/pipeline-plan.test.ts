import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { count, sum } from "./dsl/aggregate.js";
import { from } from "./dsl/query.js";
import { col } from "./dsl/value.js";
import { PipelineStateError } from "./errors.js";
import { pipeline } from "./pipeline.js";
import type { ViewQuery } from "./spec.js";
import { consumerNames, jsonTable, RecordingSink, seed, TestFeed } from "./test-support.js";

const ORDERS = { id: "int", user_id: "int", amount: "double precision" };
const CUSTOMERS = { user_id: "int", region: "varchar" };

describe("Pipeline.plan()", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
    await seed(server.url, "PLAN_O", "plan.orders", [{ id: 1, user_id: 1, amount: 2 }]);
    await seed(server.url, "PLAN_C", "plan.customers", [{ user_id: 1, region: "n" }]);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("resolves a table, a join view and an aggregate view into columns, keys and queries, and starts nothing", async () => {
    const ordersSpec = jsonTable(server.url, "PLAN_O", "plan.orders", ORDERS, ["id"]);
    const durable = jsonTable(server.url, "PLAN_O", "plan.orders", ORDERS, ["id"], {
      "consumer.durable_name": "jf_plan",
    });
    // A run that leaves a durable consumer behind, which a DROP in plan mode must leave alone.
    const earlier = pipeline().table("old", durable);
    await earlier.start();
    await earlier.stop();
    expect(await consumerNames(server.url, "PLAN_O")).toContain("jf_plan");

    const total: ViewQuery = {
      kind: "aggregate",
      input: { kind: "scan", relation: "orders" },
      groupBy: [],
      aggregates: [{ name: "n", fn: "count", arg: undefined, distinct: false }],
    };
    const feed = new TestFeed();
    const p = pipeline()
      .statement({ kind: "create_table", name: "old", ifNotExists: false, spec: durable })
      .statement({ kind: "drop", what: "table", name: "old", ifExists: false })
      .table("orders", ordersSpec)
      .table("customers", jsonTable(server.url, "PLAN_C", "plan.customers", CUSTOMERS, ["user_id"]))
      .materializedView(
        "enriched",
        from("orders", "o")
          .join("customers", "c", col("o.user_id").eq(col("c.user_id")))
          .select("o.id", "c.region", { amount: col("o.amount") }),
      )
      .materializedView(
        "by_region",
        from("enriched")
          .groupBy("region")
          .select("region", { n: count(), total: sum(col("amount")) }),
      )
      .statement({ kind: "create_view", name: "gone", ifNotExists: false, query: total })
      .sink("totals_out", {
        from: { kind: "query", query: total },
        with: { connector: "nats", server_url: server.url, subject: "plan.out", connect_mode: "plain" },
        format: "debezium",
      })
      .feed("more", feed.spec("view", { like: "by_region" }, ["region"]))
      .output("to_next", "by_region", new RecordingSink("to_next", []))
      .statement({ kind: "drop", what: "view", name: "gone", ifExists: false });
    const plan = await p.plan();

    expect(plan.relations.map((r) => [r.name, r.kind, r.key])).toEqual([
      ["orders", "table", ["id"]],
      ["customers", "table", ["user_id"]],
      ["enriched", "view", []],
      ["by_region", "view", ["region"]],
      ["more", "view", ["region"]],
    ]);
    const [o, , enriched, byRegion, more] = plan.relations;
    expect(o?.ingest).toEqual(ordersSpec);
    expect(o?.query).toBeUndefined();
    expect(enriched?.columns.map((c) => c.name)).toEqual(["id", "region", "amount"]);
    expect(enriched?.query?.kind).toBe("project");
    expect(byRegion?.columns.map((c) => [c.name, c.type.kind])).toEqual([
      ["region", "varchar"],
      ["n", "bigint"],
      ["total", "double precision"],
    ]);
    expect(byRegion?.query?.kind).toBe("aggregate");
    expect(more?.columns).toEqual(byRegion?.columns);
    expect(more?.ingest).toBeUndefined();
    expect(plan.sinks).toEqual([
      { name: "totals_out", spec: expect.objectContaining({ from: { kind: "query", query: total } }) },
    ]);

    // Nothing ran: the feed was not opened, the durable consumer is still there.
    expect(feed.opened).toEqual([]);
    expect(await consumerNames(server.url, "PLAN_O")).toContain("jf_plan");
    await expect(p.start()).rejects.toBeInstanceOf(PipelineStateError);
    await expect(p.start()).rejects.toThrow(/after plan\(\)/);
    await p.stop();
  });

  it("applies statements in order with the other definitions, when started", async () => {
    const orders = jsonTable(server.url, "PLAN_O", "plan.orders", ORDERS, ["id"]);
    const p = pipeline()
      .statement({ kind: "create_table", name: "orders", ifNotExists: false, spec: orders })
      .materializedView("big", from("orders").where(col("amount").gt(1)))
      .statement({ kind: "create_table", name: "orders", ifNotExists: true, spec: orders });
    await p.start();
    await p.caughtUp();
    expect(p.names()).toEqual(["orders", "big"]);
    expect(p.view("big").rows()).toHaveLength(1);
    await p.stop();
    expect(() => p.statement({ kind: "drop", what: "view", name: "big", ifExists: true })).toThrow(PipelineStateError);
  });
});
