import { sqlPipeline } from "@jetflow/sql";
import { harnessServerVersion, versionAtLeast } from "@jetflow/test-harness";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroupPipeline } from "./group-pipeline.js";
import { partitionOf } from "./partition.js";
import { partitionedStream } from "./testing/partitioned-stream.js";
import { InProcessGroup } from "./testing/in-process-group.js";
import { useServer } from "./testing/server-fixture.js";

// Groups need 2.11 (leases with per-message TTL); the subject transform needs 2.10.
const groups = versionAtLeast(harnessServerVersion(), 2, 11);

const PARTITIONS = 4;
const VIEWS = ["orders", "by_region"] as const;

/** `orders.<id>` is stored as `orders.<partitionOf([id], 4)>.<id>`: the subject's token 2 is the partition. */
const sqlOf = (url: string, stream: string) => `
CREATE TABLE orders (id int, region varchar, amount double, PRIMARY KEY (id))
  WITH (connector = 'nats', server_url = '${url}', connect_mode = 'plain', stream = '${stream}',
        subject = 'orders.*.*', group.partition_token = '2') FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW by_region AS SELECT region, count(*) AS n, sum(amount) AS total FROM orders GROUP BY region;
`;

describe.runIf(groups)("group.partition_token: a stream the server partitions, read in every partition", () => {
  const fx = useServer();
  let sql: string;
  let group: InProcessGroup;

  beforeAll(async () => {
    sql = sqlOf(fx.server.url, await partitionedStream(fx.nc, "orders", PARTITIONS));
    group = new InProcessGroup({ url: fx.server.url, group: "pingest", partitions: PARTITIONS, views: VIEWS }, sql);
  });
  afterAll(() => group?.close());

  const join = (name: string) => group.join(name);
  const single = () => group.single();
  const whole = (g: GroupPipeline) => group.whole(g);

  const publish = async (rows: { id: number; region: string; amount: number }[]) => {
    for (const r of rows) await fx.js.publish(`orders.${r.id}`, JSON.stringify(r));
  };

  it("two members give what one process gives, each partition holding only its ids", async () => {
    await publish(
      Array.from({ length: 40 }, (_, i) => ({ id: i, region: ["eu", "us", "ap"][i % 3] as string, amount: i })),
    );
    const a = await join("a");
    const b = await join("b");
    // No router: nothing crosses an edge to build the table, only the GROUP BY region is cut.
    expect(a.plan.edges).toEqual(["x1"]);
    const first = await whole(a);
    expect(first).toEqual(await single());
    expect(first.by_region).toContain('"region":"eu","n":14');
    // An update of a key lands in the partition that holds it, which retracts the old row.
    await publish([
      { id: 3, region: "ap", amount: 100 },
      { id: 40, region: "eu", amount: 1 },
    ]);
    const second = await whole(b);
    expect(second).toEqual(await single());
    expect(second.orders).toContain('{"id":3,"region":"ap","amount":100}');
    // Every partition's table holds exactly the ids the server put in that partition.
    for (const m of [a, b]) {
      for (const [p, pl] of m.partitionPipelines()) {
        const ids = pl
          .view("orders")
          .snapshot()
          .toArray()
          .map((r) => Number(r.id));
        expect(ids.length).toBeGreaterThan(0);
        for (const id of ids) expect(partitionOf([String(id)], PARTITIONS)).toBe(p);
      }
    }
  }, 120_000);

  it("refuses a group whose partition count differs from the stream's transform, naming both", async () => {
    const nc = await connect({ servers: fx.server.url });
    try {
      const start = GroupPipeline.start(nc, await sqlPipeline().sql(sql).plan(), {
        group: "pingest_other",
        stateBucket: "pingest-other-state",
        partitions: PARTITIONS + 1,
      });
      await expect(start).rejects.toThrow(
        `group "pingest_other" has ${PARTITIONS + 1} partitions, but stream "ORDERS" (read by "orders" with group.partition_token) partitions its subjects into ${PARTITIONS} (orders.{{partition(${PARTITIONS},1)}}.{{wildcard(1)}}): they must be equal`,
      );
    } finally {
      await nc.close();
    }
  });

  it("refuses a group whose partition count differs from group.partition_count, naming both", async () => {
    const nc = await connect({ servers: fx.server.url });
    try {
      const declared = sql.replace(
        "group.partition_token = '2'",
        "group.partition_token = '2', group.partition_count = '3'",
      );
      const start = GroupPipeline.start(nc, await sqlPipeline().sql(declared).plan(), {
        group: "pingest_count",
        stateBucket: "pingest-count-state",
        partitions: PARTITIONS,
      });
      await expect(start).rejects.toThrow(
        `group "pingest_count" has ${PARTITIONS} partitions, but "orders" declares group.partition_count = '3': they must be equal`,
      );
    } finally {
      await nc.close();
    }
  });
});
