/**
 * The same DDL as RisingWave, run as a library with a checkpointed state directory: run it twice
 * and the second run resumes where the first stopped (nothing read twice).
 *
 *   node examples/dist/sql-with-state.js [nats://127.0.0.1:4222] [./state]
 */
import { sqlPipeline } from "@jetflow/sql";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { printViewOnce } from "./print-view.js";

/** The source of the clicks, in RisingWave's DDL. */
export function clicksSourceSql(server: string): string {
  return `
CREATE SOURCE clicks (page varchar, user_id bigint, ms int)
INCLUDE subject AS topic
WITH (
  connector = 'nats',
  server_url = '${server}',
  subject = 'web.clicks.>',
  stream = 'web',
  connect_mode = 'plain',
  scan.startup.mode = 'earliest'
) FORMAT PLAIN ENCODE JSON;
`;
}

/** The whole pipeline: the source and a view over it. */
export function sqlText(server: string): string {
  return `${clicksSourceSql(server)}
CREATE MATERIALIZED VIEW slow_pages AS
  SELECT page, topic, count(*) AS hits, avg(ms) AS avg_ms, max(ms) AS worst_ms
  FROM clicks GROUP BY page, topic HAVING max(ms) > 100;
`;
}

/** Publishes 100 clicks to `web.clicks.eu` / `web.clicks.us` (stream `web`, created if missing). */
export async function publishClicks(server: string): Promise<void> {
  const nc = await connect({ servers: server });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "web", subjects: ["web.clicks.>"] }).catch(() => undefined);
  for (let i = 0; i < 100; i++)
    nc.publish(
      `web.clicks.${i % 2 === 0 ? "eu" : "us"}`,
      JSON.stringify({ page: `/p${i % 3}`, user_id: i, ms: (i * 37) % 250 }),
    );
  await nc.flush();
  await nc.close();
}

export async function main(
  server: string,
  stateDir: string,
  log: (line: string) => void = console.log,
): Promise<Record<string, unknown>[]> {
  await publishClicks(server);
  return printViewOnce(
    sqlPipeline({ state: { kind: "filesystem", dir: stateDir } }).sql(sqlText(server)),
    "slow_pages",
    log,
  );
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  await main(process.argv[2] ?? "nats://127.0.0.1:4222", process.argv[3] ?? "./jetflow-example-state");
}
