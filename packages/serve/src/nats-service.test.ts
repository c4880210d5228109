import { toJsonLines } from "@jetflow/core";
import { type Pipeline, pipeline } from "@jetflow/pipeline";
import { sqlFrontend } from "@jetflow/sql";
import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type JetflowNatsService, natsService } from "./nats-service.js";

function printed(p: Pipeline, name: string): unknown[] {
  return toJsonLines(p.view(name).snapshot())
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

describe("natsService(): the NATS query service, asked from a separate nats.js client", () => {
  let server: NatsServer;
  let client: NatsConnection;
  let p: Pipeline;
  let svc: JetflowNatsService;

  beforeAll(async () => {
    server = await NatsServer.start();
    client = await connect({ servers: server.url });
    const jsm = await jetstreamManager(client);
    await jsm.streams.add({ name: "SALES", subjects: ["sales.>"] });
    const js = jsm.jetstream();
    for (let i = 0; i < 200; i++) {
      await js.publish("sales.x", JSON.stringify({ id: i % 80, region: ["north", "south"][i % 2], amount: i }));
    }
    p = pipeline({ sql: sqlFrontend }).sql(`
      CREATE TABLE sales (id int PRIMARY KEY, region varchar, amount int)
      WITH (connector = 'nats', server_url = '${server.url}', subject = 'sales.x', stream = 'SALES', connect_mode = 'plain')
      FORMAT PLAIN ENCODE JSON;
      CREATE MATERIALIZED VIEW by_region AS SELECT region, count(*) AS n, sum(amount) AS total FROM sales GROUP BY region;
    `);
    await p.start();
    await p.caughtUp();
    svc = await natsService(p);
  });
  afterAll(async () => {
    await svc?.stop();
    await p?.stop();
    await client?.close();
    await server?.dispose();
  });

  it("answers jetflow.query.<relation> with the JSON rows: empty request = all rows, a JSON object = equalities", async () => {
    const all = await client.request("jetflow.query.by_region", "");
    expect(all.json()).toEqual(printed(p, "by_region"));
    const north = await client.request("jetflow.query.by_region", JSON.stringify({ region: "north" }));
    expect(north.json()).toEqual(printed(p, "by_region").filter((r) => (r as { region: string }).region === "north"));
    const one = await client.request("jetflow.query.sales", JSON.stringify({ id: 3 }));
    expect(one.json()).toEqual(printed(p, "sales").filter((r) => (r as { id: number }).id === 3));
  });

  it("answers errors as service errors naming the problem", async () => {
    const bad = await client.request("jetflow.query.sales", JSON.stringify({ colour: "red" }));
    expect(bad.headers?.get("Nats-Service-Error-Code")).toBe("400");
    expect(bad.headers?.get("Nats-Service-Error")).toContain('"colour"');
    const notJson = await client.request("jetflow.query.sales", "region=north");
    expect(notJson.headers?.get("Nats-Service-Error-Code")).toBe("400");
  });

  it("is a NATS service: $SRV.INFO lists one endpoint per relation, $SRV.STATS counts requests", async () => {
    const info = (await client.request("$SRV.INFO.jetflow")).json<{
      name: string;
      endpoints: { name: string; subject: string }[];
    }>();
    expect(info.name).toBe("jetflow");
    expect(info.endpoints.map((e) => [e.name, e.subject])).toEqual([
      ["sales", "jetflow.query.sales"],
      ["by_region", "jetflow.query.by_region"],
    ]);
    await client.request("jetflow.query.sales", "");
    const stats = (await client.request("$SRV.STATS.jetflow")).json<{
      endpoints: { name: string; num_requests: number }[];
    }>();
    const sales = stats.endpoints.find((e) => e.name === "sales");
    expect(sales?.num_requests).toBeGreaterThanOrEqual(1);
  });

  it("adds an endpoint for a relation exec() creates after it started, and answers not-found once it is dropped", async () => {
    await p.exec("CREATE MATERIALIZED VIEW big_sales AS SELECT id, amount FROM sales WHERE amount >= 150");
    // The endpoint's subscription reaches the server a moment after exec(): ask until it answers.
    const rows = await vi.waitFor(
      async () => (await client.request("jetflow.query.big_sales", JSON.stringify({ id: 75 }))).json<unknown[]>(),
      { timeout: 30_000, interval: 50 },
    );
    expect(rows).toEqual(printed(p, "big_sales").filter((r) => (r as { id: number }).id === 75));
    expect(rows).toEqual([{ id: 75, amount: 155 }]);
    const all = await client.request("jetflow.query.big_sales", "");
    expect(all.json()).toEqual(printed(p, "big_sales"));
    const info = (await client.request("$SRV.INFO.jetflow")).json<{ endpoints: { name: string; subject: string }[] }>();
    expect(info.endpoints.map((e) => [e.name, e.subject])).toContainEqual(["big_sales", "jetflow.query.big_sales"]);

    await p.exec("DROP MATERIALIZED VIEW big_sales");
    const gone = await client.request("jetflow.query.big_sales", "");
    expect(gone.headers?.get("Nats-Service-Error-Code")).toBe("404");
    expect(gone.headers?.get("Nats-Service-Error")).toContain('"big_sales" was dropped');
    expect(JSON.parse(gone.string())).toMatchObject({ code: "UNKNOWN_RELATION" });

    // Created again under the same name: the same endpoint answers from the new view.
    await p.exec("CREATE MATERIALIZED VIEW big_sales AS SELECT id, amount FROM sales WHERE amount >= 190");
    const again = await client.request("jetflow.query.big_sales", "");
    expect(again.json()).toEqual(printed(p, "big_sales"));
    expect(again.json<unknown[]>()).toHaveLength(10);
  });
});
