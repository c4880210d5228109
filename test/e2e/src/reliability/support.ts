import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { toJsonLines } from "@jetflow/core";
import type { ViewHandle } from "@jetflow/pipeline";
import { freePort } from "@jetflow/test-harness";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { expect } from "vitest";
import { CLI_BIN, type CliResult, parseJsonLines, runCli } from "../cli-process.js";
import { type ReferenceSql, sortRows } from "../reference-sql.js";
import { type OrderEvent, purgeStream } from "../workload.js";

/**
 * Helpers of the reliability suite on top of the e2e ones (cli-process, workload,
 * reference-sql): a `jetflow run` that keeps running while the test breaks things around it,
 * its metrics, and the order pipeline checked against PostgreSQL.
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A `jetflow run` child process the test can signal, read from and wait for. */
export interface LiveCli {
  readonly child: ChildProcess;
  /** What it printed so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Settles when it exits. */
  readonly exited: Promise<CliResult>;
  /** True while the process runs. */
  readonly running: () => boolean;
  /** SIGTERM (a graceful stop: final checkpoint, print) and wait for the exit. */
  stop(): Promise<CliResult>;
}

/** Every background CLI still running: a failing test must not leave one behind. */
const live = new Set<ChildProcess>();
process.once("exit", killLiveClis);

/** SIGKILLs every background `jetflow run` still running (call it in afterAll). */
export function killLiveClis(): void {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}

/** Starts `jetflow ARGS` in the background; SIGKILLed after `timeoutMs` if still running. */
export function startCli(args: readonly string[], timeoutMs = 90_000): LiveCli {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  live.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  let done = false;
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      done = true;
      live.delete(child);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    running: () => !done,
    stop: async () => {
      if (!done) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** The metrics text of a running `jetflow run --metrics-port PORT`, or undefined while it does not answer. */
export async function scrape(port: number): Promise<string | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** One series of Prometheus text: `name{relation="r"} value`; 0 when absent. */
export function metricValue(text: string, name: string, relation?: string): number {
  const labels = relation === undefined ? "" : `{relation="${relation}"}`;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}${labels} `)) return Number(line.slice(name.length + labels.length + 1));
  }
  return 0;
}

/** Polls the metrics until `name{relation}` reaches `atLeast`; rejects after `timeoutMs` or if the process exits. */
export async function waitForMetric(
  cli: LiveCli,
  port: number,
  name: string,
  relation: string,
  atLeast: number,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    if (!cli.running()) throw new Error(`jetflow exited while waiting for ${name}: ${cli.stderr()}`);
    const text = await scrape(port);
    if (text !== undefined) {
      last = metricValue(text, name, relation);
      if (last >= atLeast) return last;
    }
    await sleep(50);
  }
  throw new Error(`${name}{relation="${relation}"} stayed at ${last}, below ${atLeast}, for ${timeoutMs} ms`);
}

/** Publishes events with JetStream acks (so each is stored exactly once, in order), in chunks. */
export async function publishAcked(url: string, subject: string, events: readonly object[]): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    for (let i = 0; i < events.length; i += 1000) {
      await Promise.all(events.slice(i, i + 1000).map((e) => js.publish(subject, JSON.stringify(e))));
    }
  } finally {
    await nc.close();
  }
}

/** The consumers of a stream, by name. */
export async function consumerNames(url: string, stream: string): Promise<string[]> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const names: string[] = [];
    for await (const c of jsm.consumers.list(stream)) names.push(c.name);
    return names;
  } finally {
    await nc.close();
  }
}

// ---- the order pipeline used by the fault tests ----

export const ORDER_DDL =
  "order_id bigint PRIMARY KEY, customer varchar, region varchar, amount double precision, qty int, status varchar";
export const ORDER_COLUMNS = ["order_id", "customer", "region", "amount", "qty", "status"];

/** Views checked against PostgreSQL: one over the keyed table, one over the append-only source (replays show there). */
export const ORDER_VIEWS: Record<string, string> = {
  by_region: "SELECT region, count(*), sum(amount) AS revenue, min(amount), max(amount) FROM orders GROUP BY region",
  event_counts: "SELECT region, status, count(*), sum(qty) AS items FROM order_events GROUP BY region, status",
};

/**
 * A table keyed by order_id and an append-only source, both on `subject` of `stream`, plus
 * {@link ORDER_VIEWS}. `extraWith` adds WITH options to both (e.g. a durable consumer name).
 */
export function orderPipelineSql(
  url: string,
  stream: string,
  subject: string,
  extraWith: (relation: string) => string = () => "",
): string {
  const ingest = (kind: "TABLE" | "SOURCE", name: string, ddl: string) =>
    `CREATE ${kind} ${name} (${ddl})
WITH (connector = 'nats', server_url = '${url}', subject = '${subject}', stream = '${stream}', connect_mode = 'plain'${extraWith(name)})
FORMAT PLAIN ENCODE JSON;`;
  const views = Object.entries(ORDER_VIEWS)
    .map(([name, q]) => `CREATE MATERIALIZED VIEW ${name} AS ${q};`)
    .join("\n");
  return [
    ingest("TABLE", "orders", ORDER_DDL),
    ingest("SOURCE", "order_events", ORDER_DDL.replace(" PRIMARY KEY", "")),
    views,
    "",
  ].join("\n");
}

/**
 * Loads `orders` (the last event per key) and `order_events` (every event) into PostgreSQL, in a
 * schema of their own that becomes the search path: one PGlite (slow to start) serves a whole
 * file, each test in its own schema.
 */
export async function loadReference(db: ReferenceSql, schema: string, events: readonly OrderEvent[]): Promise<void> {
  const last = new Map<number, OrderEvent>();
  for (const e of events) last.set(e.order_id, e);
  await db.exec(`CREATE SCHEMA ${schema}; SET search_path TO ${schema}`);
  await db.exec(`CREATE TABLE orders (${ORDER_DDL})`);
  await db.exec(`CREATE TABLE order_events (${ORDER_DDL.replace(" PRIMARY KEY", "")})`);
  await insertJson(db, "orders", [...last.values()]);
  await insertJson(db, "order_events", events);
}

/**
 * Bulk insert through one JSON document per chunk (json_populate_recordset): ten times faster
 * than ReferenceSql.insert's parameter lists, which matters at 100k rows.
 */
async function insertJson(db: ReferenceSql, table: string, rows: readonly object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 20_000) {
    const json = JSON.stringify(rows.slice(i, i + 20_000));
    if (json.includes("$rows$")) throw new Error("row text collides with the dollar quote");
    await db.exec(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $rows$${json}$rows$)`);
  }
}

/** PostgreSQL's answer for a relation of the order pipeline, sorted as the CLI prints it. */
export async function expectedRows(db: ReferenceSql, relation: string): Promise<Record<string, unknown>[]> {
  const query = ORDER_VIEWS[relation] ?? `SELECT ${ORDER_COLUMNS.join(", ")} FROM ${relation}`;
  return sortRows(await db.rows(query));
}

/** A live `jetflow run` of the order pipeline with a state dir and metrics. */
export interface OrderRun {
  readonly sqlFile: string;
  readonly stateDir: string;
  readonly port: number;
  readonly cli: LiveCli;
}

/**
 * Starts the order pipeline (`orderPipelineSql`) in live mode (no --until-caught-up: as in
 * production) with a state dir, `--metrics-port` and `--print event_counts` on exit.
 */
export async function startOrderRun(
  dir: string,
  url: string,
  stream: string,
  subject: string,
  opts: { checkpointIntervalMs?: number; extraWith?: (relation: string) => string } = {},
): Promise<OrderRun> {
  const sqlFile = path.join(dir, `${stream}.sql`);
  fs.writeFileSync(sqlFile, orderPipelineSql(url, stream, subject, opts.extraWith));
  const stateDir = path.join(dir, `state-${stream}`);
  const port = await freePort();
  const cli = startCli([
    "run",
    sqlFile,
    "--state-dir",
    stateDir,
    "--checkpoint-interval",
    String(opts.checkpointIntervalMs ?? 100),
    "--metrics-port",
    String(port),
    "--print",
    "event_counts",
  ]);
  return { sqlFile, stateDir, port, cli };
}

/**
 * The run recovered by itself and is exact: waits until both relations processed all `total`
 * events (the metrics; a replay would push them past), stops it with SIGTERM and compares the
 * view it printed with PostgreSQL (`db`, loaded by {@link loadReference}); then purges the stream, so
 * only the checkpointed state can answer, and compares the table and both views printed by
 * fresh runs on the state dir.
 */
export async function expectExactRun(
  run: OrderRun,
  url: string,
  stream: string,
  db: ReferenceSql,
  total: number,
): Promise<void> {
  for (const relation of ["orders", "order_events"]) {
    await waitForMetric(run.cli, run.port, "jetflow_messages_in_total", relation, total);
  }
  const stopped = await run.cli.stop();
  expect(stopped.code, stopped.stderr).toBe(0);
  expect(parseJsonLines(stopped.stdout)).toEqual(await expectedRows(db, "event_counts"));
  await purgeStream(url, stream);
  for (const relation of ["orders", "by_region", "event_counts"]) {
    const r = await runCli(["run", run.sqlFile, "--state-dir", run.stateDir, "--until-caught-up", "--print", relation]);
    expect(r.stderr, relation).toBe("");
    expect(parseJsonLines(r.stdout), relation).toEqual(await expectedRows(db, relation));
  }
}

/** A library view's rows as the CLI prints them (JSON Lines, sorted), for comparison with PostgreSQL. */
export function printedRows(view: ViewHandle): Record<string, unknown>[] {
  return parseJsonLines(toJsonLines(view.snapshot()));
}
