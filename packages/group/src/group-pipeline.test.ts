import { formatSqlType, sqlTypeOfField } from "@jetflow/core";
import { sqlPipeline } from "@jetflow/sql";
import { harnessServerVersion, versionAtLeast } from "@jetflow/test-harness";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exchangeStreamName } from "./exchange-stream.js";
import { groupLag } from "./group-lag.js";
import { GroupPipeline } from "./group-pipeline.js";
import { InProcessGroup } from "./testing/in-process-group.js";
import { useServer } from "./testing/server-fixture.js";

// Groups need 2.11 (leases with per-message TTL).
const groups = versionAtLeast(harnessServerVersion(), 2, 11);

const sqlOf = (url: string, stream: string) => {
  const w = (subject: string) =>
    `WITH (connector = 'nats', server_url = '${url}', connect_mode = 'plain', subject = '${stream}.${subject}', stream = '${stream}') FORMAT PLAIN ENCODE JSON`;
  return `
CREATE TABLE orders (id int, cust int, amount double, PRIMARY KEY (id)) ${w("orders")};
CREATE TABLE customers (id int, country varchar, PRIMARY KEY (id)) ${w("customers")};
CREATE MATERIALIZED VIEW by_country AS
  SELECT c.country, count(*) AS orders, sum(o.amount) AS total
  FROM orders o JOIN customers c ON o.cust = c.id GROUP BY c.country;
CREATE MATERIALIZED VIEW per_customer AS SELECT cust, count(*) AS n, max(amount) AS biggest FROM orders GROUP BY cust;
CREATE MATERIALIZED VIEW everything AS SELECT count(*) AS n, sum(amount) AS total FROM orders;
CREATE MATERIALIZED VIEW sizes AS SELECT n, count(*) AS c FROM everything GROUP BY n;
CREATE SOURCE clicks (page varchar, ms int) ${w("clicks")};
CREATE MATERIALIZED VIEW per_page AS SELECT page, count(*) AS n, sum(ms) AS ms FROM clicks GROUP BY page;
CREATE MATERIALIZED VIEW slow AS SELECT page, ms FROM clicks WHERE ms > 400;
`;
};

const VIEWS = ["orders", "customers", "by_country", "per_customer", "everything", "sizes", "per_page", "slow"] as const;

describe.runIf(groups)("GroupPipeline: one SQL pipeline over the members of a group (nats-server 2.11+)", () => {
  const fx = useServer();
  const stream = "shop";
  let sql: string;
  let group: InProcessGroup;

  beforeAll(async () => {
    sql = sqlOf(fx.server.url, stream);
    group = new InProcessGroup({ url: fx.server.url, group: "shop", partitions: 4, views: VIEWS }, sql);
    await fx.jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  });
  afterAll(() => group?.close());

  const join = (name: string) => group.join(name);
  const single = () => group.single();
  const whole = (g: GroupPipeline) => group.whole(g);

  const publish = async (subject: string, rows: object[]) => {
    for (const r of rows) await fx.js.publish(`${stream}.${subject}`, JSON.stringify(r));
  };

  it("two members give what one process gives, through updates, a leave and a join", async () => {
    await publish(
      "customers",
      Array.from({ length: 12 }, (_, i) => ({ id: i, country: ["fr", "de", "it"][i % 3] })),
    );
    await publish(
      "orders",
      Array.from({ length: 60 }, (_, i) => ({ id: i, cust: i % 12, amount: i * 1.5 })),
    );
    const a = await join("a");
    const b = await join("b");
    const first = await whole(a);
    expect(first).toEqual(await single());
    expect(first.everything).toBe('{"n":60,"total":2655}\n');
    expect(await whole(b)).toEqual(first);
    // Updates retract across the edges: an order moves customer, a customer moves country.
    await publish("orders", [
      { id: 3, cust: 5, amount: 100 },
      { id: 60, cust: 1, amount: 7 },
    ]);
    await publish("customers", [{ id: 2, country: "es" }]);
    await publish(
      "clicks",
      Array.from({ length: 50 }, (_, i) => ({ page: `/p${i % 7}`, ms: (i * 37) % 500 })),
    );
    const second = await whole(b);
    expect(second).toEqual(await single());
    expect(second.by_country).toContain('"country":"es"');
    // Partial aggregates merged across the edge keep the types one process gives (count: bigint).
    for (const view of ["per_page", "everything"]) {
      const gathered = (await b.table(view)).schema.fields.map((f) => formatSqlType(sqlTypeOfField(f)));
      const planned = b.planned.relations.find((r) => r.name === view)?.columns.map((c) => formatSqlType(c.type));
      expect(gathered, view).toEqual(planned);
    }
    // b leaves: a takes every partition over from b's last commits.
    await b.leave();
    await publish("orders", [{ id: 61, cust: 2, amount: 1 }]);
    const third = await whole(a);
    expect(third).toEqual(await single());
    expect(a.tasks.running()).toEqual([0, 1, 2, 3]);
    // A lookup by the placement key goes to one partition.
    const es = await a.query("by_country", { country: "es" });
    expect(es.rows).toEqual([["es", 6, expect.any(Number)]]);
    const c = await join("c");
    await publish("orders", [{ id: 62, cust: 4, amount: 2 }]);
    expect(await whole(c)).toEqual(await single());
    // Every partition reports its progress: quiet, nothing pending.
    const lag = await groupLag(fx.nc, "shop", 4);
    expect([...lag.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const p of lag.values()) expect({ lag: p.lag, unsent: p.unsent }).toEqual({ lag: 0, unsent: 0 });
    // What every partition's committed state applied is trimmed from the exchange.
    const exchange = exchangeStreamName("shop");
    expect((await fx.jsm.streams.info(exchange)).state.last_seq).toBeGreaterThan(0);
    await vi.waitFor(async () => expect((await fx.jsm.streams.info(exchange)).state.messages).toBe(0), {
      timeout: 20_000,
      interval: 250,
    });
  }, 120_000);

  it("refuses a member started with another pipeline, before it takes a partition", async () => {
    const nc = await connect({ servers: fx.server.url });
    try {
      const other = await sqlPipeline()
        .sql(`${sql}\nCREATE MATERIALIZED VIEW extra AS SELECT id FROM customers;`)
        .plan();
      await expect(
        GroupPipeline.start(nc, other, { group: "shop", stateBucket: "shop-state", member: { name: "odd" } }),
      ).rejects.toThrow(/group "shop" runs another pipeline: this SQL file's relations/);
    } finally {
      await nc.close();
    }
  });
});
