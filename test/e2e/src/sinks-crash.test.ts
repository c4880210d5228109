import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, runCliKilledWhen } from "./cli-process.js";
import { ReferenceSql, sortRows } from "./reference-sql.js";
import { createStream, finalTable, orderEvents, publishEvents } from "./workload.js";

const TABLE_DDL =
  "order_id bigint PRIMARY KEY, customer varchar, region varchar, amount double precision, qty int, status varchar";
const COLUMNS = ["order_id", "customer", "region", "amount", "qty", "status"];
const BY_REGION = "SELECT region, count(*) AS n, sum(qty) AS items FROM orders GROUP BY region";

function pipelineSql(url: string): string {
  const nats = `connector = 'nats', server_url = '${url}', connect_mode = 'plain'`;
  const source = `WITH (${nats}, subject = 'orders.*', stream = 'ORDERS') FORMAT PLAIN ENCODE JSON;`;
  return `CREATE TABLE orders (${TABLE_DDL}) ${source}
CREATE SOURCE order_events (${TABLE_DDL.replace(" PRIMARY KEY", "")}) ${source}
CREATE MATERIALIZED VIEW by_region AS ${BY_REGION};
CREATE SINK events_out FROM order_events WITH (${nats}, subject = 'events.out') FORMAT PLAIN ENCODE JSON;
CREATE SINK by_region_cdc FROM by_region WITH (${nats}, subject = 'cdc.by_region') FORMAT DEBEZIUM ENCODE JSON;
CREATE SINK by_region_kv FROM by_region WITH (${nats.replace("'nats'", "'nats_kv'")}, bucket = 'by_region');
`;
}

async function readAll(nc: NatsConnection, stream: string): Promise<string[]> {
  const total = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  const consumer = await jetstream(nc).consumers.get(stream);
  const out: string[] = [];
  const messages = await consumer.fetch({ max_messages: total, expires: 10_000 });
  for await (const m of messages) {
    out.push(m.string());
    if (out.length === total) break;
  }
  return out;
}

describe("sinks: exactly once across SIGKILLs (CLI)", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let dir: string;

  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-sink-eo-"));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("each event is in the sink stream exactly once; replaying the debezium stream and the KV bucket equal the view", async () => {
    const jsm = await jetstreamManager(nc);
    await createStream(server.url, "ORDERS", ["orders.*"]);
    // On 2.12+ the append-only sink publishes its epochs as atomic batches (the stream allows
    // them), the debezium sink one message at a time: both paths are killed mid-publish.
    const atomic = versionAtLeast(server.version, 2, 12);
    await jsm.streams.add({ name: "EVENTS_OUT", subjects: ["events.out"], ...(atomic ? { allow_atomic: true } : {}) });
    await createStream(server.url, "CDC", ["cdc.>"]);
    const sqlFile = path.join(dir, "p.sql");
    fs.writeFileSync(sqlFile, pipelineSql(server.url));
    const stateDir = path.join(dir, "state");
    const events = orderEvents(40_000, 3_000, 5);
    await publishEvents(server.url, "ORDERS", "orders.a", events.slice(0, 25_000));

    // Each run is killed just after its sink published something new: the published epoch is only
    // recorded as done by the next checkpoint (300 ms on), so the restart publishes it again.
    const outMessages = async () => (await (await jetstreamManager(nc)).streams.info("EVENTS_OUT")).state.messages;
    let killed = 0;
    for (let round = 0; round < 6; round++) {
      if (round === 3) await publishEvents(server.url, "ORDERS", "orders.b", events.slice(25_000));
      const before = await outMessages();
      const delayMs = Math.random() * 150;
      let seenAt: number | undefined;
      const r = await runCliKilledWhen(
        ["run", sqlFile, "--state-dir", stateDir, "--checkpoint-interval", "300", "--until-caught-up"],
        async () => {
          if (seenAt === undefined && (await outMessages()) > before) seenAt = Date.now();
          return seenAt !== undefined && Date.now() - seenAt >= delayMs;
        },
      );
      if (r.killed) killed++;
      else expect(r.code, r.stderr).toBe(0);
    }
    expect(killed).toBeGreaterThan(0);
    const last = await runCli(["run", sqlFile, "--state-dir", stateDir, "--until-caught-up"]);
    expect(last.code, last.stderr).toBe(0);

    // Every event exactly once (as a multiset: events may repeat, each must appear as often as published).
    const rowKey = (o: Record<string, unknown>) => JSON.stringify(COLUMNS.map((c) => o[c]));
    const published = (await readAll(nc, "EVENTS_OUT")).map((m) => rowKey(JSON.parse(m) as Record<string, unknown>));
    expect(published.length).toBe(events.length);
    expect(published.sort()).toEqual(events.map((e) => rowKey(e as unknown as Record<string, unknown>)).sort());

    const db = await ReferenceSql.open();
    let expected: Record<string, unknown>[];
    try {
      await db.exec(`CREATE TABLE orders (${TABLE_DDL})`);
      await db.insert("orders", COLUMNS, finalTable(events) as unknown as Record<string, unknown>[]);
      expected = sortRows(await db.rows(BY_REGION));
    } finally {
      await db.close();
    }

    // Replaying the change log reproduces the view.
    const replay = new Map<string, Record<string, unknown>>();
    for (const m of await readAll(nc, "CDC")) {
      const e = JSON.parse(m) as {
        before: Record<string, unknown> | null;
        after: Record<string, unknown> | null;
        op: string;
      };
      if (e.op === "d") replay.delete(String(e.before?.["region"]));
      else replay.set(String(e.after?.["region"]), e.after as Record<string, unknown>);
    }
    expect(sortRows([...replay.values()])).toEqual(expected);

    // The bucket holds exactly the view's keys, each with its row.
    const kv = await new Kvm(nc).open("by_region");
    const rows: Record<string, unknown>[] = [];
    for await (const key of await kv.keys()) rows.push(JSON.parse((await kv.get(key))?.string() ?? "null"));
    expect(sortRows(rows)).toEqual(expected);
  });
});
