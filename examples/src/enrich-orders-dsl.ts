/**
 * A stream-table join with the TypeScript DSL: order events (a source) enriched with the latest
 * customer row (a table keyed by user_id), then revenue per customer region.
 *
 *   node examples/dist/enrich-orders-dsl.js [nats://127.0.0.1:4222]
 */
import { col, count, from, nats, type Pipeline, pipeline, sum, using } from "@jetflow/pipeline";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { rowText } from "./print-view.js";

/**
 * CREATE MATERIALIZED VIEW enriched AS
 *   SELECT o.id, user_id, c.name, o.amount FROM orders o LEFT JOIN customers c USING (user_id)
 */
export const enriched = from("orders", "o")
  .leftJoin("customers", "c", using(["user_id"]))
  .select("o.id", "user_id", "c.name", "o.amount");

/**
 * CREATE MATERIALIZED VIEW revenue AS
 *   SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue
 *   FROM orders o JOIN customers c ON o.user_id = c.user_id AND o.amount > 0 GROUP BY c.region
 */
export const revenue = from("orders", "o")
  .join("customers", "c", col("o.user_id").eq(col("c.user_id")).and(col("o.amount").gt(0)))
  .groupBy("c.region")
  .select("c.region", { orders: count(), revenue: sum(col("o.amount")) });

/** The same pipeline in SQL, for comparison. */
export function sqlText(server: string): string {
  const withNats = (subject: string) =>
    `WITH (connector = 'nats', server_url = '${server}', subject = '${subject}', stream = 'crm', connect_mode = 'plain') FORMAT PLAIN ENCODE JSON`;
  return `
    CREATE TABLE customers (user_id int PRIMARY KEY, name varchar, region varchar) ${withNats("crm.customers")};
    CREATE SOURCE orders (id int, user_id int, amount double precision) ${withNats("crm.orders")};
    CREATE MATERIALIZED VIEW enriched AS
      SELECT o.id, user_id, c.name, o.amount FROM orders o LEFT JOIN customers c USING (user_id);
    CREATE MATERIALIZED VIEW revenue AS
      SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue
      FROM orders o JOIN customers c ON o.user_id = c.user_id AND o.amount > 0 GROUP BY c.region;`;
}

/** Customers (user 2 moves from north to south) and orders (one for a user nobody knows). */
export async function publishData(server: string): Promise<void> {
  const nc = await connect({ servers: server });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "crm", subjects: ["crm.>"] }).catch(() => undefined);
  const js = jsm.jetstream();
  for (const c of [
    { user_id: 1, name: "ann", region: "north" },
    { user_id: 2, name: "bob", region: "north" },
    { user_id: 2, name: "bob", region: "south" },
  ]) {
    await js.publish("crm.customers", JSON.stringify(c));
  }
  for (const o of [
    { id: 10, user_id: 1, amount: 30 },
    { id: 11, user_id: 2, amount: 12.5 },
    { id: 12, user_id: 2, amount: 7.5 },
    { id: 13, user_id: 9, amount: 5 },
  ]) {
    await js.publish("crm.orders", JSON.stringify(o));
  }
  await nc.close();
}

export function enrichPipeline(server: string): Pipeline {
  const withNats = (subject: string) => nats({ servers: server, subject, stream: "crm" });
  return pipeline()
    .table("customers", {
      columns: { user_id: "int", name: "varchar", region: "varchar" },
      primaryKey: "user_id",
      with: withNats("crm.customers"),
    })
    .source("orders", { columns: { id: "int", user_id: "int", amount: "double" }, with: withNats("crm.orders") })
    .materializedView("enriched", enriched)
    .materializedView("revenue", revenue);
}

export async function main(
  server: string,
  log: (line: string) => void = console.log,
): Promise<{ enriched: Record<string, unknown>[]; revenue: Record<string, unknown>[] }> {
  await publishData(server);
  const p = enrichPipeline(server);
  await p.start();
  await p.caughtUp();
  const rows = { enriched: p.view("enriched").rows(), revenue: p.view("revenue").rows() };
  for (const row of [...rows.enriched, ...rows.revenue]) log(rowText(row));
  await p.stop();
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  await main(process.argv[2] ?? "nats://127.0.0.1:4222");
}
