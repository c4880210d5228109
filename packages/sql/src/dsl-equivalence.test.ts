// The TypeScript DSL's query builder and the SQL front end must build the same tree for the same
// query: each case plans a SELECT and its builder spelling against one catalog and compares them.
import {
  type Query,
  asc,
  avg,
  boolAnd,
  boolOr,
  col,
  count,
  desc,
  every,
  fn,
  from,
  lit,
  max,
  min,
  stringAgg,
  sum,
  tumble,
  using,
  when,
} from "@jetflow/pipeline";
import { describe, expect, it } from "vitest";
import { catalogOf, viewOf } from "./testing.js";

const catalog = catalogOf({
  t: ["a integer", "b varchar", "c bigint", "v double precision", "ts timestamptz", "flag boolean"],
  orders: ["id integer", "region varchar", "amount double precision", "status varchar", "at timestamp"],
  purchases: ["id integer", "user_id integer", "amount double precision", "at timestamp"],
  customers: ["user_id integer", "name varchar", "region varchar", "credit double precision"],
  regions: ["region varchar", "manager varchar"],
  people: ["id integer", "boss_id integer", "name varchar"],
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
    // bool_and / bool_or / every (over counts), string_agg, FILTER
    [
      "SELECT b, bool_and(flag) AS all_set, bool_or(a > 1) AS any_big, every(flag) AS e FROM t GROUP BY b",
      from("t")
        .groupBy("b")
        .select("b", { all_set: boolAnd(col("flag")), any_big: boolOr(col("a").gt(1)), e: every(col("flag")) }),
    ],
    [
      "SELECT b, bool_and(flag) FILTER (WHERE a > 1) AS x, bool_or(flag) FILTER (WHERE a > 1) AS y FROM t GROUP BY b",
      from("t")
        .groupBy("b")
        .select("b", {
          x: boolAnd(col("flag"), { filter: col("a").gt(1) }),
          y: boolOr(col("flag"), { filter: col("a").gt(1) }),
        }),
    ],
    [
      "SELECT b, count(*) AS n FROM t GROUP BY b HAVING bool_or(flag) AND every(a > 0)",
      from("t")
        .groupBy("b")
        .select("b", { n: count() })
        .having(boolOr(col("flag")).and(every(col("a").gt(0)))),
    ],
    [
      "SELECT b, count(*) AS n FROM t GROUP BY b ORDER BY bool_and(flag) DESC, b LIMIT 2",
      from("t")
        .groupBy("b")
        .select("b", { n: count() })
        .orderBy(desc(boolAnd(col("flag"))), "b")
        .limit(2),
    ],
    ["SELECT bool_and(flag) AS x FROM t", from("t").select({ x: boolAnd(col("flag")) })],
    [
      "SELECT a, string_agg(b, ', ') AS s FROM t GROUP BY a",
      from("t")
        .groupBy("a")
        .select("a", { s: stringAgg(col("b"), ", ") }),
    ],
    ["SELECT string_agg(b, NULL) AS s FROM t", from("t").select({ s: stringAgg(col("b"), null) })],
    [
      "SELECT a, string_agg(b, '-' ORDER BY ts DESC NULLS LAST, b) AS s FROM t GROUP BY a",
      from("t")
        .groupBy("a")
        .select("a", { s: stringAgg(col("b"), "-", { orderBy: [desc("ts", { nulls: "last" }), "b"] }) }),
    ],
    [
      "SELECT a, string_agg(DISTINCT b, '-' ORDER BY b) FILTER (WHERE flag) AS s FROM t GROUP BY a",
      from("t")
        .groupBy("a")
        .select("a", { s: stringAgg(col("b"), "-", { distinct: true, orderBy: [asc("b")], filter: col("flag") }) }),
    ],
    [
      "SELECT region, count(*) FILTER (WHERE status = 'paid') AS paid, sum(amount) FILTER (WHERE status = 'paid') AS revenue, count(DISTINCT status) FILTER (WHERE amount > 0) AS kinds FROM orders GROUP BY region",
      from("orders")
        .groupBy("region")
        .select("region", {
          paid: count(undefined, { filter: col("status").eq("paid") }),
          revenue: sum(col("amount"), { filter: col("status").eq("paid") }),
          kinds: count(col("status"), { distinct: true, filter: col("amount").gt(0) }),
        }),
    ],
    [
      "SELECT b, count(*) FILTER (WHERE flag) * 2 AS x, avg(v) FILTER (WHERE a > 0) AS m, min(a) FILTER (WHERE flag) AS lo, max(a) FILTER (WHERE flag) AS hi FROM t GROUP BY b",
      from("t")
        .groupBy("b")
        .select("b", {
          x: count(undefined, { filter: col("flag") }).times(2),
          m: avg(col("v"), { filter: col("a").gt(0) }),
          lo: min(col("a"), { filter: col("flag") }),
          hi: max(col("a"), { filter: col("flag") }),
        }),
    ],
    [
      "SELECT b, count(*) AS n FROM t GROUP BY b HAVING count(*) FILTER (WHERE flag) > 1",
      from("t")
        .groupBy("b")
        .select("b", { n: count() })
        .having(count(undefined, { filter: col("flag") }).gt(1)),
    ],
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

describe("joins plan as SQL does", () => {
  const onUser = col("p.user_id").eq(col("c.user_id"));
  const cases: [string, Query][] = [
    // the four kinds, ON with qualified names
    [
      "SELECT p.*, c.name FROM purchases p JOIN customers c ON p.user_id = c.user_id",
      from("purchases", "p").join("customers", "c", onUser).select("p.id", "p.user_id", "p.amount", "p.at", "c.name"),
    ],
    [
      "SELECT * FROM purchases p INNER JOIN regions r ON p.user_id = length(r.region)",
      from("purchases", "p").join("regions", "r", fn("length", col("r.region")).eq(col("p.user_id"))),
    ],
    [
      "SELECT p.id, c.name FROM purchases p LEFT JOIN customers c ON p.user_id = c.user_id",
      from("purchases", "p").leftJoin("customers", "c", onUser).select("p.id", "c.name"),
    ],
    [
      "SELECT p.id, c.name FROM purchases p RIGHT JOIN customers c ON p.user_id = c.user_id",
      from("purchases", "p").rightJoin("customers", "c", onUser).select("p.id", "c.name"),
    ],
    [
      "SELECT p.id, c.name FROM purchases p FULL JOIN customers c ON p.user_id = c.user_id",
      from("purchases", "p").fullJoin("customers", "c", onUser).select("p.id", "c.name"),
    ],
    // unaliased: relation names qualify; plain names that only one side has
    [
      "SELECT id, name, purchases.amount FROM purchases JOIN customers ON purchases.user_id = customers.user_id",
      from("purchases")
        .join("customers", col("purchases.user_id").eq(col("customers.user_id")))
        .select("id", "name", "purchases.amount"),
    ],
    // output names: an object names them, a qualified string takes the column's
    [
      "SELECT p.amount AS paid, c.region FROM purchases p JOIN customers c ON p.user_id = c.user_id",
      from("purchases", "p")
        .join("customers", "c", onUser)
        .select({ paid: col("p.amount") }, "c.region"),
    ],
    // USING (one and two columns), for each kind: the merged column
    ["SELECT * FROM purchases JOIN customers USING (user_id)", from("purchases").join("customers", using(["user_id"]))],
    [
      "SELECT * FROM purchases p LEFT JOIN customers c USING (user_id)",
      from("purchases", "p").leftJoin("customers", "c", using("user_id")),
    ],
    [
      "SELECT user_id, name FROM purchases RIGHT JOIN customers USING (user_id)",
      from("purchases")
        .rightJoin("customers", using(["user_id"]))
        .select("user_id", "name"),
    ],
    [
      "SELECT user_id, name FROM purchases FULL JOIN customers USING (user_id)",
      from("purchases")
        .fullJoin("customers", using(["user_id"]))
        .select("user_id", "name"),
    ],
    [
      "SELECT * FROM orders o JOIN customers c USING (region)",
      from("orders", "o").join("customers", "c", using(["region"])),
    ],
    [
      "SELECT user_id, region, a.name AS a_name FROM customers a JOIN customers b USING (user_id, region) WHERE b.name IS NULL",
      from("customers", "a")
        .join("customers", "b", using(["user_id", "region"]))
        .where(col("b.name").isNull())
        .select("user_id", "region", { a_name: col("a.name") }),
    ],
    // several equalities, expressions as keys, a residual predicate
    [
      "SELECT p.id FROM purchases p JOIN customers c ON p.user_id = c.user_id AND p.amount > c.credit",
      from("purchases", "p")
        .join("customers", "c", onUser.and(col("p.amount").gt(col("c.credit"))))
        .select("p.id"),
    ],
    [
      "SELECT p.id FROM purchases p LEFT JOIN customers c ON p.user_id + 1 = c.user_id AND c.region = 'eu' AND p.id = c.user_id",
      from("purchases", "p")
        .leftJoin(
          "customers",
          "c",
          col("p.user_id")
            .plus(1)
            .eq(col("c.user_id"))
            .and(col("c.region").eq("eu"), col("p.id").eq(col("c.user_id"))),
        )
        .select("p.id"),
    ],
    // 3-way joins, left-deep
    [
      "SELECT p.id, c.name, r.manager FROM purchases p JOIN customers c ON p.user_id = c.user_id LEFT JOIN regions r ON c.region = r.region",
      from("purchases", "p")
        .join("customers", "c", onUser)
        .leftJoin("regions", "r", col("c.region").eq(col("r.region")))
        .select("p.id", "c.name", "r.manager"),
    ],
    [
      "SELECT * FROM purchases JOIN customers USING (user_id) JOIN regions USING (region)",
      from("purchases")
        .join("customers", using(["user_id"]))
        .join("regions", using(["region"])),
    ],
    // self-joins with aliases
    [
      "SELECT e.name, b.name AS boss FROM people e JOIN people b ON e.boss_id = b.id",
      from("people", "e")
        .join("people", "b", col("e.boss_id").eq(col("b.id")))
        .select("e.name", { boss: col("b.name") }),
    ],
    [
      "SELECT e.name, b.name AS boss, bb.name AS top FROM people e LEFT JOIN people b ON e.boss_id = b.id LEFT JOIN people bb ON b.boss_id = bb.id",
      from("people", "e")
        .leftJoin("people", "b", col("e.boss_id").eq(col("b.id")))
        .leftJoin("people", "bb", col("b.boss_id").eq(col("bb.id")))
        .select("e.name", { boss: col("b.name"), top: col("bb.name") }),
    ],
    // temporal joins
    [
      "SELECT p.id, c.name FROM purchases p JOIN customers FOR SYSTEM_TIME AS OF PROCTIME() c ON p.user_id = c.user_id",
      from("purchases", "p").join("customers", "c", onUser, { temporal: true }).select("p.id", "c.name"),
    ],
    [
      "SELECT * FROM purchases LEFT JOIN customers FOR SYSTEM_TIME AS OF PROCTIME() USING (user_id)",
      from("purchases").leftJoin("customers", using(["user_id"]), { temporal: true }),
    ],
    // where / groupBy / having / orderBy + limit / distinct over a join
    [
      "SELECT c.region, count(*) AS n, sum(p.amount) AS revenue FROM purchases p JOIN customers c ON p.user_id = c.user_id WHERE p.amount > 10 GROUP BY c.region HAVING count(*) > 2",
      from("purchases", "p")
        .join("customers", "c", onUser)
        .where(col("p.amount").gt(10))
        .groupBy("c.region")
        .select("c.region", { n: count(), revenue: sum(col("p.amount")) })
        .having(count().gt(2)),
    ],
    [
      "SELECT name, sum(amount) AS s FROM purchases JOIN customers USING (user_id) GROUP BY name ORDER BY s DESC LIMIT 3",
      from("purchases")
        .join("customers", using(["user_id"]))
        .groupBy("name")
        .select("name", { s: sum(col("amount")) })
        .orderBy(desc("s"))
        .limit(3),
    ],
    [
      "SELECT p.id, c.name FROM purchases p JOIN customers c ON p.user_id = c.user_id ORDER BY p.amount DESC LIMIT 5",
      from("purchases", "p").join("customers", "c", onUser).select("p.id", "c.name").orderBy(desc("p.amount")).limit(5),
    ],
    [
      "SELECT DISTINCT c.region FROM purchases p JOIN customers c ON p.user_id = c.user_id",
      from("purchases", "p").join("customers", "c", onUser).select("c.region").distinct(),
    ],
    // a join of a tumbling window
    [
      "SELECT c.name, window_start, count(*) AS n FROM TUMBLE(purchases, at, INTERVAL '1 minute') w JOIN customers c ON w.user_id = c.user_id GROUP BY c.name, window_start",
      from(tumble("purchases", "at", { minutes: 1 }), "w")
        .join("customers", "c", col("w.user_id").eq(col("c.user_id")))
        .groupBy("c.name", "window_start")
        .select("c.name", "window_start", { n: count() }),
    ],
    // * and q.*
    [
      "SELECT c.*, p.id AS pid FROM purchases p JOIN customers c USING (user_id)",
      from("purchases", "p")
        .join("customers", "c", using(["user_id"]))
        .select("c.*", { pid: col("p.id") }),
    ],
    [
      "SELECT *, p.amount * 2 AS double FROM purchases p JOIN customers c USING (user_id)",
      from("purchases", "p")
        .join("customers", "c", using(["user_id"]))
        .select("*", { double: col("p.amount").times(2) }),
    ],
    ["SELECT *, a + 1 AS next FROM t", from("t").select("*", { next: col("a").plus(1) })],
    // a qualified reference to the single relation of a plain query
    ["SELECT o.id FROM orders o WHERE o.amount > 1", from("orders", "o").where(col("o.amount").gt(1)).select("o.id")],
    ["SELECT orders.id FROM orders", from("orders").select("orders.id")],
  ];

  it.each(cases)("%s", (sql, query) => same(sql, query));

  const errorOf = (run: () => unknown): Error => {
    try {
      run();
    } catch (e) {
      return e as Error;
    }
    throw new Error("expected an error");
  };

  // The same broken rule gives the same message in both front ends.
  it.each([
    [
      "SELECT * FROM purchases p JOIN customers c ON p.amount > c.credit",
      from("purchases", "p").join("customers", "c", col("p.amount").gt(col("c.credit"))),
    ],
    ["SELECT * FROM customers JOIN customers USING (user_id)", from("customers").join("customers", using(["user_id"]))],
    [
      "SELECT user_id FROM purchases p JOIN customers c ON p.id = c.user_id",
      from("purchases", "p")
        .join("customers", "c", col("p.id").eq(col("c.user_id")))
        .select("user_id"),
    ],
    [
      "SELECT * FROM purchases p JOIN customers c USING (name)",
      from("purchases", "p").join("customers", "c", using(["name"])),
    ],
    [
      "SELECT x.id FROM purchases p JOIN customers c USING (user_id)",
      from("purchases", "p")
        .join("customers", "c", using(["user_id"]))
        .select("x.id"),
    ],
    [
      "SELECT p.nope FROM purchases p JOIN customers c USING (user_id)",
      from("purchases", "p")
        .join("customers", "c", using(["user_id"]))
        .select("p.nope"),
    ],
    [
      "SELECT * FROM purchases p FULL JOIN customers FOR SYSTEM_TIME AS OF PROCTIME() c USING (user_id)",
      from("purchases", "p").fullJoin("customers", "c", using(["user_id"]), { temporal: true }),
    ],
    [
      "SELECT sum(a) FILTER (WHERE count(*) > 1) AS s FROM t",
      from("t").select({ s: sum(col("a"), { filter: count().gt(1) }) }),
    ],
  ] as [string, Query][])("refuses as SQL does: %s", (sql, query) => {
    const fromSql = errorOf(() => viewOf(sql, catalog));
    const fromDsl = errorOf(() => query.plan(catalog));
    expect(fromSql.message).toContain(fromDsl.message);
  });
});

describe("the new aggregates are refused where SQL refuses them", () => {
  it("bool_or in where(), as in WHERE", () => {
    expect(() => viewOf("SELECT b FROM t WHERE bool_or(flag)", catalog)).toThrow("not allowed in WHERE");
    expect(() =>
      from("t")
        .where(boolOr(col("flag")))
        .select("b")
        .plan(catalog),
    ).toThrow("aggregate functions are not allowed in where()");
  });

  it("string_agg(DISTINCT x ORDER BY y) with y not x", () => {
    expect(() => viewOf("SELECT string_agg(DISTINCT b, ',' ORDER BY a) AS s FROM t", catalog)).toThrow("DISTINCT");
    expect(() =>
      from("t")
        .select({ s: stringAgg(col("b"), ",", { distinct: true, orderBy: ["a"] }) })
        .plan(catalog),
    ).toThrow("string_agg() with distinct: its orderBy may only sort by the aggregated value");
  });
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
