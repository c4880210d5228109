import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SqlError } from "./errors.js";
import { parseSql } from "./parse-sql.js";
import { catalogOf } from "./testing.js";

const catalog = catalogOf({
  t: ["a integer", "b varchar", "c bigint", "v double precision", "ts timestamptz", "flag boolean"],
  events: ["id integer", "kind varchar", "ts timestamp"],
});

/** Valid statements the mutations start from: every clause the parser knows appears somewhere. */
const CORPUS = [
  `CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, amount double precision, tags varchar[], s struct<x int, "Y" varchar>)
  INCLUDE subject AS subj INCLUDE header 'h' AS hv
  WITH (connector='nats', server_url='a:4222,b:4222', subject='o.>', stream='O', connect_mode='user_and_password',
    username='u', password='p', scan.startup.mode=\`timestamp_millis\`, scan.startup.timestamp_millis='1', "x"."y" = 3,)
  FORMAT PLAIN ENCODE JSON;`,
  `CREATE SOURCE s (a int, b varchar, PRIMARY KEY (a)) WITH (connector = 'nats') FORMAT PLAIN ENCODE MSGPACK;
   -- comment ; with a semicolon
   CREATE TABLE p WITH (connector = 'nats') FORMAT PLAIN ENCODE PROTOBUF (message = 'a.B', schema.location = 'file:///x');
   /* block /* nested */ */ DROP TABLE IF EXISTS p; DROP MATERIALIZED VIEW v; DROP SOURCE s`,
  `CREATE MATERIALIZED VIEW v AS SELECT b, count(*) AS n, sum(a) / count(DISTINCT c) AS r, max(v)
   FROM t AS x WHERE x.a > 1 AND b LIKE 'a%' OR b IS NULL AND a IN (1, 2) AND v BETWEEN 1.5 AND 2e3
   GROUP BY b HAVING count(*) > 1 ORDER BY n DESC NULLS LAST, 1 LIMIT 10 OFFSET 2;`,
  `CREATE MATERIALIZED VIEW w AS SELECT window_start, kind, count(*) FROM TUMBLE(events, ts, INTERVAL '1 minute')
   GROUP BY window_start, kind;
   CREATE MATERIALIZED VIEW IF NOT EXISTS y AS SELECT DISTINCT lower(b) AS l, CASE WHEN flag THEN 'y' ELSE 'n' END AS f,
   CAST(a AS bigint) AS ab, c::varchar, coalesce(b, 'x') AS cb, extract(epoch FROM ts) AS e, date_trunc('hour', ts) AS h,
   substring(b from 1 for 2) AS s2, E'esc\\'aped' AS q, $$dollar$$ AS d FROM t ORDER BY l LIMIT 5`,
];

/** Each error must point inside the text: a real line, a column at most one past its end. */
function expectWellPlaced(e: unknown, text: string): void {
  if (!(e instanceof SqlError)) throw new Error(`threw ${String(e)} for ${JSON.stringify(text)}`, { cause: e });
  const lines = text.split("\n");
  expect(e.line).toBeGreaterThanOrEqual(1);
  expect(e.line).toBeLessThanOrEqual(lines.length);
  expect(e.column).toBeGreaterThanOrEqual(1);
  expect(e.column).toBeLessThanOrEqual([...(lines[e.line - 1] as string)].length + 1);
}

/** Parse and plan every statement; only well-placed SqlErrors may escape. */
function parseAndPlan(text: string): void {
  try {
    for (const statement of parseSql(text)) {
      try {
        statement.plan(catalog);
      } catch (e) {
        expectWellPlaced(e, text);
      }
    }
  } catch (e) {
    expectWellPlaced(e, text);
  }
}

/** A mutation of a corpus text: delete, insert, duplicate or truncate a span. */
const mutated = fc
  .tuple(
    fc.constantFrom(...CORPUS),
    fc.array(
      fc.tuple(
        fc.constantFrom("delete", "insert", "duplicate", "truncate"),
        fc.nat(),
        fc.nat({ max: 12 }),
        fc.oneof(
          fc.constantFrom(
            "(",
            ")",
            ",",
            ";",
            "'",
            '"',
            "`",
            "$$",
            "/*",
            "--",
            "\n",
            "::",
            "*",
            "SELECT",
            "FROM",
            "GROUP BY",
            "WITH",
            "PRIMARY KEY",
            "count(",
            "é",
            "😀",
            "$1",
            "-",
          ),
          fc.string({ maxLength: 4 }),
        ),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([base, edits]) => {
    let text = base;
    for (const [kind, at, len, insert] of edits) {
      const i = text.length === 0 ? 0 : at % text.length;
      if (kind === "delete") text = text.slice(0, i) + text.slice(i + len);
      else if (kind === "insert") text = text.slice(0, i) + insert + text.slice(i);
      else if (kind === "duplicate") text = text.slice(0, i + len) + text.slice(i, i + len) + text.slice(i + len);
      else text = text.slice(0, i);
    }
    return text;
  });

/** Token soup: SQL words and symbols in random order. */
const WORDS = [
  "CREATE",
  "TABLE",
  "SOURCE",
  "MATERIALIZED",
  "VIEW",
  "AS",
  "SELECT",
  "FROM",
  "WHERE",
  "GROUP",
  "BY",
  "HAVING",
  "ORDER",
  "LIMIT",
  "OFFSET",
  "DISTINCT",
  "WITH",
  "FORMAT",
  "PLAIN",
  "ENCODE",
  "JSON",
  "PROTOBUF",
  "INCLUDE",
  "PRIMARY",
  "KEY",
  "IF",
  "NOT",
  "EXISTS",
  "DROP",
  "TUMBLE",
  "INTERVAL",
  "count",
  "sum",
  "t",
  "a",
  "b",
  "ts",
  "events",
  "'x'",
  "1",
  "(",
  ")",
  ",",
  ";",
  "=",
  "*",
  ".",
  "::",
  "+",
  "<",
  ">",
  "CASE",
  "WHEN",
  "THEN",
  "END",
  "NULL",
  "IS",
  "IN",
  "AND",
  "OR",
];
const soup = fc.array(fc.constantFrom(...WORDS), { maxLength: 40 }).map((words) => words.join(" "));

describe("the parser, fuzzed", () => {
  it("parses the corpus unmutated", () => {
    for (const text of CORPUS) expect(() => parseSql(text)).not.toThrow();
  });

  it("throws only well-placed SqlErrors on mutated statements", () => {
    fc.assert(
      fc.property(mutated, (text) => parseAndPlan(text)),
      { numRuns: 2000 },
    );
  });

  it("throws only well-placed SqlErrors on token soup", () => {
    fc.assert(
      fc.property(soup, (text) => parseAndPlan(text)),
      { numRuns: 3000 },
    );
  });

  it("throws only well-placed SqlErrors on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (text) => parseAndPlan(text)),
      { numRuns: 800 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => parseAndPlan(text)),
      { numRuns: 400 },
    );
  });

  it("survives pathological nesting and size with a SqlError, not a crash", () => {
    const deep = [
      `CREATE MATERIALIZED VIEW v AS SELECT ${"(".repeat(50_000)}a${")".repeat(50_000)} FROM t`,
      `CREATE MATERIALIZED VIEW v AS SELECT ${"a + ".repeat(50_000)}a AS x FROM t`,
      `CREATE MATERIALIZED VIEW v AS SELECT ${"- ".repeat(20_000)}a AS x FROM t`,
      `CREATE MATERIALIZED VIEW v AS SELECT ${"lower(".repeat(3_000)}b${")".repeat(3_000)} AS x FROM t`,
      `CREATE MATERIALIZED VIEW v AS SELECT a FROM t WHERE ${"NOT ".repeat(20_000)}flag`,
      `CREATE TABLE t (a ${"struct<x ".repeat(5_000)}int${">".repeat(5_000)}) WITH (connector = 'nats') FORMAT PLAIN ENCODE JSON`,
      `${"/*".repeat(10_000)}`,
      `CREATE TABLE t (a int) WITH (${Array.from({ length: 5_000 }, (_, i) => `k${i} = 'v'`).join(", ")}) FORMAT PLAIN ENCODE JSON`,
    ];
    for (const text of deep) parseAndPlan(text);
  });

  it("plans a moderately deep expression exactly", () => {
    const [statement] = parseSql(`CREATE MATERIALIZED VIEW v AS SELECT ${"a + ".repeat(200)}a AS x FROM t`);
    const planned = statement?.plan(catalog);
    expect(planned?.kind === "create_view" && planned.query.kind).toBe("project");
  });
});
