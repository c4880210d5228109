import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toJsonLines } from "@jetflow/core";
import type { Pipeline } from "@jetflow/pipeline";
import { sqlPipeline } from "@jetflow/sql";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseJsonLines, runCli } from "../cli-process.js";
import { ReferenceSql } from "../reference-sql.js";
import { canonicalRows, referenceOf } from "./canonical.js";
import { Rng } from "./dataset.js";
import { addStream, publishRaw } from "./publish.js";

/**
 * Joins checked against PostgreSQL (PGlite) over the final table contents. Random data with
 * overwrites on both join sides (an overwrite that changes a join key retracts the old matches),
 * NULL join keys, many rows per key, users without orders and orders without users; an
 * append-only SOURCE joined to a TABLE. Set JETFLOW_JOIN_SEED to explore other data.
 */

const SEED = Number(process.env["JETFLOW_JOIN_SEED"] ?? 20_261_203);

type Row = Record<string, number | string | null>;

interface Data {
  readonly customers: Row[];
  readonly orders: Row[];
  readonly events: Row[];
}

function generate(rng: Rng): Data {
  const maybe = <T>(p: number, v: T): T | null => (rng.int(0, 99) < p ? null : v);
  const customers = Array.from({ length: 70 }, () => ({
    user_id: rng.int(1, 40),
    name: `c${rng.int(0, 30)}`,
    tier: maybe(15, rng.pick(["gold", "silver", "bronze"])),
    credit: maybe(10, rng.int(0, 100)),
  }));
  const orders = Array.from({ length: 400 }, () => ({
    id: rng.int(1, 160),
    user_id: maybe(10, rng.int(1, 48)),
    amount: maybe(5, rng.int(0, 120)),
    region: maybe(20, rng.pick(["n", "s"])),
  }));
  const events = Array.from({ length: 250 }, () => ({
    user_id: maybe(10, rng.int(1, 48)),
    kind: rng.pick(["view", "click", "buy"]),
    amount: rng.int(0, 120),
    ts: maybe(5, `2026-01-01 00:${String(rng.int(0, 59)).padStart(2, "0")}:${String(rng.int(0, 59)).padStart(2, "0")}`),
  }));
  return { customers, orders, events };
}

/** The last row per key, as a keyed table keeps it. */
function lastPerKey(rows: readonly Row[], key: string): Row[] {
  const m = new Map<unknown, Row>();
  for (const r of rows) m.set(r[key], r);
  return [...m.values()];
}

const DDL = {
  customers: "user_id integer, name varchar, tier varchar, credit integer",
  orders: "id integer, user_id integer, amount integer, region varchar",
  events: "user_id integer, kind varchar, amount integer, ts timestamp",
};

function ingestSql(url: string): string {
  const w = (s: string) =>
    `WITH (connector = 'nats', server_url = '${url}', subject = 'j.${s}', stream = 'joins', connect_mode = 'plain') FORMAT PLAIN ENCODE JSON`;
  return [
    `CREATE TABLE customers (${DDL.customers}, PRIMARY KEY (user_id)) ${w("customers")};`,
    `CREATE TABLE orders (${DDL.orders}, PRIMARY KEY (id)) ${w("orders")};`,
    `CREATE SOURCE events (${DDL.events}) ${w("events")};`,
    "",
  ].join("\n");
}

/** Views in dependency order: each is created in PostgreSQL (as a plain view) and in jetflow. */
const VIEWS: readonly [string, string][] = [
  ["inner_on", "SELECT o.id, o.amount, c.name FROM orders o JOIN customers c ON o.user_id = c.user_id"],
  ["left_on", "SELECT o.id, o.user_id, c.tier FROM orders o LEFT JOIN customers c ON o.user_id = c.user_id"],
  ["right_on", "SELECT o.id, c.user_id, c.name FROM orders o RIGHT OUTER JOIN customers c ON o.user_id = c.user_id"],
  [
    "full_on",
    "SELECT o.id, o.user_id AS ou, c.user_id AS cu, c.credit FROM orders o FULL JOIN customers c ON o.user_id = c.user_id",
  ],
  ["inner_using", "SELECT user_id, o.id, c.name FROM orders o JOIN customers c USING (user_id)"],
  ["full_using", "SELECT user_id, o.id, c.name FROM orders AS o FULL OUTER JOIN customers AS c USING (user_id)"],
  ["natural_join", "SELECT * FROM customers NATURAL JOIN (SELECT user_id, id FROM orders) AS x"],
  ["comma", "SELECT o.id, c.name FROM orders o, customers c WHERE o.user_id = c.user_id AND o.amount > 10"],
  [
    "left_residual",
    "SELECT o.id, o.amount, c.user_id, c.credit FROM orders o LEFT JOIN customers c ON o.user_id = c.user_id AND o.amount > c.credit",
  ],
  [
    "full_residual",
    "SELECT o.id, c.user_id FROM orders o FULL JOIN customers c ON o.user_id = c.user_id AND c.tier <> 'bronze'",
  ],
  ["key_expr", "SELECT o.id, c.user_id FROM orders o FULL JOIN customers c ON o.user_id + 1 = c.user_id"],
  [
    "anti",
    "SELECT o.id, o.user_id FROM orders o LEFT JOIN customers c ON o.user_id = c.user_id WHERE c.user_id IS NULL",
  ],
  [
    "three_way",
    "SELECT o.id, c.name, e.kind FROM orders o JOIN customers c ON o.user_id = c.user_id JOIN events e ON e.user_id = c.user_id AND e.amount < o.amount",
  ],
  [
    "three_way_left",
    "SELECT c.user_id, o.id, e.kind FROM customers c LEFT JOIN orders o ON o.user_id = c.user_id LEFT JOIN events e ON e.user_id = o.user_id AND e.kind = 'buy' AND e.amount > 100",
  ],
  ["self", "SELECT a.id AS a_id, b.id AS b_id FROM orders a JOIN orders b ON a.user_id = b.user_id AND a.id < b.id"],
  [
    "agg_over_join",
    "SELECT c.tier, count(*) AS n, sum(o.amount) AS total, max(o.amount) AS top FROM orders o JOIN customers c ON o.user_id = c.user_id GROUP BY c.tier",
  ],
  ["spend", "SELECT user_id, count(*) AS n, sum(amount) AS total FROM orders GROUP BY user_id"],
  ["join_over_view", "SELECT c.name, c.user_id, s.total FROM customers c LEFT JOIN spend s ON s.user_id = c.user_id"],
  ["source_join", "SELECT e.kind, e.amount, c.name FROM events e JOIN customers c ON e.user_id = c.user_id"],
  [
    "source_left_agg",
    "SELECT c.tier, count(*) AS n FROM events e LEFT JOIN customers c ON e.user_id = c.user_id GROUP BY c.tier",
  ],
  [
    "derived",
    "SELECT t.user_id, t.n FROM (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id) AS t WHERE t.n > 1",
  ],
  [
    "cte",
    "WITH big AS (SELECT id, user_id FROM orders WHERE amount > 50) SELECT b.id, c.name FROM big b JOIN customers c ON b.user_id = c.user_id",
  ],
  [
    "filtered_aggs",
    "SELECT user_id, count(*) FILTER (WHERE amount > 50) AS big, sum(amount) FILTER (WHERE region = 'n') AS north, bool_and(amount > 10) AS all_gt, bool_or(region IS NOT DISTINCT FROM 's') AS any_s, every(amount IS DISTINCT FROM 7) FILTER (WHERE region IS NULL) AS e FROM orders GROUP BY user_id",
  ],
  [
    "bool_over_join",
    "SELECT c.tier, bool_or(o.amount > c.credit) AS over_credit, bool_and(o.region IS DISTINCT FROM c.tier) AS d, count(DISTINCT o.user_id) FILTER (WHERE o.amount < 60) AS users FROM customers c LEFT JOIN orders o ON o.user_id = c.user_id GROUP BY c.tier",
  ],
  [
    "union_all",
    "SELECT user_id, amount FROM orders WHERE amount > 60 UNION ALL SELECT user_id, amount FROM events WHERE kind = 'buy' UNION ALL SELECT user_id, credit FROM customers",
  ],
  ["union_distinct", "SELECT user_id FROM orders UNION SELECT user_id FROM customers"],
  [
    "union_in_join",
    "SELECT u.user_id, u.n, c.name FROM (SELECT user_id, count(*) AS n FROM orders GROUP BY user_id UNION ALL SELECT user_id, 1::bigint FROM events) AS u JOIN customers c USING (user_id)",
  ],
  [
    "topn_union",
    "SELECT * FROM (SELECT id AS k, amount FROM orders UNION ALL SELECT user_id, credit FROM customers) AS u ORDER BY amount DESC NULLS LAST, k LIMIT 4",
  ],
  [
    "hop_counts",
    "SELECT window_start, window_end, kind, count(*) AS n, sum(amount) AS total FROM HOP(events, ts, INTERVAL '5 minutes', INTERVAL '15 minutes') GROUP BY window_start, window_end, kind",
  ],
  [
    "hop_join",
    "SELECT h.window_start, c.tier, count(*) AS n FROM HOP(events, ts, INTERVAL '10 minutes', INTERVAL '20 minutes') AS h JOIN customers c ON h.user_id = c.user_id GROUP BY h.window_start, c.tier",
  ],
  // The right table joined on its primary key while the left side reads that table too: the join
  // keeps its own copy (one table change reaches both sides; the left must not see it twice).
  ["self_pk", "SELECT a.id, a.region, b.amount FROM orders a JOIN orders b ON a.id = b.id WHERE a.amount > 20"],
  [
    "derived_self",
    "SELECT x.user_id, c.name FROM (SELECT user_id FROM customers WHERE credit > 30) AS x LEFT JOIN customers c ON x.user_id = c.user_id",
  ],
  [
    "strings",
    "SELECT user_id, string_agg(region, ',' ORDER BY id), string_agg(DISTINCT region, '' ORDER BY region DESC) FILTER (WHERE amount > 20) AS big FROM orders GROUP BY user_id",
  ],
  [
    "strings_over_join",
    "SELECT c.tier, string_agg(c.name, ', ' ORDER BY o.id DESC) AS names, count(*) AS n FROM orders o JOIN customers c ON o.user_id = c.user_id GROUP BY c.tier",
  ],
  [
    "topn_join",
    "SELECT o.id, o.amount, c.name FROM orders o JOIN customers c ON o.user_id = c.user_id ORDER BY o.amount DESC, o.id LIMIT 5",
  ],
];

async function publishAll(url: string, data: Data, part: (rows: Row[]) => Row[]): Promise<void> {
  const messages = (["customers", "orders", "events"] as const).flatMap((s) =>
    part(data[s]).map((r) => ({ subject: `j.${s}`, payload: JSON.stringify(r) })),
  );
  await publishRaw({ servers: url }, "joins", messages);
}

/** The view's SQL for PostgreSQL: HOP(events, ts, a, b) becomes the hop_events(a, b) function. */
function pgSql(select: string): string {
  return select.replace(/HOP\(events, ts, (INTERVAL '[^']+'), (INTERVAL '[^']+')\)/g, "hop_events($1, $2)");
}

async function reference(data: Data): Promise<ReferenceSql> {
  const db = await ReferenceSql.open();
  await db.exec(
    `CREATE TABLE customers (${DDL.customers}, PRIMARY KEY (user_id)); CREATE TABLE orders (${DDL.orders}, PRIMARY KEY (id)); CREATE TABLE events (${DDL.events});`,
  );
  await db.insert("customers", ["user_id", "name", "tier", "credit"], lastPerKey(data.customers, "user_id"));
  await db.insert("orders", ["id", "user_id", "amount", "region"], lastPerKey(data.orders, "id"));
  await db.insert("events", ["user_id", "kind", "amount", "ts"], data.events);
  // HOP(events, ts, slide, size) in PostgreSQL: every window of `size` starting on a multiple of `slide` that holds ts.
  await db.exec(`CREATE FUNCTION hop_events(slide interval, size interval)
    RETURNS TABLE (user_id integer, kind varchar, amount integer, ts timestamp, window_start timestamp, window_end timestamp)
    AS $$ SELECT e.*, s, s + size FROM events e,
      generate_series(date_bin(slide, e.ts, timestamp '2000-01-01') - size + slide, e.ts, slide) AS s $$ LANGUAGE sql`);
  for (const [name, select] of VIEWS) await db.exec(`CREATE VIEW ${name} AS ${pgSql(select)}`);
  return db;
}

/** Each view's difference from PostgreSQL's answer (empty when equal). */
async function differences(p: Pipeline, db: ReferenceSql): Promise<string[]> {
  const out: string[] = [];
  for (const [name, select] of VIEWS) {
    const ref = await referenceOf(db, name);
    const got = canonicalRows(parseJsonLines(toJsonLines(p.view(name).snapshot())), ref.columns);
    const names = p.columnsOf(name).map((c) => c.name);
    if (JSON.stringify(names) !== JSON.stringify(ref.columns.map((c) => c.name))) {
      out.push(`${name}: columns ${names.join(", ")}`);
    }
    if (JSON.stringify(got) !== JSON.stringify(ref.rows)) {
      out.push(`${name}: ${got.length} rows, PostgreSQL ${ref.rows.length} (${select})`);
    }
  }
  return out;
}

describe("joins equal PostgreSQL over the final table contents", () => {
  let server: NatsServer;
  let dir: string;
  let db: ReferenceSql;
  let data: Data;
  const sqlText = () =>
    `${ingestSql(server.url)}${VIEWS.map(([n, s]) => `CREATE MATERIALIZED VIEW ${n} AS ${s};`).join("\n")}\n`;

  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-joins-"));
    data = generate(new Rng(SEED));
    await addStream({ servers: server.url }, "joins", ["j.>"]);
    db = await reference(data);
  });

  afterAll(async () => {
    await db?.close();
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("after a restart from a checkpoint taken halfway, every view equals PostgreSQL", async () => {
    const state = { kind: "filesystem" as const, dir: path.join(dir, "state") };
    await publishAll(server.url, data, (rows) => rows.slice(0, rows.length / 2));
    const first = sqlPipeline({ state }).sql(sqlText());
    await first.start();
    await first.caughtUp();
    await first.stop();
    await publishAll(server.url, data, (rows) => rows.slice(rows.length / 2));
    const second = sqlPipeline({ state }).sql(sqlText());
    await second.start();
    await second.caughtUp();
    try {
      expect(await differences(second, db)).toEqual([]);
      // Sanity: the data exercises what it should.
      expect(second.view("inner_on").rows().length).toBeGreaterThan(50);
      expect(second.view("anti").rows().length).toBeGreaterThan(5);
      expect(second.view("three_way").rows().length).toBeGreaterThan(50);
    } finally {
      await second.stop();
    }
  });

  it("a run without a restart gives the same views", async () => {
    const p = sqlPipeline({ checkpointIntervalMs: 0 }).sql(sqlText());
    await p.start();
    await p.caughtUp();
    try {
      expect(await differences(p, db)).toEqual([]);
    } finally {
      await p.stop();
    }
  });

  it("a view created on a running pipeline starts complete (backfill of both sides)", async () => {
    const p = sqlPipeline({ checkpointIntervalMs: 0 }).sql(ingestSql(server.url));
    await p.start();
    await p.caughtUp();
    try {
      // full_on keeps both sides; inner_on, left_on and agg_over_join probe the customers table's own rows.
      for (const view of ["full_on", "inner_on", "left_on", "agg_over_join"]) {
        const [name, select] = VIEWS.find(([n]) => n === view) as [string, string];
        await p.exec(`CREATE MATERIALIZED VIEW ${name} AS ${select};`);
        const ref = await referenceOf(db, name);
        const got = canonicalRows(parseJsonLines(toJsonLines(p.view(name).snapshot())), ref.columns);
        expect(got).toEqual(ref.rows);
      }
    } finally {
      await p.stop();
    }
  });

  it("end to end through the CLI: jetflow run --until-caught-up --print", async () => {
    const file = path.join(dir, "joins.sql");
    fs.writeFileSync(file, sqlText());
    const r = await runCli(["run", file, "--until-caught-up", "--print", "left_residual"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ref = await referenceOf(db, "left_residual");
    expect(canonicalRows(parseJsonLines(r.stdout), ref.columns)).toEqual(ref.rows);
  });
});

/** How long a publish may take to show in a view on a loaded machine. */
const WAIT = { timeout: 30_000, interval: 25 };

describe("temporal join: FOR SYSTEM_TIME AS OF PROCTIME()", () => {
  let server: NatsServer;

  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("joins each event with the customer as it is when the event arrives; later changes revise nothing", async () => {
    const url = server.url;
    await addStream({ servers: url }, "joins", ["j.>"]);
    const send = (subject: string, rows: Row[]) =>
      publishRaw(
        { servers: url },
        "joins",
        rows.map((r) => ({ subject: `j.${subject}`, payload: JSON.stringify(r) })),
      );
    await send("customers", [
      { user_id: 1, name: "ann", tier: "gold", credit: 1 },
      { user_id: 2, name: "bob", tier: null, credit: 2 },
    ]);
    const p = sqlPipeline({ checkpointIntervalMs: 0 }).sql(
      `${ingestSql(url)}CREATE MATERIALIZED VIEW enriched AS SELECT e.user_id, e.amount, c.name FROM events e LEFT JOIN customers FOR SYSTEM_TIME AS OF PROCTIME() AS c ON e.user_id = c.user_id;`,
    );
    await p.start();
    try {
      await p.caughtUp();
      // caughtUp() covers what was in the streams at start(): after each publish, wait for its
      // effect before the next one, so each event meets the customer row of its moment.
      const settle = (check: () => boolean) => vi.waitFor(() => expect(check()).toBe(true), WAIT);
      await send("events", [
        { user_id: 1, kind: "buy", amount: 10 },
        { user_id: 3, kind: "buy", amount: 30 },
      ]);
      await settle(() => p.view("enriched").rows().length === 2);
      await send("customers", [{ user_id: 1, name: "anna", tier: "gold", credit: 1 }]);
      await settle(() => (p.relation("customers").rows() ?? []).some((c) => c["name"] === "anna"));
      await send("events", [{ user_id: 1, kind: "buy", amount: 11 }]);
      await settle(() => p.view("enriched").rows().length === 3);
      const rows = p
        .view("enriched")
        .rows()
        .sort((a, b) => Number(a["amount"]) - Number(b["amount"]));
      expect(rows).toEqual([
        { user_id: 1, amount: 10, name: "ann" },
        { user_id: 1, amount: 11, name: "anna" },
        { user_id: 3, amount: 30, name: null },
      ]);
    } finally {
      await p.stop();
    }
  });

  it("after a restart from a checkpoint, probes the restored table: events meet the customers of their moment", async () => {
    const url = server.url;
    const stream = "joins_restart";
    await addStream({ servers: url }, stream, ["jr.>"]);
    const send = (subject: string, rows: Row[]) =>
      publishRaw(
        { servers: url },
        stream,
        rows.map((r) => ({ subject: `jr.${subject}`, payload: JSON.stringify(r) })),
      );
    const state = { kind: "filesystem" as const, dir: fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-temporal-")) };
    const sqlText =
      ingestSql(url).replaceAll("'j.", "'jr.").replaceAll("stream = 'joins'", `stream = '${stream}'`) +
      "CREATE MATERIALIZED VIEW by_name AS SELECT c.name, count(*) AS n, sum(e.amount) AS total FROM events e JOIN customers FOR SYSTEM_TIME AS OF PROCTIME() c ON e.user_id = c.user_id GROUP BY c.name;";
    const settle = (check: () => boolean) => vi.waitFor(() => expect(check()).toBe(true), WAIT);
    try {
      await send("customers", [
        { user_id: 1, name: "ann", tier: "gold", credit: 1 },
        { user_id: 2, name: "bob", tier: null, credit: 2 },
      ]);
      const first = sqlPipeline({ state }).sql(sqlText);
      await first.start();
      try {
        await first.caughtUp();
        await send("events", [
          { user_id: 1, kind: "buy", amount: 10 },
          { user_id: 2, kind: "buy", amount: 20 },
        ]);
        await settle(() => first.view("by_name").rows().length === 2);
      } finally {
        await first.stop();
      }
      // While stopped, ann is renamed; bob is never sent again, so only the restored table knows him.
      await send("customers", [{ user_id: 1, name: "anna", tier: "gold", credit: 1 }]);
      const second = sqlPipeline({ state }).sql(sqlText);
      await second.start();
      try {
        await second.caughtUp();
        await send("events", [
          { user_id: 1, kind: "buy", amount: 11 },
          { user_id: 2, kind: "buy", amount: 21 },
          { user_id: 3, kind: "buy", amount: 99 },
        ]);
        await settle(() =>
          second
            .view("by_name")
            .rows()
            .some((r) => r["name"] === "bob" && r["n"] === 2n),
        );
        await settle(() =>
          second
            .view("by_name")
            .rows()
            .some((r) => r["name"] === "anna"),
        );
        const rows = second
          .view("by_name")
          .rows()
          .sort((a, b) => String(a["name"]).localeCompare(String(b["name"])));
        expect(rows).toEqual([
          { name: "ann", n: 1n, total: 10n },
          { name: "anna", n: 1n, total: 11n },
          { name: "bob", n: 2n, total: 41n },
        ]);
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(state.dir, { recursive: true, force: true });
    }
  });

  it("is refused over a table on the left", async () => {
    const p = sqlPipeline({ checkpointIntervalMs: 0 }).sql(
      `${ingestSql(server.url)}CREATE MATERIALIZED VIEW bad AS SELECT o.id FROM orders o JOIN customers FOR SYSTEM_TIME AS OF PROCTIME() c ON o.user_id = c.user_id;`,
    );
    await expect(p.start()).rejects.toThrow(/needs an append-only left side \(a source\); "orders" is a table/);
  });
});
