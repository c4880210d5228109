import http from "node:http";
import { toJsonLines } from "@jetflow/core";
import { type Pipeline, pipeline } from "@jetflow/pipeline";
import { sqlFrontend } from "@jetflow/sql";
import { NatsServer } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type Table, tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARROW_STREAM, type JetflowServer, serve } from "./http-server.js";

/** A pipeline of a keyed table, a source and an aggregate view over one stream, and its HTTP server. */
async function startPipeline(url: string, stream: string, subject: string): Promise<Pipeline> {
  const p = pipeline({ sql: sqlFrontend }).sql(`
    CREATE TABLE orders (id int PRIMARY KEY, region varchar, amount int, at timestamptz)
    WITH (connector = 'nats', server_url = '${url}', subject = '${subject}', stream = '${stream}', connect_mode = 'plain')
    FORMAT PLAIN ENCODE JSON;
    CREATE SOURCE events (id int, region varchar, amount int, at timestamptz)
    WITH (connector = 'nats', server_url = '${url}', subject = '${subject}', stream = '${stream}', connect_mode = 'plain')
    FORMAT PLAIN ENCODE JSON;
    CREATE MATERIALIZED VIEW by_region AS SELECT region, count(*) AS n, sum(amount) AS total FROM orders GROUP BY region;
  `);
  await p.start();
  return p;
}

function order(i: number): object {
  return {
    id: i % 150,
    region: ["north", "south", "east", "west"][i % 4],
    amount: i,
    at: new Date(Date.UTC(2024, 4, 1, 0, 0, i)).toISOString(),
  };
}

/** `--print NAME` output as the array of its lines' objects. */
function printed(p: Pipeline, name: string): unknown[] {
  return toJsonLines(p.view(name).snapshot())
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}

async function getJson(url: string): Promise<{ status: number; body: unknown; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), type: res.headers.get("content-type") };
}

/** Resolves once `check` holds (polled); fails the test after 30 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > 30_000) throw new Error("condition never held");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reads SSE events from a response until `until` says stop. */
async function readEvents(
  res: Response,
  until: (events: { event: string; data: unknown }[]) => boolean,
): Promise<{ event: string; data: unknown }[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let buffer = "";
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n").filter((l) => !l.startsWith(":"));
      const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
      const data = lines
        .filter((l) => l.startsWith("data: "))
        .map((l) => l.slice(6))
        .join("\n");
      if (event !== undefined) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe("serve(): sinks in the relation list", () => {
  it("lists a sink with the columns it publishes, and answers its rows with a 404 naming its input", async () => {
    const server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "IN", subjects: ["in.>"] });
    await jsm.streams.add({ name: "OUT", subjects: ["out.>"] });
    const p = pipeline({ sql: sqlFrontend }).sql(`
      CREATE SOURCE t (id int, v varchar)
      WITH (connector = 'nats', server_url = '${server.url}', subject = 'in.t', stream = 'IN', connect_mode = 'plain')
      FORMAT PLAIN ENCODE JSON;
      CREATE SINK t_out FROM t WITH (connector = 'nats', server_url = '${server.url}', connect_mode = 'plain', subject = 'out.t')
      FORMAT PLAIN ENCODE JSON;
    `);
    await p.start().catch(async (e: unknown) => {
      await server.dispose();
      throw e;
    });
    const s = await serve(p);
    try {
      const list = (await getJson(`${s.url}/api/relations`)).body as { name: string }[];
      expect(list.at(-1)).toEqual({
        name: "t_out",
        kind: "sink",
        columns: [
          { name: "id", type: "integer" },
          { name: "v", type: "varchar" },
        ],
        primaryKey: [],
        rows: 0,
      });
      expect(await getJson(`${s.url}/api/relations/t_out`)).toMatchObject({
        status: 404,
        body: { code: "UNKNOWN_RELATION", error: expect.stringContaining('"t"') },
      });
    } finally {
      await s.close();
      await p.stop();
      await nc.close();
      await server.dispose();
    }
  });
});

describe("serve(): HTTP against a running pipeline and a real nats-server", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let p: Pipeline;
  let http1: JetflowServer;
  const publish = async (payloads: object[]) => {
    const js = (await jetstreamManager(nc)).jetstream();
    for (const o of payloads) await js.publish("orders.new", JSON.stringify(o));
  };

  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
    await (await jetstreamManager(nc)).streams.add({ name: "ORDERS", subjects: ["orders.>"] });
    await publish(Array.from({ length: 600 }, (_, i) => order(i)));
    p = await startPipeline(server.url, "ORDERS", "orders.new");
    http1 = await serve(p, { chunkRows: 50 });
    await p.caughtUp();
  });
  afterAll(async () => {
    await http1?.close();
    await p?.stop();
    await nc?.close();
    await server?.dispose();
  });

  it("listens on 127.0.0.1 and answers /healthz, /readyz once caught up, and /metrics", async () => {
    expect(http1.host).toBe("127.0.0.1");
    expect(await getJson(`${http1.url}/healthz`)).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await getJson(`${http1.url}/readyz`)).toMatchObject({ status: 200, body: { ready: true } });
    const metrics = await fetch(`${http1.url}/metrics`);
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toContain('jetflow_relation_rows{relation="orders"} 150');
  });

  it("says 503 on /readyz until every source caught up, while /healthz is 200 from the start", async () => {
    const q = pipeline({ sql: sqlFrontend }).sql(`
      CREATE TABLE o2 (id int PRIMARY KEY, region varchar)
      WITH (connector = 'nats', server_url = '${server.url}', subject = 'orders.new', stream = 'ORDERS', connect_mode = 'plain')
      FORMAT PLAIN ENCODE JSON;`);
    const early = await serve(q);
    try {
      expect(await getJson(`${early.url}/readyz`)).toMatchObject({ status: 503, body: { ready: false } });
      expect((await getJson(`${early.url}/healthz`)).status).toBe(200);
      await q.start();
      await q.caughtUp();
      expect(await getJson(`${early.url}/readyz`)).toMatchObject({ status: 200, body: { ready: true } });
    } finally {
      await early.close();
      await q.stop();
    }
  });

  it("lists relations with kind, SQL column types, primary key and row count", async () => {
    const { status, body } = await getJson(`${http1.url}/api/relations`);
    expect(status).toBe(200);
    expect(body).toEqual([
      {
        name: "orders",
        kind: "table",
        columns: [
          { name: "id", type: "integer" },
          { name: "region", type: "varchar" },
          { name: "amount", type: "integer" },
          { name: "at", type: "timestamptz" },
        ],
        primaryKey: ["id"],
        rows: 150,
      },
      expect.objectContaining({ name: "events", kind: "source", primaryKey: [], rows: 0 }),
      {
        name: "by_region",
        kind: "view",
        columns: [
          { name: "region", type: "varchar" },
          { name: "n", type: "bigint" },
          { name: "total", type: "bigint" },
        ],
        primaryKey: ["region"],
        rows: 4,
      },
    ]);
  });

  it("gives rows exactly as --print does, filtered by ?col=value, limited by ?limit=N", async () => {
    const all = printed(p, "orders");
    expect((await getJson(`${http1.url}/api/relations/orders`)).body).toEqual(all);
    const one = await getJson(`${http1.url}/api/relations/orders?id=7`);
    expect(one.type).toMatch(/^application\/json/);
    expect(one.body).toEqual(all.filter((r) => (r as { id: number }).id === 7));
    expect((one.body as unknown[]).length).toBe(1);
    const north = (await getJson(`${http1.url}/api/relations/orders?region=north&amount=596`)).body;
    expect(north).toEqual(all.filter((r) => (r as { region: string; amount: number }).amount === 596));
    expect((await getJson(`${http1.url}/api/relations/orders?limit=3`)).body).toEqual(all.slice(0, 3));
    const at = (all[5] as { at: string }).at;
    expect((await getJson(`${http1.url}/api/relations/orders?at=${encodeURIComponent(at)}`)).body).toEqual([all[5]]);
    const view = printed(p, "by_region");
    expect((await getJson(`${http1.url}/api/relations/by_region`)).body).toEqual(view);
    expect((await getJson(`${http1.url}/api/relations/by_region?region=west`)).body).toEqual(
      view.filter((r) => (r as { region: string }).region === "west"),
    );
    expect((await getJson(`${http1.url}/api/relations/events`)).body).toEqual([]);
  });

  it("answers every probe by key (the relation's own row values, no Arrow table) as --print filtered", async () => {
    const all = printed(p, "orders") as { id: number }[];
    const orders = p.relation("orders");
    for (const id of [...all.map((r) => r.id), 9999]) {
      expect(await orders.lookupByKey({ id: String(id) })).toBeDefined();
      const res = await fetch(`${http1.url}/api/relations/orders?id=${id}`);
      const text = await res.text();
      expect(res.headers.get("content-length")).toBe(String(Buffer.byteLength(text)));
      expect(JSON.parse(text)).toEqual(all.filter((r) => r.id === id));
    }
    const view = printed(p, "by_region") as { region: string }[];
    expect(view.length).toBeGreaterThan(1);
    for (const region of [...view.map((r) => r.region), "nowhere"]) {
      expect((await getJson(`${http1.url}/api/relations/by_region?region=${region}`)).body).toEqual(
        view.filter((r) => r.region === region),
      );
    }
  });

  it("gives the same rows as an Arrow IPC stream when asked by Accept", async () => {
    for (const query of ["", "?region=south", "?id=9999"]) {
      const res = await fetch(`${http1.url}/api/relations/orders${query}`, { headers: { accept: ARROW_STREAM } });
      expect(res.headers.get("content-type")).toBe(ARROW_STREAM);
      const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
      const asJson = await (await fetch(`${http1.url}/api/relations/orders${query}`)).json();
      const fromArrow = toJsonLines(table)
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l));
      expect(fromArrow).toEqual(asJson);
      expect(table.schema.fields.map((f) => f.name)).toEqual(["id", "region", "amount", "at"]);
    }
  });

  it("gives ?limit=N over Arrow as the first N rows of the JSON answer, in its order (not storage order)", async () => {
    // Stored by latest amount, printed by region first: the two orders differ. Seven rows a chunk
    // makes 22 sorted runs to merge, and rows taken from many places of the snapshot.
    await p.exec("CREATE MATERIALIZED VIEW by_place AS SELECT region, amount, id FROM orders");
    const small = await serve(p, { chunkRows: 7 });
    try {
      const stored = (p.relation("by_place").snapshot() as Table).getChild("id")?.toArray();
      const printedIds = printed(p, "by_place").map((r) => (r as { id: number }).id);
      expect(Array.from(stored ?? [])).not.toEqual(printedIds);
      const paths = [
        "by_place?limit=20",
        "by_place?limit=150",
        "by_place?limit=1000",
        "by_place?region=south&limit=9",
        "by_place?limit=0",
        "by_region?limit=2",
        "orders?limit=5",
      ];
      for (const server of [http1, small]) {
        for (const path of paths) {
          const json = (await (await fetch(`${server.url}/api/relations/${path}`)).json()) as Record<string, unknown>[];
          const res = await fetch(`${server.url}/api/relations/${path}`, { headers: { accept: ARROW_STREAM } });
          const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
          const key = path.startsWith("by_region") ? "region" : "id";
          expect(
            Array.from(table.getChild(key)?.toArray() ?? []),
            `${path} on chunks of ${server === small ? 7 : 50}`,
          ).toEqual(json.map((r) => r[key]));
          const fromArrow = toJsonLines(table)
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => JSON.parse(l));
          expect(fromArrow).toEqual(json);
        }
      }
      expect(printedIds.slice(0, 20)).toEqual(
        ((await (await fetch(`${http1.url}/api/relations/by_place?limit=20`)).json()) as { id: number }[]).map(
          (r) => r.id,
        ),
      );
    } finally {
      await small.close();
      await p.exec("DROP MATERIALIZED VIEW by_place");
    }
  });

  it("answers errors as JSON: 404 unknown relation, 400 unknown column or bad value, 404 unknown path", async () => {
    expect(await getJson(`${http1.url}/api/relations/nope`)).toMatchObject({
      status: 404,
      body: { code: "UNKNOWN_RELATION", error: expect.stringContaining("nope") },
    });
    expect(await getJson(`${http1.url}/api/relations/orders?colour=red`)).toMatchObject({
      status: 400,
      body: { code: "UNKNOWN_COLUMN", error: expect.stringContaining('"colour"') },
    });
    expect(await getJson(`${http1.url}/api/relations/orders?id=seven`)).toMatchObject({
      status: 400,
      body: { code: "INVALID_VALUE", error: expect.stringContaining("id") },
    });
    expect(await getJson(`${http1.url}/api/relations/orders?limit=-1`)).toMatchObject({
      status: 400,
      body: { code: "INVALID_VALUE" },
    });
    expect(await getJson(`${http1.url}/nothing-here`)).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
    expect(await getJson(`${http1.url}/api/relations/%E0%A4%A`)).toMatchObject({
      status: 400,
      body: { code: "INVALID_VALUE" },
    });
  });

  it("answers from rows of one instant while batches apply between its chunks: every key once, never half a batch", async () => {
    // 50-row chunks with a turn of the event loop between them: batches apply meanwhile.
    const updates = Array.from({ length: 3000 }, (_, i) => ({ ...order(i), region: `r${i % 7}`, amount: 10_000 + i }));
    for (const u of updates) nc.publish("orders.new", JSON.stringify(u));
    const seen = new Set<number>();
    while (p.relation("orders").size < 150 || !updates.every((u) => seen.has((u as { amount: number }).amount))) {
      const rows = (await (await fetch(`${http1.url}/api/relations/orders`)).json()) as {
        id: number;
        amount: number;
      }[];
      const ids = rows.map((r) => r.id).sort((a, b) => a - b);
      expect(ids).toEqual(Array.from({ length: 150 }, (_, i) => i));
      for (const r of rows) seen.add(r.amount);
      const groups = (await (await fetch(`${http1.url}/api/relations/by_region`)).json()) as { n: number }[];
      expect(groups.reduce((sum, g) => sum + g.n, 0)).toBe(150);
      if (seen.has(10_000 + 2999)) break;
    }
    expect(seen.has(10_000 + 2999)).toBe(true);
  });

  it("streams the current rows then one event per change batch over SSE", async () => {
    const res = await fetch(`${http1.url}/api/relations/by_region/changes`);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const before = printed(p, "by_region");
    const reading = readEvents(res, (events) => events.some((e) => e.event === "change"));
    await new Promise((r) => setTimeout(r, 100));
    const group = before[0] as { region: string; n: number; total: number };
    await publish([{ id: 1000, region: group.region, amount: 5, at: "2024-05-01T00:00:00Z" }]);
    const events = await reading;
    expect(events[0]).toEqual({ event: "snapshot", data: before });
    expect(events[1]).toEqual({
      event: "change",
      data: [
        { op: "-", row: group },
        { op: "+", row: { region: group.region, n: group.n + 1, total: group.total + 5 } },
      ],
    });
  });

  it("drops an SSE client that stops reading once its unread bytes pass the bound, and keeps ingesting", async () => {
    const small = await serve(p, { maxClientBufferBytes: 1024 });
    try {
      // The client never reads. Whether it notices the disconnect depends on its paused socket,
      // so the drop is checked where it happens: the server's count (and its metric).
      const req = http.get(`${small.url}/api/relations/orders/changes`, (res) => res.pause());
      req.on("error", () => undefined);
      // Wide rows, 1 MB a round, until the socket's buffers (which loopback autotuning can grow
      // to megabytes) are full and the unread bytes pass the bound.
      const wide = "x".repeat(2000);
      const before = p.relation("orders").size;
      let published = 0;
      for (let round = 0; small.droppedClients === 0 && round < 60; round++) {
        for (let i = 0; i < 500; i++, published++) {
          nc.publish("orders.new", JSON.stringify({ id: 100_000 + published, region: wide, amount: published }));
        }
        await nc.flush();
        await until(() => p.relation("orders").size === before + published);
      }
      expect(small.droppedClients).toBe(1);
      expect(p.metrics.total("jetflow_sse_clients_dropped_total")).toBeGreaterThanOrEqual(1);
      expect(p.relation("orders").size).toBe(before + published);
      req.destroy();
    } finally {
      await small.close();
    }
  }, 120_000); // fills the loopback socket buffers (megabytes) first: slow on a loaded machine
});
