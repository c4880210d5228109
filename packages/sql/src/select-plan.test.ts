import type { SqlType } from "@jetflow/core";
import type { AggregateCall, Expr, LiteralValue, NamedExpr, ScalarFn } from "@jetflow/operators";
import type { ViewQuery } from "@jetflow/pipeline";
import { describe, expect, it } from "vitest";
import { catalogOf, viewOf } from "./testing.js";

const col = (name: string): Expr => ({ kind: "column", name });
const lit = (value: LiteralValue, type?: SqlType["kind"]): Expr => ({
  kind: "literal",
  value,
  type: type === undefined ? undefined : ({ kind: type } as SqlType),
});
const int = (n: number) => lit(n, "integer");
const str = (s: string) => lit(s);
const call = (fn: ScalarFn, ...args: Expr[]): Expr => ({ kind: "call", fn, args });
const named = (name: string, expr: Expr = col(name)): NamedExpr => ({ name, expr });
const agg = (name: string, fn: AggregateCall["fn"], arg?: Expr, distinct = false): AggregateCall => ({
  name,
  fn,
  arg,
  distinct,
});
const scan = (relation = "t"): ViewQuery => ({ kind: "scan", relation });
const project = (input: ViewQuery, ...columns: NamedExpr[]): ViewQuery => ({ kind: "project", input, columns });
const filter = (input: ViewQuery, predicate: Expr): ViewQuery => ({ kind: "filter", input, predicate });
const aggregate = (input: ViewQuery, groupBy: NamedExpr[], ...aggregates: AggregateCall[]): ViewQuery => ({
  kind: "aggregate",
  input,
  groupBy,
  aggregates,
});
const branch = (when: Expr, then: Expr) => ({ when, then });
const order = (expr: Expr, desc = false, nullsFirst = desc) => ({ expr, desc, nullsFirst });
const topN = (input: ViewQuery, orderBy: ReturnType<typeof order>[], limit: number, offset = 0): ViewQuery => ({
  kind: "topN",
  input,
  orderBy,
  limit,
  offset,
});

const catalog = catalogOf({
  t: ["a integer", "b varchar", "c bigint", "v double precision", "ts timestamptz", "flag boolean"],
  events: ["id integer", "kind varchar", "ts timestamp"],
  totals: ["kind varchar", "n bigint"],
  T: ["Mixed integer"],
});
const plan = (select: string) => viewOf(select, catalog);

describe("projections and filters", () => {
  it.each<[string, ViewQuery]>([
    ["SELECT * FROM t", scan()],
    ["SELECT t.* FROM t", scan()],
    ["SELECT a, b, c, v, ts, flag FROM t", scan()],
    ["SELECT b, a FROM t", project(scan(), named("b"), named("a"))],
    ["SELECT * FROM totals", scan("totals")],
    ['SELECT "Mixed" AS m FROM "T"', project(scan("T"), named("m", col("Mixed")))],
    [
      "SELECT x.a AS id, a + 1, b FROM t AS x",
      project(scan(), named("id", col("a")), named("?column?", call("+", col("a"), int(1))), named("b")),
    ],
    ["SELECT * FROM t WHERE a > 1", filter(scan(), call(">", col("a"), int(1)))],
    [
      "SELECT a FROM t x WHERE x.a >= 1 AND (b = 'x' OR b IS NULL) AND NOT flag",
      project(
        filter(
          scan(),
          call(
            "and",
            call(
              "and",
              call(">=", col("a"), int(1)),
              call("or", call("=", col("b"), str("x")), call("is_null", col("b"))),
            ),
            call("not", col("flag")),
          ),
        ),
        named("a"),
      ),
    ],
  ])("%s", (select, expected) => {
    expect(plan(select)).toEqual(expected);
  });
});

describe("expressions", () => {
  const exprOf = (sql: string) => {
    const q = plan(`SELECT ${sql} AS x FROM t`);
    if (q.kind !== "project") throw new Error(`expected a project, got ${q.kind}`);
    return q.columns[0]?.expr;
  };
  it.each<[string, Expr]>([
    ["a + c * 2 - 1", call("-", call("+", col("a"), call("*", col("c"), int(2))), int(1))],
    ["(a + c) % 3 / 2", call("/", call("%", call("+", col("a"), col("c")), int(3)), int(2))],
    ["-a", call("neg", col("a"))],
    ["+a", col("a")],
    ["-1", int(-1)],
    [
      "a <> 1 AND a != 2 AND a < 3 AND a <= 4",
      call(
        "and",
        call(
          "and",
          call("and", call("<>", col("a"), int(1)), call("<>", col("a"), int(2))),
          call("<", col("a"), int(3)),
        ),
        call("<=", col("a"), int(4)),
      ),
    ],
    ["b || 'x' || a", call("||", call("||", col("b"), str("x")), col("a"))],
    ["1.5", lit("1.5", "numeric")],
    ["1e3", lit("1e3", "numeric")],
    ["12345678901", lit(12345678901n, "bigint")],
    ["99999999999999999999", lit("99999999999999999999", "numeric")],
    ["true", lit(true, "boolean")],
    ["false", lit(false, "boolean")],
    ["0", int(0)],
    ["NULL", lit(null)],
    ["'it''s'", str("it's")],
    ["E'tab\\t'", str("tab\t")],
    ["$$dollar$$", str("dollar")],
    ["a IN (1, 2, 3)", call("in", col("a"), int(1), int(2), int(3))],
    ["a NOT IN (1)", call("not", call("in", col("a"), int(1)))],
    ["a BETWEEN 1 AND c", call("between", col("a"), int(1), col("c"))],
    ["a NOT BETWEEN 1 AND 2", call("not", call("between", col("a"), int(1), int(2)))],
    ["b LIKE 'a%'", call("like", col("b"), str("a%"))],
    ["b NOT LIKE 'a%'", call("not", call("like", col("b"), str("a%")))],
    ["b ILIKE 'a%'", call("ilike", col("b"), str("a%"))],
    ["b NOT ILIKE 'a%'", call("not", call("ilike", col("b"), str("a%")))],
    ["b IS NOT NULL", call("is_not_null", col("b"))],
    ["flag IS TRUE", call("is_true", col("flag"))],
    ["flag IS NOT TRUE", call("not", call("is_true", col("flag")))],
    ["flag IS FALSE", call("is_false", col("flag"))],
    ["flag IS NOT FALSE", call("not", call("is_false", col("flag")))],
    ["flag IS UNKNOWN", call("is_null", col("flag"))],
    ["flag IS NOT UNKNOWN", call("is_not_null", col("flag"))],
    [
      "CASE WHEN a > 1 THEN 'big' WHEN a = 1 THEN 'one' ELSE 'small' END",
      {
        kind: "case",
        operand: undefined,
        branches: [branch(call(">", col("a"), int(1)), str("big")), branch(call("=", col("a"), int(1)), str("one"))],
        else: str("small"),
      },
    ],
    [
      "CASE a WHEN 1 THEN b END",
      { kind: "case", operand: col("a"), branches: [branch(int(1), col("b"))], else: undefined },
    ],
    ["CAST(a AS bigint)", { kind: "cast", expr: col("a"), type: { kind: "bigint" } }],
    ["a::varchar(10)", { kind: "cast", expr: col("a"), type: { kind: "varchar" } }],
    ["b::double precision", { kind: "cast", expr: col("b"), type: { kind: "double precision" } }],
    ["b::timestamptz", { kind: "cast", expr: col("b"), type: { kind: "timestamptz" } }],
    ["'1 hour'::interval", { kind: "cast", expr: str("1 hour"), type: { kind: "interval" } }],
    ["INTERVAL '1 hour'", { kind: "cast", expr: str("1 hour"), type: { kind: "interval" } }],
    ["b::int[]", { kind: "cast", expr: col("b"), type: { kind: "list", element: { kind: "integer" } } }],
    ["b::jsonb", { kind: "cast", expr: col("b"), type: { kind: "jsonb" } }],
    ["lower(b)", call("lower", col("b"))],
    ["UPPER(b)", call("upper", col("b"))],
    ["length(b)", call("length", col("b"))],
    ["char_length(b)", call("length", col("b"))],
    ["substr(b, 2)", call("substr", col("b"), int(2))],
    ["substring(b from 2 for 3)", call("substr", col("b"), int(2), int(3))],
    ["trim(b)", call("trim", col("b"))],
    ["trim(both 'x' from b)", call("trim", col("b"), str("x"))],
    ["concat(b, a, 'z')", call("concat", col("b"), col("a"), str("z"))],
    ["coalesce(b, 'none')", call("coalesce", col("b"), str("none"))],
    ["nullif(a, 0)", call("nullif", col("a"), int(0))],
    ["abs(v)", call("abs", col("v"))],
    ["round(v)", call("round", col("v"))],
    ["round(v, 2)", call("round", col("v"), int(2))],
    ["floor(v)", call("floor", col("v"))],
    ["ceil(v) + ceiling(v)", call("+", call("ceil", col("v")), call("ceil", col("v")))],
    ["date_trunc('hour', ts)", call("date_trunc", str("hour"), col("ts"))],
    ["extract(EPOCH FROM ts)", call("extract", str("epoch"), col("ts"))],
    ["date_part('Hour', ts)", call("date_part", str("hour"), col("ts"))],
    ["replace(b, 'a', 'A')", call("replace", col("b"), str("a"), str("A"))],
    ["starts_with(b, 'x')", call("starts_with", col("b"), str("x"))],
    ["ltrim(b)", call("ltrim", col("b"))],
    ["to_timestamp(c)", call("to_timestamp", col("c"))],
    ["now()", call("now")],
    ["CURRENT_TIMESTAMP", call("now")],
    ["pg_catalog.lower(b)", call("lower", col("b"))],
  ])("%s", (sql, expected) => {
    expect(exprOf(sql)).toEqual(expected);
  });
});

describe("grouping and aggregates", () => {
  it.each<[string, ViewQuery]>([
    ["SELECT b, count(*) AS n FROM t GROUP BY b", aggregate(scan(), [named("b")], agg("n", "count"))],
    [
      "SELECT b, count(a), count(DISTINCT a) AS d, sum(c), avg(v), min(ts), max(b) AS hi FROM t GROUP BY b",
      aggregate(
        scan(),
        [named("b")],
        agg("count", "count", col("a")),
        agg("d", "count", col("a"), true),
        agg("sum", "sum", col("c")),
        agg("avg", "avg", col("v")),
        agg("min", "min", col("ts")),
        agg("hi", "max", col("b")),
      ),
    ],
    [
      "SELECT count(*) AS n, b FROM t GROUP BY b",
      project(aggregate(scan(), [named("b")], agg("n", "count")), named("n"), named("b")),
    ],
    [
      "SELECT count(*) FROM t GROUP BY b",
      project(aggregate(scan(), [named("b")], agg("count", "count")), named("count")),
    ],
    ["SELECT count(*), max(v) AS m FROM t", aggregate(scan(), [], agg("count", "count"), agg("m", "max", col("v")))],
    ["SELECT count(*) FROM t GROUP BY ()", aggregate(scan(), [], agg("count", "count"))],
    [
      "SELECT count(*) AS a1, count(*) AS a2 FROM t",
      project(aggregate(scan(), [], agg("a1", "count")), named("a1"), named("a2", col("a1"))),
    ],
    [
      "SELECT lower(b) AS k, sum(a) FROM t GROUP BY lower(b)",
      aggregate(scan(), [named("k", call("lower", col("b")))], agg("sum", "sum", col("a"))),
    ],
    [
      "SELECT lower(b) AS k, sum(a) FROM t GROUP BY k",
      aggregate(scan(), [named("k", call("lower", col("b")))], agg("sum", "sum", col("a"))),
    ],
    [
      "SELECT lower(b) AS k, sum(a) FROM t GROUP BY 1",
      aggregate(scan(), [named("k", call("lower", col("b")))], agg("sum", "sum", col("a"))),
    ],
    [
      "SELECT (a + 1) * 2 AS x, count(*) AS n FROM t GROUP BY a + 1",
      project(
        aggregate(scan(), [named("_g0", call("+", col("a"), int(1)))], agg("n", "count")),
        named("x", call("*", col("_g0"), int(2))),
        named("n"),
      ),
    ],
    [
      "SELECT b, sum(a) / count(*) AS ratio FROM t GROUP BY b",
      project(
        aggregate(scan(), [named("b")], agg("_a0", "sum", col("a")), agg("_a1", "count")),
        named("b"),
        named("ratio", call("/", col("_a0"), col("_a1"))),
      ),
    ],
    [
      "SELECT b, count(*) AS n FROM t GROUP BY b HAVING count(*) > 1",
      filter(aggregate(scan(), [named("b")], agg("n", "count")), call(">", col("n"), int(1))),
    ],
    [
      "SELECT b FROM t GROUP BY b HAVING sum(a) > 10 AND b <> 'x'",
      project(
        filter(
          aggregate(scan(), [named("b")], agg("_a0", "sum", col("a"))),
          call("and", call(">", col("_a0"), int(10)), call("<>", col("b"), str("x"))),
        ),
        named("b"),
      ),
    ],
    [
      "SELECT 'k' AS tag, now() AS at, count(*) AS n FROM t",
      project(aggregate(scan(), [], agg("n", "count")), named("tag", str("k")), named("at", call("now")), named("n")),
    ],
    [
      "SELECT CASE WHEN b IS NULL THEN 0 ELSE count(*) END AS n FROM t GROUP BY b",
      project(
        aggregate(scan(), [named("b")], agg("_a0", "count")),
        named("n", {
          kind: "case",
          operand: undefined,
          branches: [branch(call("is_null", col("b")), int(0))],
          else: col("_a0"),
        }),
      ),
    ],
    [
      // GROUP BY b is the input column b (not the alias): grouped under an internal name, then dropped.
      "SELECT a AS b, count(*) AS n FROM t GROUP BY a, b",
      project(
        aggregate(scan(), [named("b", col("a")), named("_g0", col("b"))], agg("n", "count")),
        named("b"),
        named("n"),
      ),
    ],
    [
      "SELECT sum(a + c) FILTER_FREE FROM t WHERE flag",
      aggregate(filter(scan(), col("flag")), [], agg("filter_free", "sum", call("+", col("a"), col("c")))),
    ],
    [
      "SELECT kind, count(*) AS n FROM totals GROUP BY kind",
      aggregate(scan("totals"), [named("kind")], agg("n", "count")),
    ],
  ])("%s", (select, expected) => {
    expect(plan(select)).toEqual(expected);
  });

  it("groups by the input column when a name is both an input column and an alias, like PostgreSQL", () => {
    // GROUP BY a means t.a, so the output `b AS a` is not grouped.
    expect(() => plan("SELECT b AS a, count(*) FROM t GROUP BY a")).toThrow(
      'line 1, column 38: column "b" must appear in the GROUP BY clause or be used in an aggregate function',
    );
  });
});

describe("TUMBLE windows", () => {
  const tumble = (sizeUs: number, relation = "events"): ViewQuery => ({
    kind: "tumble",
    input: scan(relation),
    timeColumn: "ts",
    sizeUs,
  });
  it.each<[string, ViewQuery]>([
    ["SELECT * FROM TUMBLE(events, ts, INTERVAL '1 minute')", tumble(60_000_000)],
    [
      "SELECT window_start, window_end, count(*) AS n FROM TUMBLE(events, ts, INTERVAL '5 minutes') GROUP BY window_start, window_end",
      aggregate(tumble(300_000_000), [named("window_start"), named("window_end")], agg("n", "count")),
    ],
    [
      "SELECT w.kind, w.window_start FROM TUMBLE(events, ts, INTERVAL '1 hour') AS w WHERE w.kind = 'x'",
      project(filter(tumble(3_600_000_000), call("=", col("kind"), str("x"))), named("kind"), named("window_start")),
    ],
    ["SELECT tumble.id FROM TUMBLE(events, ts, '10 seconds')", project(tumble(10_000_000), named("id"))],
    ["SELECT events.id FROM TUMBLE(events, events.ts, '1:30'::interval)", project(tumble(5_400_000_000), named("id"))],
    ["SELECT id FROM TUMBLE(events, ts, INTERVAL '30' SECOND)", project(tumble(30_000_000), named("id"))],
    ["SELECT id FROM TUMBLE(events, ts, INTERVAL 'PT2M')", project(tumble(120_000_000), named("id"))],
    ["SELECT * FROM TUMBLE(t, ts, INTERVAL '1 day')", tumble(86_400_000_000, "t")],
  ])("%s", (select, expected) => {
    expect(plan(select)).toEqual(expected);
  });
});

describe("ORDER BY and LIMIT", () => {
  it.each<[string, ViewQuery]>([
    ["SELECT a, b FROM t ORDER BY a LIMIT 10", topN(project(scan(), named("a"), named("b")), [order(col("a"))], 10)],
    [
      "SELECT * FROM t ORDER BY a DESC, b LIMIT 5 OFFSET 2",
      topN(scan(), [order(col("a"), true), order(col("b"))], 5, 2),
    ],
    ["SELECT * FROM t ORDER BY a DESC NULLS LAST LIMIT 1", topN(scan(), [order(col("a"), true, false)], 1)],
    ["SELECT * FROM t ORDER BY a ASC NULLS FIRST LIMIT 1", topN(scan(), [order(col("a"), false, true)], 1)],
    ["SELECT * FROM t ORDER BY a FETCH FIRST 3 ROWS ONLY", topN(scan(), [order(col("a"))], 3)],
    ["SELECT * FROM t ORDER BY a LIMIT 0", topN(scan(), [order(col("a"))], 0)],
    ["SELECT a AS x FROM t ORDER BY x LIMIT 1", topN(project(scan(), named("x", col("a"))), [order(col("x"))], 1)],
    [
      "SELECT b, a FROM t ORDER BY 2 DESC LIMIT 1",
      topN(project(scan(), named("b"), named("a")), [order(col("a"), true)], 1),
    ],
    [
      "SELECT a + 1 AS x FROM t ORDER BY a + 1 LIMIT 1",
      topN(project(scan(), named("x", call("+", col("a"), int(1)))), [order(col("x"))], 1),
    ],
    [
      "SELECT a FROM t ORDER BY v * 2, v * 2 LIMIT 2",
      project(
        topN(
          project(scan(), named("a"), named("_o0", call("*", col("v"), int(2)))),
          [order(col("_o0")), order(col("_o0"))],
          2,
        ),
        named("a"),
      ),
    ],
    [
      "SELECT b, count(*) AS n FROM t GROUP BY b ORDER BY n DESC, b LIMIT 3",
      topN(aggregate(scan(), [named("b")], agg("n", "count")), [order(col("n"), true), order(col("b"))], 3),
    ],
    [
      "SELECT b FROM t GROUP BY b ORDER BY count(*) DESC LIMIT 3",
      project(
        topN(
          project(aggregate(scan(), [named("b")], agg("_a0", "count")), named("b"), named("_o0", col("_a0"))),
          [order(col("_o0"), true)],
          3,
        ),
        named("b"),
      ),
    ],
    [
      "SELECT count(*) AS n FROM t GROUP BY b ORDER BY b LIMIT 3",
      project(
        topN(
          project(aggregate(scan(), [named("b")], agg("n", "count")), named("n"), named("_o0", col("b"))),
          [order(col("_o0"))],
          3,
        ),
        named("n"),
      ),
    ],
    ["SELECT a, b FROM t ORDER BY a", project(scan(), named("a"), named("b"))],
    ["SELECT b FROM t GROUP BY b ORDER BY count(*) DESC", aggregate(scan(), [named("b")])],
    ["SELECT * FROM t ORDER BY a LIMIT ALL", scan()],
    ["SELECT * FROM t LIMIT NULL OFFSET 0", scan()],
  ])("%s", (select, expected) => {
    expect(plan(select)).toEqual(expected);
  });
});

describe("SELECT DISTINCT", () => {
  it.each<[string, ViewQuery]>([
    ["SELECT DISTINCT b FROM t", aggregate(scan(), [named("b")])],
    [
      "SELECT DISTINCT b, lower(b) AS l FROM t WHERE a > 0",
      aggregate(filter(scan(), call(">", col("a"), int(0))), [named("b"), named("l", call("lower", col("b")))]),
    ],
    [
      "SELECT DISTINCT b FROM t ORDER BY b DESC LIMIT 2",
      topN(aggregate(scan(), [named("b")]), [order(col("b"), true)], 2),
    ],
    [
      "SELECT DISTINCT a + 1 AS x FROM t ORDER BY a + 1 LIMIT 2",
      topN(aggregate(scan(), [named("x", call("+", col("a"), int(1)))]), [order(col("x"))], 2),
    ],
  ])("%s", (select, expected) => {
    expect(plan(select)).toEqual(expected);
  });
});

describe("temporal filters", () => {
  const events = catalogOf({ e: ["id integer", "ts timestamptz"] });
  it("plans time_col > now() - INTERVAL as a temporal filter above the rest of WHERE", () => {
    expect(viewOf("SELECT id FROM e WHERE ts > now() - INTERVAL '1 hour' AND id > 1", events)).toEqual(
      project(
        {
          kind: "temporalFilter",
          input: filter(scan("e"), call(">", col("id"), int(1))),
          timeColumn: "ts",
          windowUs: 3_600_000_000,
          inclusive: false,
        },
        named("id"),
      ),
    );
    const flipped = viewOf("SELECT * FROM e WHERE now() - INTERVAL '5 minutes' <= ts", events);
    expect(flipped).toEqual({
      kind: "temporalFilter",
      input: scan("e"),
      timeColumn: "ts",
      windowUs: 300_000_000,
      inclusive: true,
    });
  });

  it("leaves other uses of now() in WHERE as an ordinary filter", () => {
    expect(viewOf("SELECT * FROM e WHERE ts > now() - INTERVAL '1 hour' OR id = 1", events).kind).toBe("filter");
  });
});
