import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { sqlPipeline } from "@jetflow/sql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main as clicksDslMain, slowPages } from "./clicks-dsl.js";
import { main as enrichMain, sqlText as enrichSql } from "./enrich-orders-dsl.js";
import { main as dslMain } from "./live-orders-dsl.js";
import { clicksSourceSql, main as sqlMain, sqlText } from "./sql-with-state.js";

const plain = (rows: Record<string, unknown>[]) =>
  JSON.parse(JSON.stringify(rows, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v))) as Record<
    string,
    unknown
  >[];

describe("examples run against a real server", () => {
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-examples-"));
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("live-orders-dsl: the update of order 1 replaces it in the sums", async () => {
    const lines: string[] = [];
    const rows = await dslMain(server.url, (l) => lines.push(l));
    expect(plain(rows).sort((a, b) => String(a["region"]).localeCompare(String(b["region"])))).toEqual([
      { region: "north", orders: 1, revenue: 45 },
      { region: "south", orders: 1, revenue: 12.5 },
    ]);
    expect(lines.some((l) => l.startsWith("revenue changed"))).toBe(true);
  });

  it("sql-with-state: a second run resumes from the state and sees only new clicks", async () => {
    const state = path.join(dir, "state");
    const first = plain(await sqlMain(server.url, state, () => {}));
    const second = plain(await sqlMain(server.url, state, () => {}));
    const hits = (rows: Record<string, unknown>[]) => rows.reduce((n, r) => n + (r["hits"] as number), 0);
    expect(first.length).toBeGreaterThan(0);
    // The second run published 100 more clicks; the view covers both runs, each click once.
    expect(hits(second)).toBe(2 * hits(first));
  });

  it("clicks-dsl: the DSL pipeline gives the rows its SQL twin gives over the same stream", async () => {
    const byKey = (rows: Record<string, unknown>[]) =>
      plain(rows).sort((a, b) => `${a["page"]} ${a["topic"]}`.localeCompare(`${b["page"]} ${b["topic"]}`));
    const dsl = byKey(await clicksDslMain(server.url, () => {}));
    const rowsOf = async (p: ReturnType<typeof sqlPipeline>) => {
      await p.start();
      await p.caughtUp();
      const rows = byKey(p.view("slow_pages").rows());
      await p.stop();
      return rows;
    };
    const sql = await rowsOf(sqlPipeline().sql(sqlText(server.url)));
    // Both styles in one pipeline: the DSL's view over the source the SQL created.
    const mixed = await rowsOf(
      sqlPipeline().sql(clicksSourceSql(server.url)).materializedView("slow_pages", slowPages),
    );
    expect(dsl.length).toBeGreaterThan(0);
    expect(dsl.every((r) => (r["worst_ms"] as number) > 100)).toBe(true);
    expect(dsl).toEqual(sql);
    expect(mixed).toEqual(sql);
  });

  it("enrich-orders-dsl: the DSL joins give the rows their SQL twin gives over the same streams", async () => {
    const sorted = (rows: Record<string, unknown>[]) =>
      plain(rows)
        .map((r) => JSON.stringify(r))
        .sort();
    const dsl = await enrichMain(server.url, () => {});
    // Orders are a stream: each is joined with its customer's latest row (user 2 moved south).
    expect(sorted(dsl.enriched)).toEqual(
      sorted([
        { id: 10, user_id: 1, name: "ann", amount: 30 },
        { id: 11, user_id: 2, name: "bob", amount: 12.5 },
        { id: 12, user_id: 2, name: "bob", amount: 7.5 },
        { id: 13, user_id: 9, name: null, amount: 5 },
      ]),
    );
    expect(sorted(dsl.revenue)).toEqual(
      sorted([
        { region: "north", orders: 1, revenue: 30 },
        { region: "south", orders: 2, revenue: 20 },
      ]),
    );
    const p = sqlPipeline().sql(enrichSql(server.url));
    await p.start();
    await p.caughtUp();
    const sql = { enriched: p.view("enriched").rows(), revenue: p.view("revenue").rows() };
    await p.stop();
    expect(sorted(sql.enriched)).toEqual(sorted(dsl.enriched));
    expect(sorted(sql.revenue)).toEqual(sorted(dsl.revenue));
  });
});
