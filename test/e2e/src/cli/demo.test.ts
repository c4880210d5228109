import { NatsServer } from "@jetflow/test-harness";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";

/** `jetflow demo` without a terminal: runs for --duration seconds, then prints both views once. */

/** The rows of one psql-like table printed under `name:` (cells trimmed; empty cells are NULL). */
function tableAfter(stdout: string, name: string): { header: string[]; rows: string[][]; footer: string } {
  const lines = stdout.split("\n");
  const start = lines.indexOf(`${name}:`);
  if (start < 0) throw new Error(`no "${name}:" in ${stdout}`);
  const header = (lines[start + 1] as string).split("|").map((s) => s.trim());
  expect(lines[start + 2]).toMatch(/^-+(\+-+)*$/);
  const rows: string[][] = [];
  let k = start + 3;
  for (; !(lines[k] as string).startsWith("("); k++) rows.push((lines[k] as string).split("|").map((s) => s.trim()));
  return { header, rows, footer: lines[k] as string };
}

const REGIONS = ["east", "north", "south", "west"];
const STATUSES = ["cancelled", "paid", "placed", "shipped"];

function expectPlausible(stdout: string): void {
  const revenue = tableAfter(stdout, "revenue_by_region");
  expect(revenue.header).toEqual(["region", "orders", "revenue", "largest"]);
  expect(revenue.rows.map((r) => r[0])).toEqual(REGIONS); // every region, sorted
  expect(revenue.footer).toBe("(4 rows)");
  for (const [, orders, total, largest] of revenue.rows) {
    expect(Number(orders)).toBeGreaterThan(0);
    expect(Number(total)).toBeGreaterThan(0);
    expect(Number(largest)).toBeGreaterThan(0);
    expect(Number(largest)).toBeLessThan(1000); // the demo's amounts are below 1000
    expect(Number(total)).toBeLessThanOrEqual(Number(orders) * Number(largest));
  }
  const status = tableAfter(stdout, "orders_by_status");
  expect(status.header).toEqual(["status", "count"]);
  expect(status.rows.map((r) => r[0]).every((s) => STATUSES.includes(s as string))).toBe(true);
  // Every order is in exactly one status: the counts add up to the distinct orders (5000 backlog ids, up to 7000).
  const orders = status.rows.reduce((n, r) => n + Number(r[1]), 0);
  expect(orders).toBeGreaterThanOrEqual(5000);
  expect(orders).toBeLessThanOrEqual(7000);
  const notCancelled = status.rows.filter((r) => r[0] !== "cancelled").reduce((n, r) => n + Number(r[1]), 0);
  expect(revenue.rows.reduce((n, r) => n + Number(r[1]), 0)).toBe(notCancelled);
}

describe("jetflow demo", () => {
  it("starts its own nats-server, exits 0 after --duration, prints both views with plausible rows, stops the server", async () => {
    const r = await runCli(["demo", "--duration", "3"], { timeoutMs: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expectPlausible(r.stdout);
    const url = /on (nats:\/\/[^\s,]+)/.exec(r.stderr)?.[1];
    expect(url, r.stderr).toBeDefined();
    // The local server went away with the demo.
    await expect(connect({ servers: url as string, reconnect: false, timeout: 2000 })).rejects.toThrow();
  });

  it("uses a given --server instead of starting one", async () => {
    await using server = await NatsServer.start();
    const r = await runCli(["demo", "--server", server.url, "--duration", "2"], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`on ${server.url}`);
    expectPlausible(r.stdout);
  });
});
