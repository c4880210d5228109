import { PGlite } from "@electric-sql/pglite";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { asc, boolAnd, boolOr, col, count, desc, every, from, nats, stringAgg, sum } from "@jetflow/pipeline";
import { NatsServer, canonicalRows } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlPipeline } from "./pipeline.js";

// bool_and / bool_or / every, string_agg and FILTER written with the builder and in SQL, run side
// by side over one table on a real nats-server (overwrites by key, so groups retract values), and
// both checked against PostgreSQL (PGlite) over the table's final contents.

type Order = {
  id: number;
  region: string;
  amount: number;
  status: string | null;
  paid: boolean | null;
  name: string | null;
};

const statuses = ["paid", "open", "void", null] as const;
const names = ["ann", "bob", null, "cid", "bob"] as const;
const first: Order[] = Array.from({ length: 30 }, (_, i) => ({
  id: i,
  region: ["north", "south", "east"][i % 3] as string,
  amount: ((i * 37) % 23) - 3,
  status: statuses[i % 4] ?? null,
  paid: i % 5 === 0 ? null : i % 3 !== 1,
  name: names[i % 5] ?? null,
}));
// Overwrites: rows move region, flip paid, lose their name; "west" is emptied again (all rows move out).
const later: Order[] = [
  { id: 1, region: "west", amount: 60, status: "paid", paid: false, name: "dee" },
  { id: 4, region: "north", amount: 5, status: "paid", paid: true, name: null },
  { id: 7, region: "south", amount: -1, status: null, paid: null, name: "eve" },
  { id: 1, region: "north", amount: 61, status: "paid", paid: true, name: "dee" },
  { id: 12, region: "east", amount: 0, status: "open", paid: false, name: "ann" },
];

const SELECT = `SELECT region,
  bool_and(paid) AS all_paid, bool_or(amount > 50) AS any_big, every(amount > 0) AS all_pos,
  bool_and(paid) FILTER (WHERE amount > 10) AS big_paid,
  string_agg(name, ', ' ORDER BY name DESC NULLS LAST, id) AS names,
  string_agg(DISTINCT status, '|' ORDER BY status) FILTER (WHERE amount > 0) AS kinds,
  count(*) FILTER (WHERE status = 'paid') AS n_paid,
  sum(amount) FILTER (WHERE status = 'paid') AS revenue
FROM orders GROUP BY region`;

const dsl = from("orders")
  .groupBy("region")
  .select("region", {
    all_paid: boolAnd(col("paid")),
    any_big: boolOr(col("amount").gt(50)),
    all_pos: every(col("amount").gt(0)),
    big_paid: boolAnd(col("paid"), { filter: col("amount").gt(10) }),
    names: stringAgg(col("name"), ", ", { orderBy: [desc("name", { nulls: "last" }), "id"] }),
    kinds: stringAgg(col("status"), "|", { distinct: true, orderBy: [asc("status")], filter: col("amount").gt(0) }),
    n_paid: count(undefined, { filter: col("status").eq("paid") }),
    revenue: sum(col("amount"), { filter: col("status").eq("paid") }),
  });

describe("the DSL's boolAnd / boolOr / every / stringAgg / filter over a real nats-server", () => {
  let server: NatsServer;
  let pg: PGlite;
  beforeAll(async () => {
    server = await NatsServer.start();
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "SHOP", subjects: ["shop.orders"] });
      const js = jsm.jetstream();
      for (const o of [...first, ...later]) await js.publish("shop.orders", JSON.stringify(o));
    } finally {
      await nc.close();
    }
    pg = new PGlite();
    await pg.exec(
      "CREATE TABLE orders (id integer PRIMARY KEY, region varchar, amount double precision, status varchar, paid boolean, name varchar)",
    );
    for (const o of [...first, ...later]) {
      await pg.query(
        `INSERT INTO orders VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE
           SET region = $2, amount = $3, status = $4, paid = $5, name = $6`,
        [o.id, o.region, o.amount, o.status, o.paid, o.name],
      );
    }
  });
  afterAll(async () => {
    await pg?.close();
    await server?.dispose();
  });

  it("gives the rows of the SQL view, and PostgreSQL's", async () => {
    const p = sqlPipeline({ checkpointIntervalMs: 0 })
      .table("orders", {
        columns: {
          id: "int",
          region: "varchar",
          amount: "double",
          status: "varchar",
          paid: "boolean",
          name: "varchar",
        },
        primaryKey: "id",
        with: nats({ servers: server.url, subject: "shop.orders", stream: "SHOP" }),
      })
      .materializedView("from_dsl", dsl)
      .sql(`CREATE MATERIALIZED VIEW from_sql AS ${SELECT};`);
    await p.start();
    try {
      await p.caughtUp();
      const expected = canonicalRows((await pg.query<Record<string, unknown>>(SELECT)).rows);
      expect(expected.length).toBe(3);
      expect(canonicalRows(p.view("from_sql").rows())).toEqual(expected);
      expect(canonicalRows(p.view("from_dsl").rows())).toEqual(expected);
    } finally {
      await p.stop();
    }
  });
});
