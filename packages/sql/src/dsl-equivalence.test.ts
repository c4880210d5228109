// The TypeScript DSL's query builder and the SQL front end must build the same tree for the same
// query: each case plans a SELECT and its builder spelling against one catalog and compares them.
import { type Query, asc, avg, col, count, desc, fn, from, lit, max, min, sum, tumble, when } from "@jetflow/pipeline";
import { describe, expect, it } from "vitest";
import { catalogOf, viewOf } from "./testing.js";

const catalog = catalogOf({
  t: ["a integer", "b varchar", "c bigint", "v double precision", "ts timestamptz", "flag boolean"],
  orders: ["id integer", "region varchar", "amount double precision", "status varchar", "at timestamp"],
});

const same = (sql: string, query: Query) => expect(query.plan(catalog)).toStrictEqual(viewOf(sql, catalog));

describe("the query builder plans as SQL does", () => {
  const cases: [string, Query][] = [
    // projections and filters
    ["SELECT * FROM t", from("t")],
    ["SELECT a, b, c, v, ts, flag FROM t", from("t").select("a", "b", "c", "v", "ts", "flag")],
    ["SELECT b, a FROM t", from("t").select("b", "a")],
    ["SELECT a AS id, a + 1 AS next FROM t", from("t").select({ id: col("a"), next: col("a").plus(1) })],
    ["SELECT * FROM t WHERE b = 'x'", from("t").where(col("b").eq("x"))],
    ["SELECT * FROM t WHERE a > 1 AND b <> 'x'", from("t").where(col("a").gt(1)).where(col("b").ne("x"))],
    [
      "SELECT * FROM t WHERE a > 1 AND b <> 'x' AND flag",
      from("t").where(col("a").gt(1).and(col("b").ne("x"), col("flag"))),
    ],
    // the example
    [
      "SELECT region, count(*) AS orders, sum(amount) AS revenue FROM orders WHERE status = 'paid' GROUP BY region",
      from("orders")
        .where(col("status").eq("paid"))
        .groupBy("region")
        .select("region", { orders: count(), revenue: sum(col("amount")) }),
    ],
    [
      "SELECT region, sum(amount) AS revenue FROM orders WHERE status = 'paid' GROUP BY region",
      from("orders")
        .where(col("status").eq("paid"))
        .groupBy("region")
        .select({ region: col("region"), revenue: sum(col("amount")) }),
    ],
    // aggregates
    [
      "SELECT b, count(*) AS n, avg(v) AS mean, min(a) AS lo, max(a) AS hi, count(DISTINCT c) AS kinds FROM t GROUP BY b",
      from("t")
        .groupBy("b")
        .select("b", {
          n: count(),
          mean: avg(col("v")),
          lo: min(col("a")),
          hi: max(col("a")),
          kinds: count(col("c"), { distinct: true }),
        }),
    ],
    ["SELECT count(*) AS n FROM t", from("t").select({ n: count() })],
    ["SELECT count(*) AS n FROM t GROUP BY b", from("t").groupBy("b").select({ n: count() })],
    [
      "SELECT b, sum(v) / count(*) AS r FROM t GROUP BY b",
      from("t")
        .groupBy("b")
        .select("b", { r: sum(col("v")).div(count()) }),
    ],
    [
      "SELECT a + 1 AS k, count(*) AS n FROM t GROUP BY a + 1",
      from("t")
        .groupBy(col("a").plus(1))
        .select({ k: col("a").plus(1), n: count() }),
    ],
    ["SELECT b, a, count(*) AS n FROM t GROUP BY a, b", from("t").groupBy("a", "b").select("b", "a", { n: count() })],
    // having
    [
      "SELECT b, count(*) AS n FROM t GROUP BY b HAVING count(*) > 1",
      from("t").groupBy("b").select("b", { n: count() }).having(count().gt(1)),
    ],
    [
      "SELECT b, count(*) AS n FROM t GROUP BY b HAVING max(a) > 100",
      from("t")
        .groupBy("b")
        .select("b", { n: count() })
        .having(max(col("a")).gt(100)),
    ],
    // order by + limit
    [
      "SELECT b, sum(v) AS s FROM t GROUP BY b ORDER BY s DESC LIMIT 3",
      from("t")
        .groupBy("b")
        .select("b", { s: sum(col("v")) })
        .orderBy(desc("s"))
        .limit(3),
    ],
    [
      "SELECT b, sum(v) AS s FROM t GROUP BY b ORDER BY sum(v) DESC, b LIMIT 3",
      from("t")
        .groupBy("b")
        .select("b", { s: sum(col("v")) })
        .orderBy(desc(sum(col("v"))), "b")
        .limit(3),
    ],
    [
      "SELECT b FROM t GROUP BY b ORDER BY count(*) DESC LIMIT 2",
      from("t").groupBy("b").select("b").orderBy(desc(count())).limit(2),
    ],
    ["SELECT a, b FROM t ORDER BY c LIMIT 5 OFFSET 2", from("t").select("a", "b").orderBy("c").limit(5, { offset: 2 })],
    [
      "SELECT a, b FROM t ORDER BY a NULLS FIRST, b DESC NULLS LAST LIMIT 5",
      from("t")
        .select("a", "b")
        .orderBy(asc("a", { nulls: "first" }), desc(col("b"), { nulls: "last" }))
        .limit(5),
    ],
    ["SELECT a, b FROM t ORDER BY c", from("t").select("a", "b").orderBy("c")],
    // distinct
    ["SELECT DISTINCT b FROM t", from("t").select("b").distinct()],
    ["SELECT DISTINCT b, a FROM t ORDER BY a LIMIT 4", from("t").select("b", "a").distinct().orderBy("a").limit(4)],
    // tumbling windows
    [
      "SELECT window_start, count(*) AS n FROM TUMBLE(t, ts, INTERVAL '1 minute') GROUP BY window_start",
      from(tumble("t", "ts", { minutes: 1 }))
        .groupBy("window_start")
        .select("window_start", { n: count() }),
    ],
    [
      "SELECT region, window_end, sum(amount) AS s FROM TUMBLE(orders, at, INTERVAL '1 hour 30 minutes') GROUP BY region, window_end",
      from(tumble("orders", "at", { hours: 1, minutes: 30 }))
        .groupBy("region", "window_end")
        .select("region", "window_end", { s: sum(col("amount")) }),
    ],
  ];

  it.each(cases)("%s", (sql, query) => same(sql, query));
});

describe("expression methods plan as the SQL operators", () => {
  const a = col("a");
  const cases: [string, ReturnType<typeof col>][] = [
    ["a = 1", a.eq(1)],
    ["a <> 1", a.ne(1)],
    ["a < 1", a.lt(1)],
    ["a <= 1", a.le(1)],
    ["a > 1", a.gt(1)],
    ["a >= 1", a.ge(1)],
    ["a > 1 AND flag", a.gt(1).and(col("flag"))],
    ["a > 1 OR flag", a.gt(1).or(col("flag"))],
    ["NOT flag", col("flag").not()],
    ["a + 1", a.plus(1)],
    ["a - 1", a.minus(1)],
    ["a * 2", a.times(2)],
    ["a / 2", a.div(2)],
    ["a % 2", a.mod(2)],
    ["-a", a.neg()],
    ["b || 'x'", col("b").concat("x")],
    ["b IS NULL", col("b").isNull()],
    ["b IS NOT NULL", col("b").isNotNull()],
    ["flag IS TRUE", col("flag").isTrue()],
    ["flag IS FALSE", col("flag").isFalse()],
    ["b LIKE 'x%'", col("b").like("x%")],
    ["b ILIKE 'x%'", col("b").ilike("x%")],
    ["b NOT LIKE 'x%'", col("b").like("x%").not()],
    ["a IN (1, 2, 3)", a.in(1, 2, 3)],
    ["a NOT IN (1, 2)", a.in(1, 2).not()],
    ["a BETWEEN 1 AND 5", a.between(1, 5)],
    ["a NOT BETWEEN 1 AND 5", a.between(1, 5).not()],
    ["CAST(a AS bigint)", a.cast("bigint")],
    ["a::double precision", a.cast("double")],
    ["'2024-01-01'::date", lit("2024-01-01").cast("date")],
    ["v * 2.5", col("v").times(2.5)],
    ["c + 3000000000", col("c").plus(3_000_000_000)],
    ["flag = true", col("flag").eq(true)],
    ["b = NULL", col("b").eq(null)],
    ["CASE WHEN a > 1 THEN 'big' ELSE 'small' END", when(a.gt(1), "big").else("small")],
    ["CASE WHEN a > 10 THEN 2 WHEN a > 1 THEN 1 END", when(a.gt(10), 2).when(a.gt(1), 1).end()],
    ["coalesce(b, 'none')", fn("coalesce", col("b"), "none")],
    ["lower(b)", fn("lower", col("b"))],
    ["extract(HOUR FROM ts)", fn("extract", "HOUR", col("ts"))],
    ["date_trunc('hour', ts)", fn("date_trunc", "hour", col("ts"))],
    ["now()", fn("now")],
  ];

  it.each(cases)("%s", (sql, value) => same(`SELECT ${sql} AS x FROM t`, from("t").select({ x: value })));
});
