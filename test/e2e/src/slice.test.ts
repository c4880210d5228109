import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli } from "./cli-process.js";
import { ReferenceSql, sortRows } from "./reference-sql.js";

const REGIONS = ["north", "south", "east", "west", "центр"];

/** Order events with many overwrites of the same order_id; amounts are multiples of 0.5 so sums are exact. */
function events(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const id = (i * 7919) % 1000;
    out.push({ order_id: id, region: REGIONS[(i * 31) % REGIONS.length], amount: ((i * 13) % 400) / 2, status: i % 3 === 0 ? "paid" : "open" });
  }
  return out;
}

describe("jetflow run: JSON on a stream -> table with a primary key -> group-by view", () => {
  let server: NatsServer;
  let dir: string;
  let sqlFile: string;
  const input = events(5000);

  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-e2e-"));
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "orders", subjects: ["orders.>"] });
    const js = jsm.jetstream();
    for (const e of input) nc.publish("orders.new", JSON.stringify(e));
    await nc.flush();
    await js.publish("orders.new", JSON.stringify(input[input.length - 1]));
    await nc.close();
    sqlFile = path.join(dir, "orders.sql");
    fs.writeFileSync(
      sqlFile,
      `-- the vertical slice
CREATE TABLE orders (order_id bigint PRIMARY KEY, region varchar, amount double precision, status varchar)
WITH (connector = 'nats', server_url = '${server.url}', subject = 'orders.new', stream = 'orders', connect_mode = 'plain')
FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW by_region AS
  SELECT region, count(*), sum(amount) AS total, max(amount) FROM orders WHERE status = 'paid' GROUP BY region;
`,
    );
  });

  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("prints the view as JSON Lines equal to PostgreSQL's answer over the final table", async () => {
    const result = await runCli(["run", sqlFile, "--until-caught-up", "--print", "by_region"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);

    const finalTable = new Map<number, Record<string, unknown>>();
    for (const e of input) finalTable.set(e["order_id"] as number, e);
    const db = await ReferenceSql.open();
    try {
      await db.exec("CREATE TABLE orders (order_id bigint PRIMARY KEY, region varchar, amount double precision, status varchar)");
      await db.insert("orders", ["order_id", "region", "amount", "status"], [...finalTable.values()]);
      const expected = await db.rows(
        "SELECT region, count(*), sum(amount) AS total, max(amount) FROM orders WHERE status = 'paid' GROUP BY region",
      );
      const actual = parseJsonLines(result.stdout);
      expect(actual).toEqual(sortRows(expected));
      // Keys are in column order, as PostgreSQL names unaliased aggregates.
      expect(Object.keys(actual[0] ?? {})).toEqual(["region", "count", "total", "max"]);
    } finally {
      await db.close();
    }
  });

  it("prints the table itself: one row per key, the last write wins", async () => {
    const result = await runCli(["run", sqlFile, "--until-caught-up", "--print", "orders"]);
    expect(result.code).toBe(0);
    const rows = parseJsonLines(result.stdout);
    const finalTable = new Map<number, Record<string, unknown>>();
    for (const e of input) finalTable.set(e["order_id"] as number, e);
    expect(rows).toHaveLength(finalTable.size);
    expect(rows).toEqual([...finalTable.values()].sort((a, b) => (a["order_id"] as number) - (b["order_id"] as number)));
  });

  it("fails with one clear line and a non-zero exit for an unknown view", async () => {
    const result = await runCli(["run", sqlFile, "--until-caught-up", "--print", "nope"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^jetflow: no relation "nope" \(known: orders, by_region\)/);
  });
});
