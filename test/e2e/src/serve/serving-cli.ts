import fs from "node:fs";
import path from "node:path";
import type { NatsServer } from "@jetflow/test-harness";
import { RunningCli } from "../cli/running-cli.js";

/** The SQL of the serving suites: a keyed table of orders and a per-region aggregate over it. */
export function ordersSql(server: NatsServer, stream: string, subject: string): string {
  return `CREATE TABLE orders (id int PRIMARY KEY, region varchar, amount numeric, at timestamptz)
WITH (connector = 'nats', server_url = '${server.url}', subject = '${subject}', stream = '${stream}', connect_mode = 'plain')
FORMAT PLAIN ENCODE JSON;
CREATE MATERIALIZED VIEW by_region AS SELECT region, count(*) AS n, sum(amount) AS total FROM orders GROUP BY region;
`;
}

/** An order; ids repeat so later ones overwrite earlier ones. */
export function order(i: number): Record<string, unknown> {
  return {
    id: i % 97,
    region: ["north", "south", "east"][i % 3],
    amount: `${i}.${i % 10}5`,
    at: new Date(Date.UTC(2024, 4, 1, 0, 0, i)).toISOString(),
  };
}

/** Writes the SQL file into `dir` and starts `jetflow run FILE --http 0 ARGS`; resolves with its URL once it listens. */
export async function startServing(
  dir: string,
  sql: string,
  args: readonly string[] = [],
): Promise<{ cli: RunningCli; url: string; file: string }> {
  const file = path.join(dir, "serve.sql");
  fs.writeFileSync(file, sql);
  const cli = RunningCli.start(["run", file, "--http", "0", ...args]);
  let url = "";
  await cli.until("the HTTP server listens", () => {
    url = /jetflow: serving (http:\/\/\S+)/.exec(cli.stderr)?.[1] ?? "";
    return url !== "";
  });
  await cli.until("every source caught up (/readyz)", async () => {
    const res = await fetch(`${url}/readyz`).catch(() => undefined);
    return res?.status === 200;
  });
  return { cli, url, file };
}
