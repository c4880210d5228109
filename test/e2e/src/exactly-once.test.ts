import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli, runCliKilledAfter } from "./cli-process.js";
import { ReferenceSql, sortRows } from "./reference-sql.js";
import { consumingStarted, createStream, finalTable, orderEvents, publishEvents, purgeStream } from "./workload.js";

const TABLE_DDL =
  "order_id bigint PRIMARY KEY, customer varchar, region varchar, amount double precision, qty int, status varchar";
const COLUMNS = ["order_id", "customer", "region", "amount", "qty", "status"];

/** The views under test, each checked against PostgreSQL running the same query over the final table. */
const VIEWS: Record<string, string> = {
  by_region: "SELECT region, count(*), sum(amount) AS revenue, min(amount), max(amount) FROM orders GROUP BY region",
  by_status:
    "SELECT status, count(*) AS n, sum(qty) AS items, count(DISTINCT customer) AS customers FROM orders WHERE amount > 100 GROUP BY status",
  big_customers: "SELECT customer, count(*) AS orders FROM orders GROUP BY customer HAVING count(*) > 45",
  // Over the append-only source every message counts: a replayed message would count twice, a lost one not at all.
  event_counts:
    "SELECT region, status, count(*), sum(qty) AS items, sum(amount) AS amount FROM order_events GROUP BY region, status",
};

function pipelineSql(url: string, stream: string): string {
  const views = Object.entries(VIEWS)
    .map(([name, q]) => `CREATE MATERIALIZED VIEW ${name} AS ${q};`)
    .join("\n");
  const source = `WITH (connector = 'nats', server_url = '${url}', subject = '${stream}.*', stream = '${stream}', connect_mode = 'plain')
FORMAT PLAIN ENCODE JSON;`;
  return `CREATE TABLE orders (${TABLE_DDL})
${source}
CREATE SOURCE order_events (${TABLE_DDL.replace(" PRIMARY KEY", "")})
${source}
${views}
`;
}

/** A stream `name` (subjects `name.*`) and the SQL file of the pipeline over it. */
async function setUp(url: string, dir: string, name: string): Promise<string> {
  await createStream(url, name, [`${name}.*`]);
  const sqlFile = path.join(dir, `${name}.sql`);
  fs.writeFileSync(sqlFile, pipelineSql(url, name));
  return sqlFile;
}

/** Prints every view and the table through the CLI (resuming from the state dir) and compares with PostgreSQL. */
async function expectExact(sqlFile: string, stateDir: string, events: ReturnType<typeof orderEvents>): Promise<void> {
  const table = finalTable(events);
  const db = await ReferenceSql.open();
  try {
    await db.exec(`CREATE TABLE orders (${TABLE_DDL})`);
    await db.insert("orders", COLUMNS, table as unknown as Record<string, unknown>[]);
    await db.exec(`CREATE TABLE order_events (${TABLE_DDL.replace(" PRIMARY KEY", "")})`);
    await db.insert("order_events", COLUMNS, events as unknown as Record<string, unknown>[]);
    const printed = await runCli(["run", sqlFile, "--state-dir", stateDir, "--until-caught-up", "--print", "orders"]);
    expect(printed.stderr).toBe("");
    expect(parseJsonLines(printed.stdout)).toEqual(sortRows(table as unknown as Record<string, unknown>[]));
    for (const [name, query] of Object.entries(VIEWS)) {
      const r = await runCli(["run", sqlFile, "--state-dir", stateDir, "--until-caught-up", "--print", name]);
      expect(r.stderr, name).toBe("");
      expect(parseJsonLines(r.stdout), name).toEqual(sortRows(await db.rows(query)));
    }
  } finally {
    await db.close();
  }
}

describe("exactly-once state across crashes", () => {
  let server: NatsServer;
  let dir: string;

  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-eo-"));
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("SIGKILL at random moments, restart with the same state dir: nothing lost, nothing twice", async () => {
    const sqlFile = await setUp(server.url, dir, "orders");
    const stateDir = path.join(dir, "state-crash");
    const events = orderEvents(200_000, 20_000, 7);
    await publishEvents(server.url, "orders", "orders.a", events.slice(0, 150_000));

    let killed = 0;
    for (let round = 0; round < 10; round++) {
      if (round === 5) await publishEvents(server.url, "orders", "orders.b", events.slice(150_000));
      const r = await runCliKilledAfter(
        ["run", sqlFile, "--state-dir", stateDir, "--checkpoint-interval", "100", "--until-caught-up"],
        250 + Math.floor(Math.random() * 1000),
      );
      if (r.killed) killed++;
      else expect(r.code, r.stderr).toBe(0);
    }
    expect(killed).toBeGreaterThan(0);
    const last = await runCli(["run", sqlFile, "--state-dir", stateDir, "--until-caught-up"]);
    expect(last.code, last.stderr).toBe(0);
    // From here on only the checkpointed state can answer: the stream no longer has the messages.
    await purgeStream(server.url, "orders");
    await expectExact(sqlFile, stateDir, events);
  });

  it("state in a NATS object store bucket: a SIGKILLed run resumes from it, nothing lost or twice", async () => {
    const sqlFile = await setUp(server.url, dir, "orders3");
    const events = orderEvents(60_000, 5_000, 13);
    await publishEvents(server.url, "orders3", "orders3.a", events.slice(0, 40_000));
    const state = ["--state-bucket", "jetflow_e2e_state", "--checkpoint-interval", "100"];
    const killed = await runCliKilledAfter(["run", sqlFile, ...state, "--until-caught-up"], 1200);
    expect(killed.killed || killed.code === 0, killed.stderr).toBe(true);
    await publishEvents(server.url, "orders3", "orders3.b", events.slice(40_000));
    const done = await runCli(["run", sqlFile, ...state, "--until-caught-up"]);
    expect(done.code, done.stderr).toBe(0);
    await purgeStream(server.url, "orders3");
    const r = await runCli(["run", sqlFile, ...state, "--until-caught-up", "--print", "event_counts"]);
    expect(r.stderr).toBe("");
    const db = await ReferenceSql.open();
    try {
      await db.exec(`CREATE TABLE order_events (${TABLE_DDL.replace(" PRIMARY KEY", "")})`);
      await db.insert("order_events", COLUMNS, events as unknown as Record<string, unknown>[]);
      expect(parseJsonLines(r.stdout)).toEqual(sortRows(await db.rows(VIEWS["event_counts"] as string)));
    } finally {
      await db.close();
    }
  });

  it("a nats-server restart mid-stream: the run recovers by itself and the views are exact", async () => {
    const sqlFile = await setUp(server.url, dir, "orders2");
    const stateDir = path.join(dir, "state-restart");
    const events = orderEvents(150_000, 10_000, 11);
    await publishEvents(server.url, "orders2", "orders2.a", events);
    const run = runCli(["run", sqlFile, "--state-dir", stateDir, "--checkpoint-interval", "100", "--until-caught-up"], {
      timeoutMs: 120_000,
    });
    await consumingStarted(server.url, "orders2", 2);
    await server.stop();
    await new Promise((r) => setTimeout(r, 2000));
    await server.resume();
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    await purgeStream(server.url, "orders2");
    await expectExact(sqlFile, stateDir, events);
  });
});
