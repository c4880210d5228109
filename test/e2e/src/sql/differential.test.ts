import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { toJsonLines } from "@jetflow/core";
import type { Pipeline } from "@jetflow/pipeline";
import { sqlPipeline } from "@jetflow/sql";
import { NatsServer } from "@jetflow/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonLines, runCli } from "../cli-process.js";
import { ReferenceSql } from "../reference-sql.js";
import { type Reference, canonicalRows, pgTypeNames, referenceOf } from "./canonical.js";
import { COLUMNS, PG_SETUP, Rng, generateRows, lastPerKey, payload } from "./dataset.js";
import { addStream, publishRaw } from "./publish.js";
import { type GeneratedView, QueryGenerator, type Relation, tyOfPg } from "./query-gen.js";

/**
 * Generated materialized views, each checked against PostgreSQL (PGlite) running the same query
 * over the final table contents: a keyed TABLE (overwrites become retractions downstream) and an
 * append-only SOURCE read the same stream. One pipeline runs every view (the CLI's own JSON Lines
 * writer prints each); a few views also go through the `jetflow` binary, whose output must be
 * byte for byte the same. Set JETFLOW_SQL_SEED to explore other data and queries.
 */

const SEED = Number(process.env["JETFLOW_SQL_SEED"] ?? 20_240_601);
const ROWS = 1500;
const KEYS = 250;

/** How many views of each kind, over which relation. */
const PLAN: readonly [over: "t" | "ev" | "chain", kind: GeneratedView["kind"], count: number][] = [
  ["t", "plain", 30],
  ["t", "distinct", 8],
  ["t", "grouped", 36],
  ["t", "global", 8],
  ["t", "topn", 16],
  ["t", "tumble", 8],
  ["ev", "plain", 10],
  ["ev", "grouped", 20],
  ["ev", "global", 4],
  ["ev", "topn", 8],
  ["ev", "tumble", 14],
  ["chain", "chain", 10],
];

interface Case {
  readonly name: string;
  readonly view: GeneratedView;
  readonly reference: Reference;
}

function relationOf(name: string, columns: readonly { name: string; dataType: string }[]): Relation {
  return { name, columns: columns.map((c) => ({ name: c.name, ty: tyOfPg(c.dataType) })) };
}

const BASE: Relation = relationOf(
  "t",
  COLUMNS.map((c) => ({ name: c.name, dataType: pgDataType(c.pg) })),
);

function pgDataType(pg: string): string {
  const m: Record<string, string> = {
    varchar: "character varying",
    time: "time without time zone",
    timestamp: "timestamp without time zone",
    timestamptz: "timestamp with time zone",
    st_t: "USER-DEFINED",
    "integer[]": "ARRAY",
  };
  return m[pg] ?? pg;
}

function ingestSql(url: string): string {
  const withClause = `WITH (connector = 'nats', server_url = '${url}', subject = 'gen.rows', stream = 'gen', connect_mode = 'plain') FORMAT PLAIN ENCODE JSON`;
  const cols = COLUMNS.map((c) => `${c.name} ${c.sql}`).join(", ");
  return `CREATE TABLE t (${cols}, PRIMARY KEY (id)) ${withClause};\nCREATE SOURCE ev (${cols}) ${withClause};\n`;
}

/** Where jetflow's answer for one view differs from PostgreSQL's, or undefined when it does not. */
function difference(c: Case, p: Pipeline, rejected: ReadonlyMap<string, string>): string | undefined {
  const header = `${c.name} [${c.view.kind} over ${c.view.over}]: ${c.view.jetflow}`;
  const refused = rejected.get(c.name) ?? rejected.get(c.view.over);
  if (refused !== undefined) return `${header}\n  refused: ${refused}`;
  let jsonl: string;
  try {
    jsonl = toJsonLines(p.view(c.name).snapshot());
  } catch (e) {
    return `${header}\n  reading the view failed: ${(e as Error).message}`;
  }
  const rows = parseJsonLines(jsonl);
  const names = c.reference.columns.map((col) => col.name);
  const problems: string[] = [];
  const columns = p.columnsOf(c.name);
  const gotNames = columns.map((col) => col.name);
  if (JSON.stringify(gotNames) !== JSON.stringify(names)) {
    problems.push(`columns ${JSON.stringify(gotNames)}, PostgreSQL: ${JSON.stringify(names)}`);
  }
  columns.forEach((col, k) => {
    const pg = c.reference.columns[k]?.dataType;
    if (pg !== undefined && !pgTypeNames(col.type).includes(pg)) {
      problems.push(`column ${col.name} has type ${col.type.kind}, PostgreSQL: ${pg}`);
    }
  });
  if (rows.length > 0 && JSON.stringify(Object.keys(rows[0] ?? {})) !== JSON.stringify(gotNames)) {
    problems.push(`JSON keys ${JSON.stringify(Object.keys(rows[0] ?? {}))}`);
  }
  const actual = canonicalRows(rows, c.reference.columns);
  const expected = c.reference.rows;
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    const { missing, extra } = multisetDifference(expected, actual);
    problems.push(
      `${actual.length} rows, PostgreSQL ${expected.length}; missing ${missing.length}: ${missing.slice(0, 3).join(" | ")}; extra ${extra.length}: ${extra.slice(0, 3).join(" | ")}`,
    );
  }
  return problems.length === 0 ? undefined : `${header}\n  ${problems.join("\n  ")}`;
}

/** Rows PostgreSQL has that jetflow lacks, and the reverse, counting duplicates. */
function multisetDifference(expected: readonly string[], actual: readonly string[]) {
  const counts = new Map<string, number>();
  for (const r of expected) counts.set(r, (counts.get(r) ?? 0) + 1);
  const extra: string[] = [];
  for (const r of actual) {
    const c = counts.get(r) ?? 0;
    if (c > 0) counts.set(r, c - 1);
    else extra.push(r);
  }
  const missing = [...counts].flatMap(([r, c]) => Array.from({ length: c }, () => r));
  return { missing, extra };
}

describe("generated materialized views equal PostgreSQL over the final table contents", () => {
  let server: NatsServer;
  let db: ReferenceSql;
  let p: Pipeline;
  let dir: string;
  const cases: Case[] = [];
  let discarded = 0;
  /** Views jetflow refused to start, with the error. */
  const rejected = new Map<string, string>();

  beforeAll(async () => {
    const rng = new Rng(SEED);
    const rows = generateRows(rng, ROWS, KEYS);
    server = await NatsServer.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "jetflow-gen-"));
    const nc = { servers: server.url };
    await addStream(nc, "gen", ["gen.>"]);
    await publishRaw(
      nc,
      "gen",
      rows.map((r) => ({ subject: "gen.rows", payload: payload(r, rng) })),
    );

    db = await ReferenceSql.open();
    await db.exec(PG_SETUP);
    const pgCols = COLUMNS.map((c) => `${c.name} ${c.pg}`).join(", ");
    await db.exec(`CREATE TABLE t (${pgCols}, PRIMARY KEY (id)); CREATE TABLE ev (${pgCols});`);
    const names = COLUMNS.map((c) => c.name);
    await db.insert(
      "t",
      names,
      lastPerKey(rows).map((r) => r.pg),
    );
    await db.insert(
      "ev",
      names,
      rows.map((r) => r.pg),
    );

    // Views PostgreSQL cannot run (a type the generator got wrong, an overflow) have no reference: drop them.
    const gen = new QueryGenerator(rng);
    const bases: Case[] = [];
    for (const [over, kind, count] of PLAN) {
      for (let made = 0; made < count; ) {
        let rel: Relation;
        if (over === "chain") {
          const base = rng.pick(bases);
          rel = relationOf(base.name, base.reference.columns);
        } else rel = over === "t" ? BASE : { ...BASE, name: "ev" };
        const view = gen.view(rel, kind);
        const name = `gen_${cases.length}`;
        try {
          await db.exec(`CREATE VIEW ${name} AS ${view.postgres}`);
          const c: Case = { name, view, reference: await referenceOf(db, name) };
          cases.push(c);
          if (over !== "chain" && (kind === "plain" || kind === "grouped") && !/window_|\*/.test(view.jetflow)) {
            bases.push(c);
          }
          made++;
        } catch {
          discarded++;
          await db.exec(`DROP VIEW IF EXISTS ${name}`);
        }
      }
    }

    const textOf = (views: readonly Case[]) =>
      `${ingestSql(server.url)}${views.map((c) => `CREATE MATERIALIZED VIEW ${c.name} AS ${c.view.jetflow};`).join("\n")}\n`;
    p = sqlPipeline({ checkpointIntervalMs: 0 }).sql(textOf(cases));
    const started = await p.start().then(
      () => true,
      () => false,
    );
    if (!started) {
      // Some view was refused: find each one (alone, with the view it reads), keep the others running.
      for (const c of cases) {
        const base = cases.find((b) => b.name === c.view.over);
        const one = sqlPipeline({ checkpointIntervalMs: 0 }).sql(textOf(base === undefined ? [c] : [base, c]));
        await one.start().then(
          () => one.stop(),
          (e: unknown) => rejected.set(c.name, (e as Error).message),
        );
      }
      const kept = cases.filter((c) => !rejected.has(c.name) && !rejected.has(c.view.over));
      p = sqlPipeline({ checkpointIntervalMs: 0 }).sql(textOf(kept));
      await p.start();
    }
    await p.caughtUp();
  }, 120_000);

  afterAll(async () => {
    await p?.stop();
    await db?.close();
    await server?.dispose();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("decodes every generated message (no bad messages) and PostgreSQL runs almost every generated query", () => {
    expect(p.metrics.total("jetflow_decode_errors_total")).toBe(0);
    expect(p.metrics.total("jetflow_messages_in_total")).toBe(2 * ROWS);
    expect(discarded).toBeLessThan(cases.length / 2);
  });

  it("the table holds the last write of every key", async () => {
    const reference = await referenceOf(db, "t");
    const rows = parseJsonLines(toJsonLines(p.view("t").snapshot()));
    expect(canonicalRows(rows, reference.columns)).toEqual(reference.rows);
  });

  for (const [over, kind] of PLAN) {
    it(`${kind} views over ${over === "t" ? "the keyed table" : over === "ev" ? "the append-only source" : "other views"}`, () => {
      const mine = cases.filter((c) => c.view.kind === kind && (kind === "chain" || c.view.over === over));
      expect(mine.length).toBeGreaterThan(0);
      const failures = mine.map((c) => difference(c, p, rejected)).filter((d) => d !== undefined);
      const report = process.env["JETFLOW_SQL_REPORT"];
      if (report !== undefined && failures.length > 0) fs.appendFileSync(report, `${failures.join("\n")}\n`);
      expect(failures, `seed ${SEED}`).toEqual([]);
    });
  }

  it("the jetflow binary prints the same JSON Lines as the pipeline's own writer", async () => {
    const runs = (c: Case) => !rejected.has(c.name) && !rejected.has(c.view.over);
    const picks = ["grouped", "topn", "tumble", "chain"].map(
      (k) => cases.find((c) => c.view.kind === k && runs(c)) as Case,
    );
    // Only these views (and the views they read) in the file: each run consumes the whole stream.
    const needed = cases.filter((c) => picks.some((p) => p.name === c.name || p.view.over === c.name));
    const file = path.join(dir, "picked.sql");
    fs.writeFileSync(
      file,
      `${ingestSql(server.url)}${needed.map((c) => `CREATE MATERIALIZED VIEW ${c.name} AS ${c.view.jetflow};`).join("\n")}\n`,
    );
    for (const c of picks) {
      const r = await runCli(["run", file, "--until-caught-up", "--print", c.name]);
      expect(r.stderr, c.name).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout, c.view.jetflow).toBe(toJsonLines(p.view(c.name).snapshot()));
    }
  });
});
