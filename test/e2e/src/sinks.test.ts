import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { sqlPipeline as pipeline } from "@jetflow/sql";
import { connectOptions, NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReferenceSql, sortRows } from "./reference-sql.js";
import { addStream, publishRaw } from "./sql/publish.js";

let server: NatsServer;
let nc: NatsConnection;
const REGIONS = ["eu", "us west", "ap.south", "Ω"];
/** Orders with updates (ids repeat: the table keeps the last) and the events they also are. */
const orders = Array.from({ length: 3000 }, (_, i) => ({
  id: i % 700,
  region: REGIONS[(i * 7) % REGIONS.length] as string,
  amount: (i % 13) + 0.5,
}));

beforeAll(async () => {
  server = await NatsServer.start();
  nc = await connect(connectOptions(server.client));
  await addStream(connectOptions(server.client), "ORDERS", ["orders"]);
  for (const [name, subject] of [
    ["PLAIN_OUT", "plain.out"],
    ["UPS_OUT", "ups.>"],
    ["DBZ_OUT", "dbz.out"],
    ["BP_OUT", "bp.out"],
  ] as const)
    await addStream(connectOptions(server.client), name, [subject]);
  await publishRaw(
    connectOptions(server.client),
    "ORDERS",
    orders.map((o) => ({ subject: "orders", payload: JSON.stringify(o) })),
  );
});
afterAll(async () => {
  await nc.close();
  await server.dispose();
});

const conn = () => `server_url = '${server.url}', connect_mode = 'plain'`;
const ingest = (kind: string, name: string, pk: string) =>
  `CREATE ${kind} ${name} (id int${pk}, region varchar, amount double precision)
   WITH (connector = 'nats', ${conn()}, subject = 'orders', stream = 'ORDERS') FORMAT PLAIN ENCODE JSON;`;

async function readStream(stream: string): Promise<{ subject: string; data: string; op: string }[]> {
  const js = jetstream(nc);
  const total = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  const consumer = await js.consumers.get(stream);
  const out: { subject: string; data: string; op: string }[] = [];
  while (out.length < total) {
    const m = await consumer.next({ expires: 2000 });
    if (m === null) break;
    out.push({ subject: m.subject, data: m.string(), op: m.headers?.get("Jetflow-Op") ?? "" });
  }
  return out;
}

describe("sinks (SQL, real nats-server)", () => {
  it("PLAIN, UPSERT, DEBEZIUM and KV sinks: what a consumer reads equals the view (PGlite)", async () => {
    const p = pipeline().sql(`
      ${ingest("TABLE", "orders", " PRIMARY KEY")}
      ${ingest("SOURCE", "events", "")}
      CREATE MATERIALIZED VIEW totals AS SELECT region, count(*) AS n, sum(amount) AS total FROM orders GROUP BY region;
      CREATE SINK plain_out FROM events WITH (connector = 'nats', ${conn()}, subject = 'plain.out') FORMAT PLAIN ENCODE JSON;
      CREATE SINK ups_out FROM totals WITH (connector = 'nats', ${conn()}, subject = 'ups.{region}') FORMAT UPSERT ENCODE JSON;
      CREATE SINK dbz_out FROM totals WITH (connector = 'nats', ${conn()}, subject = 'dbz.out') FORMAT DEBEZIUM ENCODE JSON;
      CREATE SINK kv_out AS SELECT region, count(*) AS n, max(amount) AS top FROM orders GROUP BY region
        WITH (connector = 'nats_kv', ${conn()}, bucket = 'totals');
    `);
    await p.start();
    await p.caughtUp(); // also waits for every sink's acks
    const table = p.view("orders").rows();
    const view = p.view("totals").rows();
    await p.stop();

    const ref = await ReferenceSql.open();
    await ref.exec("CREATE TABLE orders (id int PRIMARY KEY, region text, amount double precision)");
    await ref.insert("orders", ["id", "region", "amount"], table);
    const expected = sortRows(
      await ref.rows("SELECT region, count(*) AS n, sum(amount) AS total FROM orders GROUP BY region"),
    );
    const expectedKv = sortRows(
      await ref.rows("SELECT region, count(*) AS n, max(amount) AS top FROM orders GROUP BY region"),
    );
    await ref.close();
    expect(sortRows(view.map((r) => ({ ...r, n: Number(r["n"]) })))).toEqual(expected);

    // PLAIN: every event exactly once.
    const plain = (await readStream("PLAIN_OUT")).map((m) => m.data);
    expect(plain.sort()).toEqual(orders.map((o) => JSON.stringify(o)).sort());

    // UPSERT: the last message per subject is the view's row (no deletes: regions never vanish).
    const last = new Map<string, { data: string; op: string }>();
    for (const m of await readStream("UPS_OUT")) last.set(m.subject, m);
    expect([...last.values()].every((m) => m.op === "upsert")).toBe(true);
    expect(sortRows([...last.values()].map((m) => JSON.parse(m.data)))).toEqual(expected);
    expect([...last.keys()].sort()).toEqual(["ups.ap=2Esouth", "ups.eu", "ups.us=20west", "ups.=CE=A9"].sort());

    // DEBEZIUM: replaying the change log reproduces the view.
    const replay = new Map<string, unknown>();
    for (const m of await readStream("DBZ_OUT")) {
      const e = JSON.parse(m.data) as {
        before: { region: string } | null;
        after: { region: string } | null;
        op: string;
      };
      if (e.op === "d") replay.delete((e.before as { region: string }).region);
      else replay.set((e.after as { region: string }).region, e.after);
      if (e.op === "u") expect(e.before?.region).toBe(e.after?.region);
    }
    expect(sortRows([...replay.values()] as Record<string, unknown>[])).toEqual(expected);

    // KV: the bucket's keys are exactly the view's keys, each value its row.
    const kv = await new Kvm(nc).open("totals");
    const rows: Record<string, unknown>[] = [];
    for await (const key of await kv.keys()) rows.push(JSON.parse((await kv.get(key))?.string() ?? "null"));
    expect(sortRows(rows)).toEqual(expectedKv);
  });

  it("backpressure: past sinkMaxPending the sources pause, and every row still lands exactly once", async () => {
    const p = pipeline({ sinkMaxPending: 200, checkpointIntervalMs: 20, maxBatchRows: 100 }).sql(`
      ${ingest("SOURCE", "events", "")}
      CREATE SINK bp FROM events WITH (connector = 'nats', ${conn()}, subject = 'bp.out', max_in_flight = '16') FORMAT PLAIN ENCODE JSON;
    `);
    let maxPending = 0;
    p.status$.subscribe(() => {
      maxPending = Math.max(maxPending, p.metrics.total("jetflow_sink_pending"));
    });
    await p.start();
    await p.caughtUp();
    const paused = p.metrics.total("jetflow_sink_backpressure_total");
    const published = p.metrics.total("jetflow_sink_published_total");
    await p.stop();
    expect(paused).toBeGreaterThan(0);
    expect(published).toBe(orders.length);
    // Paused past 200 pending: at most one batch of 100 more arrives before the pause.
    expect(maxPending).toBeLessThanOrEqual(300);
    const got = (await readStream("BP_OUT")).map((m) => m.data);
    expect(got.sort()).toEqual(orders.map((o) => JSON.stringify(o)).sort());
  });

  it("refuses PLAIN over a view that retracts (RisingWave's reason), and a subject with no stream", async () => {
    const base = `${ingest("TABLE", "orders", " PRIMARY KEY")}
      CREATE MATERIALIZED VIEW totals AS SELECT region, count(*) AS n FROM orders GROUP BY region;`;
    const retracting = pipeline().sql(
      `${base} CREATE SINK s FROM totals WITH (connector = 'nats', ${conn()}, subject = 'plain.out') FORMAT PLAIN ENCODE JSON;`,
    );
    await expect(retracting.start()).rejects.toThrow(/force_append_only='true'/);
    const nowhere = pipeline().sql(
      `${base} CREATE SINK s FROM totals WITH (connector = 'nats', ${conn()}, subject = 'nowhere') FORMAT UPSERT ENCODE JSON;`,
    );
    await expect(nowhere.start()).rejects.toThrow(/no JetStream stream captures subject 'nowhere'/);
  });

  it("never shows sink credentials in errors", async () => {
    const p = pipeline().sql(
      `${ingest("SOURCE", "events", "")}
       CREATE SINK s FROM events WITH (connector = 'nats', server_url = '${server.url}', connect_mode = 'user_and_password',
         username = 'u', password = 'hunter2-secret', subject = 'plain.out', bogus = 'x') FORMAT PLAIN ENCODE JSON;`,
    );
    const error = await p.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/unknown option 'bogus'/);
    expect(`${error?.message}${error?.stack}`).not.toContain("hunter2-secret");
  });
});
