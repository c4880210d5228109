import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli } from "./cli-process.js";
import { ReferenceSql, sortRows } from "./reference-sql.js";
import { createStream, finalTable, orderEvents, publishEvents } from "./workload.js";

describe("jetflow run: JSON on a stream -> table with a primary key -> group-by view", () => {
  let server: NatsServer;
  let dir: string;
  let sqlFile: string;
  const input = orderEvents(5000, 1000);

  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-e2e-"));
    await createStream(server.url, "orders", ["orders.>"]);
    await publishEvents(server.url, "orders", "orders.new", input);
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

    const db = await ReferenceSql.open();
    try {
      await db.exec(
        "CREATE TABLE orders (order_id bigint PRIMARY KEY, region varchar, amount double precision, status varchar)",
      );
      await db.insert(
        "orders",
        ["order_id", "region", "amount", "status"],
        finalTable(input) as unknown as Record<string, unknown>[],
      );
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
    const expected = finalTable(input).map(({ order_id, region, amount, status }) => ({
      order_id,
      region,
      amount,
      status,
    }));
    expect(rows).toHaveLength(expected.length);
    expect(rows).toEqual(sortRows(expected));
  });

  it("fails with one clear line and a non-zero exit for an unknown view", async () => {
    const result = await runCli(["run", sqlFile, "--until-caught-up", "--print", "nope"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^jetflow: no relation "nope" \(known: orders, by_region\)/);
  });
});
