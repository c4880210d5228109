/**
 * The pipeline of sql-with-state.ts written with the TypeScript DSL instead of SQL: the same
 * source and the same view, planned into the same query tree (so it gives the same rows).
 *
 *   node examples/dist/clicks-dsl.js [nats://127.0.0.1:4222]
 */
import { type Pipeline, avg, col, count, from, max, nats, pipeline } from "@jetflow/pipeline";
import { publishClicks } from "./sql-with-state.js";
import { printViewOnce } from "./print-view.js";

/**
 * CREATE SOURCE clicks (page varchar, user_id bigint, ms int) INCLUDE subject AS topic
 *   WITH (connector = 'nats', server_url = ..., subject = 'web.clicks.>', stream = 'web',
 *         connect_mode = 'plain', scan.startup.mode = 'earliest') FORMAT PLAIN ENCODE JSON;
 * CREATE MATERIALIZED VIEW slow_pages AS
 *   SELECT page, topic, count(*) AS hits, avg(ms) AS avg_ms, max(ms) AS worst_ms
 *   FROM clicks GROUP BY page, topic HAVING max(ms) > 100;
 */
/** SELECT page, topic, count(*) AS hits, ... FROM clicks GROUP BY page, topic HAVING max(ms) > 100 */
export const slowPages = from("clicks")
  .groupBy("page", "topic")
  .select("page", "topic", { hits: count(), avg_ms: avg(col("ms")), worst_ms: max(col("ms")) })
  .having(max(col("ms")).gt(100));

export function clicksPipeline(server: string): Pipeline {
  return pipeline()
    .source("clicks", {
      columns: { page: "varchar", user_id: "bigint", ms: "int" },
      include: { topic: "subject" },
      with: nats({ servers: server, subject: "web.clicks.>", stream: "web", startup: { mode: "earliest" } }),
    })
    .materializedView("slow_pages", slowPages);
}

export async function main(
  server: string,
  log: (line: string) => void = console.log,
): Promise<Record<string, unknown>[]> {
  await publishClicks(server);
  return printViewOnce(clicksPipeline(server), "slow_pages", log);
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  await main(process.argv[2] ?? "nats://127.0.0.1:4222");
}
