import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli-process.js";
import { ReferenceSql } from "../reference-sql.js";
import { referenceOf } from "../sql/canonical.js";
import { addStream, publishRaw } from "../sql/publish.js";

/**
 * The `--until-caught-up --print` contract (DESIGN §6), byte for byte: one JSON object per row,
 * keys = column names in order, rows sorted by all columns (typed, NULL last), bigint as a number
 * when safe else a string, timestamps ISO-8601 UTC, columns named as PostgreSQL names them; and
 * `--format table`, and what `--print` accepts (a table or a view, not a source).
 */

const ITEMS =
  "id bigint PRIMARY KEY, name varchar, n int, big bigint, ts timestamptz, t timestamp, amount numeric, x double precision";

/** Payloads written by hand: digits beyond 2^53 must reach the decoder as written. */
const ITEM_PAYLOADS = [
  '{"id":-5,"name":"beta","n":10,"big":1,"ts":"2024-03-01T12:00:00+02:00","t":"2024-03-01 12:00:00","amount":"12.50","x":1.5}',
  '{"id":2,"name":"alpha","n":2,"big":9007199254740993,"ts":"2024-03-01T00:00:00.100001Z","t":"1969-12-31 23:59:59.5","amount":"123456789012345678901234567890.5","x":-0.0}',
  '{"id":10,"n":-1,"big":-9007199254740993,"ts":"2024-03-01T00:00:00.100Z","x":"NaN"}',
  '{"id":"9007199254740993","name":"alpha","big":9007199254740991,"ts":1709251200000,"amount":7}',
  '{"id":9007199254740992,"name":"Ωmega","n":3,"x":1e300}',
  // An earlier write of a key is replaced by the later one.
  '{"id":3,"name":"overwritten","n":99}',
  '{"id":3,"name":"gamma","n":0,"t":"2024-03-01T00:00:00"}',
];

const EXPECTED_ITEMS = `{"id":-5,"name":"beta","n":10,"big":1,"ts":"2024-03-01T10:00:00.000Z","t":"2024-03-01T12:00:00.000Z","amount":12.5,"x":1.5}
{"id":2,"name":"alpha","n":2,"big":"9007199254740993","ts":"2024-03-01T00:00:00.100001Z","t":"1969-12-31T23:59:59.500Z","amount":"123456789012345678901234567890.5","x":0}
{"id":3,"name":"gamma","n":0,"big":null,"ts":null,"t":"2024-03-01T00:00:00.000Z","amount":null,"x":null}
{"id":10,"name":null,"n":-1,"big":"-9007199254740993","ts":"2024-03-01T00:00:00.100Z","t":null,"amount":null,"x":"NaN"}
{"id":"9007199254740992","name":"Ωmega","n":3,"big":null,"ts":null,"t":null,"amount":null,"x":1e+300}
{"id":"9007199254740993","name":"alpha","n":null,"big":9007199254740991,"ts":"2024-03-01T00:00:00.000Z","t":null,"amount":7,"x":null}
`;

const VIEWS = {
  // Unaliased outputs, named as PostgreSQL names them.
  names_plain:
    "SELECT id, lower(name), n + 1, CAST(n AS bigint), CASE WHEN n > 0 THEN 'p' ELSE 'q' END, coalesce(name, 'x'), name AS alias, substring(name from 1 for 2), trim(name), -n AS neg, ts::date FROM items",
  names_agg: "SELECT name, count(*), sum(n), max(n), min(n), avg(n), count(n) AS non_null FROM items GROUP BY name",
  by_ts: "SELECT ts, id FROM items",
  by_name: "SELECT name, n FROM items",
  // A join that keeps both sides (not on the primary key): it runs as shards with --shards.
  pairs: "SELECT a.id, b.id AS other, a.name FROM items a FULL JOIN items b ON a.name = b.name",
};

function sqlFile(url: string): string {
  const withClause = (subject: string) =>
    `WITH (connector = 'nats', server_url = '${url}', subject = '${subject}', stream = 'out', connect_mode = 'plain') FORMAT PLAIN ENCODE JSON`;
  return `CREATE TABLE items (${ITEMS}) ${withClause("out.items")};
CREATE SOURCE raw_items (${ITEMS.replace(" PRIMARY KEY", "")}) ${withClause("out.items")};
CREATE TABLE texts (s varchar PRIMARY KEY) ${withClause("out.texts")};
CREATE TABLE odd (id int PRIMARY KEY, r real, iv interval) ${withClause("out.odd")};
${Object.entries(VIEWS)
  .map(([name, q]) => `CREATE MATERIALIZED VIEW ${name} AS ${q};`)
  .join("\n")}
`;
}

describe("jetflow run --until-caught-up --print: the output contract", () => {
  let server: NatsServer;
  let dir: string;
  let file: string;

  beforeAll(async () => {
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-out-"));
    await addStream({ servers: server.url }, "out", ["out.>"]);
    await publishRaw({ servers: server.url }, "out", [
      ...ITEM_PAYLOADS.map((payload) => ({ subject: "out.items", payload })),
      ...['{"s":"emoji 🚀"}', '{"s":"emoji ｘ"}', '{"s":"emoji a"}'].map((payload) => ({
        subject: "out.texts",
        payload,
      })),
      ...[
        '{"id":1,"r":0.1,"iv":"-1 day"}',
        '{"id":2,"r":2.5,"iv":"-1 day 2 hours"}',
        '{"id":3,"r":-3,"iv":"1 year -1 mon"}',
      ].map((payload) => ({ subject: "out.odd", payload })),
    ]);
    file = path.join(dir, "out.sql");
    fs.writeFileSync(file, sqlFile(server.url));
  });
  afterAll(async () => {
    await server?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Each distinct command runs once; the tests share its output (every run consumes the stream anew).
  const outputs = new Map<string, Promise<string>>();
  const print = (name: string, ...extra: string[]): Promise<string> => {
    const args = ["run", file, "--until-caught-up", "--print", name, ...extra];
    const key = args.join(" ");
    let out = outputs.get(key);
    if (out === undefined) {
      out = runCli(args).then((r) => {
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        return r.stdout;
      });
      outputs.set(key, out);
    }
    return out;
  };

  it("a table: one object per row in column order, sorted by its values (numerically), bigint past 2^53 as a string, timestamps ISO-8601 UTC", async () => {
    expect(await print("items")).toBe(EXPECTED_ITEMS);
  });

  it("sorts by every column in order, typed: timestamps by time (not text), NULLs last", async () => {
    expect(await print("by_ts")).toBe(
      [
        '{"ts":"2024-03-01T00:00:00.000Z","id":"9007199254740993"}',
        '{"ts":"2024-03-01T00:00:00.100Z","id":10}',
        '{"ts":"2024-03-01T00:00:00.100001Z","id":2}',
        '{"ts":"2024-03-01T10:00:00.000Z","id":-5}',
        '{"ts":null,"id":3}',
        '{"ts":null,"id":"9007199254740992"}',
        "",
      ].join("\n"),
    );
    expect(await print("by_name")).toBe(
      [
        '{"name":"alpha","n":2}',
        '{"name":"alpha","n":null}',
        '{"name":"beta","n":10}',
        '{"name":"gamma","n":0}',
        '{"name":"Ωmega","n":3}',
        '{"name":null,"n":-1}',
        "",
      ].join("\n"),
    );
  });

  it("names unaliased columns as PostgreSQL does (count(*) -> count, sum(x) -> sum, n + 1 -> ?column?, ...)", async () => {
    const db = await ReferenceSql.open();
    try {
      await db.exec(`CREATE TABLE items (${ITEMS})`);
      for (const [name, query] of Object.entries(VIEWS)) {
        await db.exec(`CREATE VIEW ${name} AS ${query}`);
        const pgNames = (await referenceOf(db, name)).columns.map((c) => c.name);
        const first = JSON.parse((await print(name)).split("\n")[0] as string) as Record<string, unknown>;
        expect(Object.keys(first), name).toEqual(pgNames);
      }
    } finally {
      await db.close();
    }
    const agg = (await print("names_agg")).split("\n")[0];
    expect(agg).toBe('{"name":"alpha","count":2,"sum":2,"max":2,"min":2,"avg":2,"non_null":1}');
  });

  it("--format table prints the same rows as a psql-like table, NULL as an empty cell", async () => {
    expect(await print("by_name", "--format", "table")).toBe(
      [
        " name  | n",
        "-------+----",
        " alpha | 2",
        " alpha |",
        " beta  | 10",
        " gamma | 0",
        " Ωmega | 3",
        "       | -1",
        "(6 rows)",
        "",
      ].join("\n"),
    );
  });

  it("--print takes a table or a view; a source holds no rows: one clear line, exit 1", async () => {
    expect((await print("items")).split("\n")).toHaveLength(7);
    expect((await print("by_ts")).split("\n")).toHaveLength(7);
    const r = await runCli(["run", file, "--until-caught-up", "--print", "raw_items"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('jetflow: "raw_items" is a source: it keeps no rows; create a table or a view to read it\n');
    expect(r.stdout).toBe("");
  });

  it("--format must be jsonl or table", async () => {
    const r = await runCli(["run", file, "--until-caught-up", "--print", "items", "--format", "csv"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('jetflow: --format must be one of jsonl, table, got "csv"\n');
  });

  it("--read-path consumer prints what the lean default prints; an unknown read path is a usage error", async () => {
    expect(await print("items", "--read-path", "consumer")).toBe(EXPECTED_ITEMS);
    expect(await print("items", "--read-path", "lean")).toBe(EXPECTED_ITEMS);
    const r = await runCli(["run", file, "--until-caught-up", "--print", "items", "--read-path", "jsmsg"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('jetflow: --read-path must be one of lean, consumer, got "jsmsg"\n');
  });

  it("--workers 2 (sources read in threads) prints what one thread prints; a bad count is a usage error", async () => {
    expect(await print("items", "--workers", "2")).toBe(EXPECTED_ITEMS);
    expect(await print("items", "--workers", "0")).toBe(EXPECTED_ITEMS);
    const r = await runCli(["run", file, "--until-caught-up", "--print", "items", "--workers", "many"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('jetflow: --workers must be a whole number from 0 to 64, got "many"\n');
  });

  it("--shards 3 (each GROUP BY and join in operator threads) prints what one thread prints; a bad count is a usage error", async () => {
    for (const view of ["names_agg", "pairs"]) {
      const oneThread = await print(view);
      expect(oneThread.trim().split("\n").length).toBeGreaterThan(2);
      expect({ view, rows: await print(view, "--shards", "3") }).toEqual({ view, rows: oneThread });
    }
    expect(await print("items", "--shards", "3", "--workers", "1")).toBe(EXPECTED_ITEMS);
    const r = await runCli(["run", file, "--until-caught-up", "--print", "items", "--shards", "65"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('jetflow: --shards must be a whole number from 0 to 64, got "65"\n');
  });

  it("prints intervals as PostgreSQL's text (-1 days, -1 days +02:00:00)", async () => {
    const rows = (await print("odd"))
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { iv: string }).iv);
    expect(rows).toEqual(["-1 days", "-1 days +02:00:00", "11 mons"]);
  });

  it("prints real as its shortest float4 text (0.1, not 0.10000000149011612)", async () => {
    expect((await print("odd")).split("\n")[0]).toMatch(/^\{"id":1,"r":0\.1,/);
  });

  it("sorts text in code point order, as ORDER BY does", async () => {
    expect(await print("texts")).toBe('{"s":"emoji a"}\n{"s":"emoji ｘ"}\n{"s":"emoji 🚀"}\n');
  });
});
