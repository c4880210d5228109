import { col } from "@jetflow/operators";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RelationNameError } from "./errors.js";
import { pipeline } from "./pipeline.js";
import type { SinkSpec, SqlFrontend, ViewQuery } from "./spec.js";
import { jsonTable, readAll, seed } from "./test-support.js";

let server: NatsServer;
beforeAll(async () => {
  server = await NatsServer.start();
  await seed(server.url, "ORDERS", "orders", [
    { id: 1, region: "eu", amount: 5 },
    { id: 2, region: "us", amount: 7 },
    { id: 1, region: "eu", amount: 6 },
  ]);
  await seed(server.url, "OUT", "out.>", []);
});
afterAll(async () => {
  await server.dispose();
});

const COLUMNS = { id: "int", region: "varchar", amount: "double precision" };
const sinkTo = (subject: string, format: SinkSpec["format"], from: SinkSpec["from"]): SinkSpec => ({
  from,
  with: { connector: "nats", server_url: server.url, subject, connect_mode: "plain" },
  format,
});

describe(".sink() (DSL)", () => {
  it("a table's key carries into UPSERT; a projection keeping the key keeps it; caughtUp waits for the acks", async () => {
    const ids: ViewQuery = {
      kind: "project",
      input: { kind: "scan", relation: "orders" },
      columns: [
        { name: "id", expr: col("id") },
        { name: "amount", expr: col("amount") },
      ],
    };
    // A front end that only knows DROP TABLE orders.
    const dropOrders: SqlFrontend = {
      parse: () => [
        { line: 1, column: 1, plan: () => ({ kind: "drop", what: "table", name: "orders", ifExists: false }) },
      ],
    };
    const p = pipeline({ sql: dropOrders })
      .table("orders", jsonTable(server.url, "ORDERS", "orders", COLUMNS, ["id"]))
      .sink("rows_out", sinkTo("out.rows.{id}", "upsert", { kind: "relation", name: "orders" }))
      .sink("amounts_out", sinkTo("out.amounts", "debezium", { kind: "query", query: ids }));
    await p.start();
    await p.caughtUp();
    expect(p.metrics.value("jetflow_sink_published_total", 'sink="rows_out"')).toBeGreaterThan(0);
    await expect(p.exec("DROP TABLE orders")).rejects.toThrow(/sink "rows_out"/);
    await p.stop();
    const got = await readAll(server.url, "OUT");
    const rows = got.filter((m) => m.headers["Jetflow-Op"] !== undefined);
    // One epoch: the last write per key.
    expect(rows.map((m) => [m.data, m.headers["Jetflow-Op"]])).toEqual([
      ['{"id":2,"region":"us","amount":7}', "upsert"],
      ['{"id":1,"region":"eu","amount":6}', "upsert"],
    ]);
    const cdc = got.filter((m) => m.headers["Jetflow-Op"] === undefined).map((m) => JSON.parse(m.data).op);
    // id 1's overwrite happened within the batch: the table's net change is one insert per id.
    expect(cdc).toEqual(["c", "c"]);
  });

  it("refuses a second sink of one name, and a sink named like a relation", async () => {
    const p = pipeline()
      .table("orders", jsonTable(server.url, "ORDERS", "orders", COLUMNS, ["id"]))
      .sink("orders", sinkTo("out.x", "upsert", { kind: "relation", name: "orders" }));
    await expect(p.start()).rejects.toBeInstanceOf(RelationNameError);
  });
});
