/**
 * A keyed table and a live aggregate, built with the TypeScript DSL (no SQL).
 *
 *   node examples/dist/live-orders-dsl.js [nats://127.0.0.1:4222]
 *
 * Publishes a few orders to stream `shop`, keeps `orders` keyed by id (a later event for an id
 * overwrites the earlier one) and `revenue` = count and sum of amount per region, printing each
 * change of the view as it happens.
 */
import { parseSqlType } from "@jetflow/core";
import { call, col, lit } from "@jetflow/operators";
import { pipeline, type TableSpec, type ViewQuery } from "@jetflow/pipeline";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

export async function main(
  server: string,
  log: (line: string) => void = console.log,
): Promise<Record<string, unknown>[]> {
  // 1. Some data: three orders, the third one updates order 1.
  const nc = await connect({ servers: server });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "shop", subjects: ["shop.orders"] }).catch(() => undefined);
  for (const order of [
    { id: 1, region: "north", amount: 30, status: "paid" },
    { id: 2, region: "south", amount: 12.5, status: "paid" },
    { id: 1, region: "north", amount: 45, status: "paid" },
  ]) {
    await jsm.jetstream().publish("shop.orders", JSON.stringify(order));
  }
  await nc.close();

  // 2. The table: CREATE TABLE orders (id int PRIMARY KEY, region varchar, amount double precision, status varchar)
  const orders: TableSpec = {
    columns: [
      { name: "id", type: parseSqlType("int") },
      { name: "region", type: parseSqlType("varchar") },
      { name: "amount", type: parseSqlType("double precision") },
      { name: "status", type: parseSqlType("varchar") },
    ],
    primaryKey: ["id"],
    include: [],
    with: { connector: "nats", server_url: server, subject: "shop.orders", stream: "shop", connect_mode: "plain" },
    format: { format: "plain", encode: "json", options: {} },
  };

  // 3. The view: SELECT region, count(*) AS orders, sum(amount) AS revenue FROM orders WHERE status = 'paid' GROUP BY region
  const revenue: ViewQuery = {
    kind: "aggregate",
    input: {
      kind: "filter",
      input: { kind: "scan", relation: "orders" },
      predicate: call("=", col("status"), lit("paid")),
    },
    groupBy: [{ name: "region", expr: col("region") }],
    aggregates: [
      { name: "orders", fn: "count", arg: undefined, distinct: false },
      { name: "revenue", fn: "sum", arg: col("amount"), distinct: false },
    ],
  };

  const p = pipeline().table("orders", orders).materializedView("revenue", revenue);
  await p.start();
  const changes = p
    .view("revenue")
    .changes$.subscribe((change) => log(`revenue changed: ${change.batch.numRows} row changes`));
  await p.caughtUp();
  const rows = p.view("revenue").rows();
  for (const row of rows) log(JSON.stringify(row, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v)));
  changes.unsubscribe();
  await p.stop();
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  await main(process.argv[2] ?? "nats://127.0.0.1:4222");
}
