import { toJsonLines } from "@jetflow/core";
import { GroupPipeline } from "@jetflow/group";
import { type Pipeline, pipeline } from "@jetflow/pipeline";
import { sqlFrontend } from "@jetflow/sql";
import { harnessServerVersion, NatsServer, versionAtLeast } from "@jetflow/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARROW_STREAM, type JetflowServer, serve, serveGroup } from "./http-server.js";
import { groupNatsService, type JetflowNatsService, natsService } from "./nats-service.js";

// Groups need 2.11 (leases with per-message TTL).
const groups = versionAtLeast(harnessServerVersion(), 2, 11);

const PARTITIONS = 4;

const sqlOf = (url: string) => {
  const w = `WITH (connector = 'nats', server_url = '${url}', connect_mode = 'plain', subject = 'shop.orders', stream = 'SHOP') FORMAT PLAIN ENCODE JSON`;
  return `
CREATE TABLE orders (id int PRIMARY KEY, region varchar, amount double, at timestamptz) ${w};
CREATE SOURCE events (id int, region varchar, amount double, at timestamptz) ${w};
CREATE MATERIALIZED VIEW by_region AS SELECT region, count(*) AS n, sum(amount) AS total FROM orders GROUP BY region;
CREATE MATERIALIZED VIEW everything AS SELECT count(*) AS n, max(amount) AS biggest FROM orders;
CREATE SINK big_out FROM by_region WITH (connector = 'nats', server_url = '${url}', connect_mode = 'plain', subject = 'out.by_region', force_append_only = 'true') FORMAT PLAIN ENCODE JSON;
CREATE SINK cheap_out AS SELECT id, amount FROM orders WHERE amount < 10 WITH (connector = 'nats', server_url = '${url}', connect_mode = 'plain', subject = 'out.cheap', force_append_only = 'true') FORMAT PLAIN ENCODE JSON;
`;
};

function order(i: number): object {
  return {
    id: i % 90,
    region: ["north", "south", "east", "west", "middle"][i % 5],
    amount: i * 1.25,
    at: new Date(Date.UTC(2024, 4, 1, 0, 0, i)).toISOString(),
  };
}

/** Status, content type and body text of a GET. */
async function get(url: string, accept?: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(url, accept === undefined ? {} : { headers: { accept } });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** Resolves once `check` holds (polled); fails after 30 s. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; !(await check()); waited += 100) {
    if (waited > 30_000) throw new Error("condition never held");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of a one-series metric (no labels, or with exactly `labels`) in Prometheus text. */
function metric(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels === "" ? "" : `{${labels}}`} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe.runIf(groups)(
  "serveGroup(), groupNatsService(): a group member answers for the whole relation (nats-server 2.11+)",
  () => {
    let server: NatsServer;
    let client: NatsConnection;
    let single: Pipeline;
    let reference: JetflowServer;
    const members: { nc: NatsConnection; g: GroupPipeline; http: JetflowServer; svc: JetflowNatsService }[] = [];

    beforeAll(async () => {
      server = await NatsServer.start();
      client = await connect({ servers: server.url });
      const jsm = await jetstreamManager(client);
      await jsm.streams.add({ name: "SHOP", subjects: ["shop.>"] });
      await jsm.streams.add({ name: "OUT", subjects: ["out.>"] });
      const js = jsm.jetstream();
      for (let i = 0; i < 240; i++) await js.publish("shop.orders", JSON.stringify(order(i)));
      const sql = sqlOf(server.url);
      single = pipeline({ sql: sqlFrontend }).sql(sql);
      await single.start();
      await single.caughtUp();
      reference = await serve(single);
      for (const name of ["a", "b"]) {
        const nc = await connect({ servers: server.url });
        const planned = await pipeline({ sql: sqlFrontend }).sql(sql).plan();
        const g = await GroupPipeline.start(nc, planned, {
          group: "shop",
          stateBucket: "shop-state",
          partitions: PARTITIONS,
          member: { name, leaseSeconds: 2 },
          tasks: { commitIntervalMs: 200 },
        });
        members.push({ nc, g, http: await serveGroup(g, { changesPollMs: 200 }), svc: await groupNatsService(g) });
      }
      for (const { g } of members) await g.caughtUp();
    }, 120_000);

    afterAll(async () => {
      for (const m of members) {
        await m.svc.stop().catch(() => undefined);
        await m.http.close();
        await m.g.leave().catch(() => undefined);
        await m.nc.close();
      }
      await reference?.close();
      await single?.stop();
      await client?.close();
      await server?.dispose();
    });

    it("is ready once every partition answers; /healthz, the web page", async () => {
      for (const { http } of members) {
        await until(async () => (await get(`${http.url}/readyz`)).status === 200);
        expect((await get(`${http.url}/healthz`)).status).toBe(200);
        const page = await get(`${http.url}/`);
        expect(page.status).toBe(200);
        expect(page.type).toContain("text/html");
        const status = JSON.parse((await get(`${http.url}/api/status`)).text) as { ready: boolean };
        expect(status.ready).toBe(true);
      }
    });

    it("gives on either member the same rows, lookups and listing as one pipeline, byte for byte", async () => {
      const paths = [
        "/api/relations",
        "/api/relations/orders",
        "/api/relations/by_region",
        "/api/relations/everything",
        "/api/relations/by_region?region=north", // the placement key: one partition
        "/api/relations/orders?id=7", // the primary key, typed as text: one partition
        "/api/relations/orders?region=south&limit=5", // no key: every partition
        "/api/relations/orders?id=7&region=east", // the key's partition, filtered there: no row
      ];
      for (const path of paths) {
        const want = await get(`${reference.url}${path}`);
        expect(want.status).toBe(200);
        for (const { http } of members) {
          const got = await get(`${http.url}${path}`);
          expect({ path, status: got.status, type: got.type, text: got.text }).toEqual({ path, ...want });
        }
      }
      const north = JSON.parse((await get(`${members[0]?.http.url}/api/relations/by_region?region=north`)).text);
      expect(north).toEqual([{ region: "north", n: 18, total: expect.any(Number) }]);
    });

    it("answers Arrow IPC with the whole relation", async () => {
      const want = tableFromIPC(
        new Uint8Array(
          await (
            await fetch(`${reference.url}/api/relations/orders`, { headers: { accept: ARROW_STREAM } })
          ).arrayBuffer(),
        ),
      );
      for (const { http } of members) {
        const res = await fetch(`${http.url}/api/relations/orders`, { headers: { accept: ARROW_STREAM } });
        expect(res.headers.get("content-type")).toBe(ARROW_STREAM);
        const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
        expect(table.numRows).toBe(90);
        expect(toJsonLines(table)).toBe(toJsonLines(want));
      }
    });

    it("refuses as one pipeline does: 404 unknown relation, 400 unknown column or bad value, 501 a source's changes", async () => {
      const member = members[1]?.http.url as string;
      const missing = await get(`${member}/api/relations/nope`);
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.text)).toEqual({ error: expect.stringContaining('"nope"'), code: "UNKNOWN_RELATION" });
      for (const path of ["/api/relations/by_region?nope=1", "/api/relations/orders?id=abc"]) {
        const want = await get(`${reference.url}${path}`);
        expect(want.status).toBe(400);
        const got = await get(`${member}${path}`);
        expect({ path, status: got.status, text: got.text }).toEqual({ path, status: want.status, text: want.text });
      }
      const sink = await get(`${member}/api/relations/big_out`);
      expect({ status: sink.status, text: sink.text }).toEqual({
        status: 404,
        text: (await get(`${reference.url}/api/relations/big_out`)).text,
      });
      const changes = await get(`${member}/api/relations/events/changes`);
      expect(changes.status).toBe(501);
      expect(JSON.parse(changes.text)).toEqual({ error: expect.stringContaining("not served"), code: "NOT_FOUND" });
    });

    it("shows each member's partitions, rebalances, commits and lag per partition in /metrics", async () => {
      let owned = 0;
      for (const { g, http } of members) {
        const text = (await get(`${http.url}/metrics`)).text;
        const mine = metric(text, "jetflow_group_partitions_owned") ?? -1;
        expect(mine).toBe(g.member.owned().size);
        owned += mine;
        expect(metric(text, "jetflow_group_rebalances_total", 'event="acquired"')).toBeGreaterThanOrEqual(mine);
        expect(metric(text, "jetflow_group_commit_refused_total")).toBe(0);
        expect(metric(text, "jetflow_group_commits_total")).toBeGreaterThan(0);
        for (const p of g.tasks.running()) {
          expect(metric(text, "jetflow_group_partition_lag", `partition="${p}"`)).toBe(0);
          expect(text).toContain(`jetflow_messages_in_total{partition="${p}",`);
        }
        expect(text.match(/^# TYPE jetflow_messages_in_total /gm)?.length ?? 0).toBeLessThanOrEqual(1);
      }
      expect(owned).toBe(PARTITIONS);
    });

    it("answers the NATS service's jetflow.query.<relation> for the whole relation", async () => {
      const ref = await natsService(single, { name: "reference", subjectPrefix: "reference.query" });
      try {
        for (const [relation, request] of [
          ["by_region", ""],
          ["by_region", '{"region":"west"}'],
          ["orders", '{"id":11}'],
          ["everything", ""],
        ] as const) {
          const want = new TextDecoder().decode((await client.request(`reference.query.${relation}`, request)).data);
          const got = new TextDecoder().decode((await client.request(`jetflow.query.${relation}`, request)).data);
          expect({ relation, request, got }).toEqual({ relation, request, got: want });
        }
        const refused = await client.request("jetflow.query.orders", '{"nope":1}');
        expect(refused.headers?.get("Nats-Service-Error-Code")).toBe("400");
      } finally {
        await ref.stop();
      }
    });

    it("streams the whole relation's changes over SSE: a snapshot, then changes giving the rows one pipeline has", async () => {
      const member = members[1]?.http.url as string;
      const res = await fetch(`${member}/api/relations/by_region/changes`);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const events = sseEvents(res);
      const first = await events.next();
      expect(first.value?.event).toBe("snapshot");
      expect(first.value?.data).toEqual(JSON.parse((await get(`${reference.url}/api/relations/by_region`)).text));
      const rows = new Map<string, number>();
      for (const row of (first.value?.data ?? []) as unknown[]) rows.set(JSON.stringify(row), 1);
      // Order 3 moves from west to north: two groups' rows change, wherever their partitions are.
      const js = (await jetstreamManager(client)).jetstream();
      await js.publish("shop.orders", JSON.stringify({ ...order(183), region: "north", amount: 1000 }));
      await until(async () =>
        (await get(`${reference.url}/api/relations/by_region?region=north`)).text.includes('"n":19'),
      );
      const want = (JSON.parse((await get(`${reference.url}/api/relations/by_region`)).text) as unknown[]).map((r) =>
        JSON.stringify(r),
      );
      const same = () => rows.size === want.length && want.every((r) => rows.get(r) === 1);
      while (!same()) {
        const next = await events.next();
        expect(next.value?.event).toBe("change");
        for (const { op, row } of (next.value?.data ?? []) as { op: string; row: unknown }[]) {
          const key = JSON.stringify(row);
          const n = (rows.get(key) ?? 0) + (op === "+" ? 1 : -1);
          if (n === 0) rows.delete(key);
          else rows.set(key, n);
        }
      }
      await events.return(undefined);
    });
  },
);

/** The events of an SSE response, parsed (`data` as JSON), as they come. */
async function* sseEvents(res: Response): AsyncGenerator<{ event: string; data: unknown }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      let end = text.indexOf("\n\n");
      while (end < 0) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
        end = text.indexOf("\n\n");
      }
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) yield { event, data: JSON.parse(data.join("\n")) };
    }
  } finally {
    await reader.cancel();
  }
}
