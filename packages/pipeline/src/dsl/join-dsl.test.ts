import { PGlite } from "@electric-sql/pglite";
import { NatsServer, canonicalRows } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pipeline } from "../pipeline.js";
import { seed } from "../test-support.js";
import { nats } from "./nats.js";
import { from, type Query, using } from "./query.js";
import { count, sum } from "./aggregate.js";
import { col } from "./value.js";

// Joins written with the builder, run over real streams, and checked against PostgreSQL (PGlite)
// running the same SELECT over the tables' final contents.

type Customer = { user_id: number; name: string | null; region: string };
type Order = { id: number; user_id: number | null; amount: number };

// Overwrites by primary key: user 2 moves region, user 3 loses its name, user 4 is overwritten twice.
const customers: Customer[] = [
  { user_id: 1, name: "ann", region: "north" },
  { user_id: 2, name: "bob", region: "north" },
  { user_id: 3, name: "cid", region: "south" },
  { user_id: 4, name: "dee", region: "east" },
  { user_id: 5, name: "eve", region: "south" },
  { user_id: 2, name: "bob", region: "south" },
  { user_id: 3, name: null, region: "south" },
  { user_id: 4, name: "dora", region: "east" },
  { user_id: 4, name: "dot", region: "north" },
];
// Duplicate keys on the stream side, a NULL key and keys no customer has.
const orders: Order[] = Array.from({ length: 40 }, (_, i) => ({
  id: i,
  user_id: i % 11 === 0 ? null : (i % 7) + 1,
  amount: (i * 37) % 23,
}));

/** The builder query and the SELECT it stands for, for PostgreSQL. */
const views: Record<string, [Query, string]> = {
  enriched: [
    from("orders", "o")
      .leftJoin("customers", "c", using(["user_id"]))
      .select("o.id", "user_id", "c.name", { amount: col("o.amount") }),
    "SELECT o.id, user_id, c.name, o.amount AS amount FROM orders o LEFT JOIN customers c USING (user_id)",
  ],
  by_region: [
    from("orders", "o")
      .join("customers", "c", col("o.user_id").eq(col("c.user_id")).and(col("o.amount").gt(5)))
      .groupBy("c.region")
      .select("c.region", { n: count(), total: sum(col("o.amount")) }),
    "SELECT c.region, count(*) AS n, sum(o.amount) AS total FROM orders o JOIN customers c ON o.user_id = c.user_id AND o.amount > 5 GROUP BY c.region",
  ],
  everyone: [
    from("customers", "c")
      .fullJoin("orders", "o", col("c.user_id").eq(col("o.user_id")))
      .select({ cid: col("c.user_id"), oid: col("o.id") }),
    "SELECT c.user_id AS cid, o.id AS oid FROM customers c FULL JOIN orders o ON c.user_id = o.user_id",
  ],
  neighbours: [
    from("customers", "a")
      .join(
        "customers",
        "b",
        col("a.region")
          .eq(col("b.region"))
          .and(col("a.user_id").lt(col("b.user_id"))),
      )
      .select({ a: col("a.user_id"), b: col("b.user_id") }),
    "SELECT a.user_id AS a, b.user_id AS b FROM customers a JOIN customers b ON a.region = b.region AND a.user_id < b.user_id",
  ],
  three_way: [
    from("orders", "o")
      .join("customers", "c", using(["user_id"]))
      .rightJoin("customers", "d", col("c.region").eq(col("d.region")))
      .select({ oid: col("o.id"), d: col("d.user_id") }),
    "SELECT o.id AS oid, d.user_id AS d FROM orders o JOIN customers c USING (user_id) RIGHT JOIN customers d ON c.region = d.region",
  ],
  temporal: [
    from("orders", "o")
      .join("customers", "c", using(["user_id"]), { temporal: true })
      .select("o.id", "c.name", "c.region"),
    "SELECT o.id, c.name, c.region FROM orders o JOIN customers c USING (user_id)",
  ],
};

describe("DSL joins against a real nats-server, checked with PostgreSQL", () => {
  let server: NatsServer;
  let pg: PGlite;
  beforeAll(async () => {
    server = await NatsServer.start();
    pg = new PGlite();
    await pg.exec(`
      CREATE TABLE customers (user_id integer PRIMARY KEY, name varchar, region varchar);
      CREATE TABLE orders (id integer, user_id integer, amount double precision);`);
    for (const c of customers) {
      await pg.query(
        "INSERT INTO customers VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET name = $2, region = $3",
        [c.user_id, c.name, c.region],
      );
    }
    for (const o of orders) await pg.query("INSERT INTO orders VALUES ($1, $2, $3)", [o.id, o.user_id, o.amount]);
  });
  afterAll(async () => {
    await pg?.close();
    await server?.dispose();
  });

  it("every join form gives the rows PostgreSQL gives over the final tables", async () => {
    // Customers first, orders once they are in: the temporal join sees each order's customer as final.
    await seed(server.url, "CUST", "shop.customers", customers);
    await seed(server.url, "ORD", "shop.orders", []);
    let p = pipeline()
      .table("customers", {
        columns: { user_id: "int", name: "varchar", region: "varchar" },
        primaryKey: "user_id",
        with: nats({ servers: server.url, subject: "shop.customers", stream: "CUST" }),
      })
      .source("orders", {
        columns: { id: "int", user_id: "int", amount: "double" },
        with: nats({ servers: server.url, subject: "shop.orders", stream: "ORD" }),
      });
    for (const [name, [query]] of Object.entries(views)) p = p.materializedView(name, query);
    await p.start();
    try {
      await p.caughtUp();
      // caughtUp() covers what was in the streams at start(): wait for the orders published after,
      // one enriched row each (a batch runs through every view before the promise resumes).
      const enriched = p.view("enriched");
      const allOrders = new Promise<void>((resolve) => {
        const sub = enriched.changes$.subscribe(() => {
          if (enriched.rows().length < orders.length) return;
          sub.unsubscribe();
          resolve();
        });
      });
      await seed(server.url, "ORD", "shop.orders", orders);
      await allOrders;
      for (const [name, [, sql]] of Object.entries(views)) {
        const expected = (await pg.query<Record<string, unknown>>(sql)).rows;
        expect(expected.length, name).toBeGreaterThan(0);
        expect(canonicalRows(p.view(name).rows()), name).toEqual(canonicalRows(expected));
      }
    } finally {
      await p.stop();
    }
  });
});
