/**
 * A keyed table and a live aggregate, built with the TypeScript DSL (no SQL).
 *
 *   node examples/dist/live-orders-dsl.js [nats://127.0.0.1:4222]
 *
 * Publishes a few orders to stream `shop`, keeps `orders` keyed by id (a later event for an id
 * overwrites the earlier one) and `revenue` = count and sum of amount per region, printing each
 * change of the view as it happens.
 */
import { col, count, from, nats, pipeline, sum } from "@jetflow/pipeline";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { rowText } from "./print-view.js";

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

  const p = pipeline()
    // 2. The table, keyed by id; JSON is the default format.
    //    CREATE TABLE orders (id int PRIMARY KEY, region varchar, amount double precision, status varchar)
    //    WITH (connector = 'nats', server_url = ..., subject = 'shop.orders', stream = 'shop', connect_mode = 'plain')
    .table("orders", {
      columns: { id: "int", region: "varchar", amount: "double", status: "varchar" },
      primaryKey: "id",
      with: nats({ servers: server, subject: "shop.orders", stream: "shop" }),
    })
    // 3. The view: SELECT region, count(*) AS orders, sum(amount) AS revenue FROM orders WHERE status = 'paid' GROUP BY region
    .materializedView(
      "revenue",
      from("orders")
        .where(col("status").eq("paid"))
        .groupBy("region")
        .select("region", { orders: count(), revenue: sum(col("amount")) }),
    );
  await p.start();
  const changes = p
    .view("revenue")
    .changes$.subscribe((change) => log(`revenue changed: ${change.batch.numRows} row changes`));
  await p.caughtUp();
  const rows = p.view("revenue").rows();
  for (const row of rows) log(rowText(row));
  changes.unsubscribe();
  await p.stop();
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  await main(process.argv[2] ?? "nats://127.0.0.1:4222");
}
