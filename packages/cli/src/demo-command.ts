import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { sqlPipeline } from "@jetflow/sql";
import { intFlag, parseFlags, serversFlag } from "./args.js";
import { LiveDisplay } from "./live-display.js";
import { startLocalNatsServer } from "./local-nats-server.js";
import { serverLine } from "./server-version.js";
import { connectClient } from "./nats-client.js";
import { toTextTable } from "./output/text-table.js";
import type { Io } from "./run-command.js";

export const DEMO_HELP = `Usage: jetflow demo [--server URL] [--duration SECONDS]

Starts a local nats-server (from PATH) unless --server is given, publishes sample order events
(a backlog, then a steady trickle with status updates), runs a sample SQL pipeline and shows its
views updating live. Ctrl-C ends it, or --duration: that many seconds after the backlog is read.
Without a terminal it prints the views once at the end.
`;

/** The demo's stream, subject and SQL. */
export const DEMO_STREAM = "jetflow_demo";
export const DEMO_SUBJECT = "demo.orders";

export function demoSql(server: string): string {
  return `-- Orders arrive as JSON; a later event for the same order_id overwrites the earlier one.
CREATE TABLE orders (
  order_id bigint PRIMARY KEY,
  customer varchar,
  region varchar,
  amount numeric(10, 2),
  status varchar,
  created_at timestamptz
) WITH (
  connector = 'nats',
  server_url = '${server}',
  subject = '${DEMO_SUBJECT}',
  stream = '${DEMO_STREAM}',
  connect_mode = 'plain',
  scan.startup.mode = 'earliest'
) FORMAT PLAIN ENCODE JSON;

CREATE MATERIALIZED VIEW revenue_by_region AS
  SELECT region, count(*) AS orders, sum(amount) AS revenue, max(amount) AS largest
  FROM orders WHERE status <> 'cancelled' GROUP BY region;

CREATE MATERIALIZED VIEW orders_by_status AS
  SELECT status, count(*) FROM orders GROUP BY status;
`;
}

const REGIONS = ["north", "south", "east", "west"];
const STATUSES = ["placed", "paid", "shipped", "cancelled"];

export async function demoCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags("demo", argv, {
    server: { type: "string" },
    duration: { type: "string" },
    verbose: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    io.stdout.write(DEMO_HELP);
    return 0;
  }
  const duration = intFlag("duration", values.duration, 1, 86_400);
  const given = serversFlag(values.server);
  const local = given === undefined ? await startLocalNatsServer() : undefined;
  const servers = given ?? [(local as { url: string }).url];
  const nc = await connectClient({ servers });
  io.stderr.write(serverLine("demo", nc.info?.version, nc.getServer()));
  const stop: { stopped: boolean } = { stopped: false };
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: DEMO_STREAM, subjects: [DEMO_SUBJECT] }).catch(() => undefined);
    await publishOrders(nc, 0, 20_000);
    io.stderr.write(`demo: publishing orders to ${DEMO_SUBJECT} on ${servers.join(",")}\n`);
    const trickle = trickleOrders(nc, 20_000, stop);

    const p = sqlPipeline().sql(demoSql(servers[0] as string));
    await p.start();
    const display = io.stdout.isTTY === true ? new LiveDisplay(p, undefined, io.stdout) : undefined;
    display?.start();
    // --duration counts from the end of the backlog, so what it prints never depends on how busy the machine is.
    const caughtUp = p.caughtUp().catch(() => undefined);
    const timeout =
      duration === undefined
        ? new Promise<void>(() => {})
        : caughtUp.then(() => new Promise<void>((r) => setTimeout(r, duration * 1000)));
    await Promise.race([io.interrupted, timeout, p.done]);
    // The views then cover at least the backlog published before the start, however slow the machine.
    if (duration !== undefined) await Promise.race([io.interrupted, p.caughtUp(), p.done]);
    display?.stop();
    stop.stopped = true;
    await trickle;
    for (const name of ["revenue_by_region", "orders_by_status"]) {
      io.stdout.write(`${name}:\n${toTextTable(p.view(name).snapshot())}\n`);
    }
    await p.stop();
    return 0;
  } finally {
    stop.stopped = true;
    await nc.close();
    await local?.stop();
  }
}

function order(id: number, seq: number): string {
  const status = STATUSES[Math.min(STATUSES.length - 1, Math.floor(seq / 3) % STATUSES.length)] as string;
  return JSON.stringify({
    order_id: id,
    customer: `customer-${id % 97}`,
    region: REGIONS[id % REGIONS.length],
    amount: Math.round(((id * 7919) % 100_000) / 10) / 10,
    status,
    created_at: new Date(Date.UTC(2026, 0, 1) + id * 1000).toISOString(),
  });
}

async function publishOrders(nc: NatsConnection, from: number, count: number): Promise<void> {
  for (let i = 0; i < count; i++) nc.publish(DEMO_SUBJECT, order(from + (i % 5000), i));
  await nc.flush();
}

/** About 200 events a second until stopped: new orders and updates of older ones. */
async function trickleOrders(nc: NatsConnection, start: number, stop: { stopped: boolean }): Promise<void> {
  let seq = start;
  while (!stop.stopped) {
    for (let i = 0; i < 20; i++, seq++) nc.publish(DEMO_SUBJECT, order(seq % 7000, seq));
    await new Promise((r) => setTimeout(r, 100));
  }
}
