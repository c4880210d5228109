import { ErrorCode } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { catalogOf, planOne, positionOf, sqlErrorOf } from "./testing.js";

const catalog = catalogOf({
  t: ["a integer", "b varchar", "ts timestamptz", "n integer"],
  u: ["a integer"],
  e: ["id integer", "ts timestamp", "window_start timestamp"],
});

/** `[select, code, needle (or [needle, nth]), detail]`: the error is at the needle's position in the full statement. */
type Case = [string, string, string | [string, number], string];

function check([select, code, at, detail]: Case) {
  const sql = `CREATE MATERIALIZED VIEW v AS ${select}`;
  const e = sqlErrorOf(() => planOne(sql, catalog));
  const [needle, nth] = typeof at === "string" ? [at, 0] : at;
  expect({ code: e.code, message: e.message }).toEqual({ code, message: `${positionOf(sql, needle, nth)}: ${detail}` });
}

const U = ErrorCode.SqlUnsupported;
const N = ErrorCode.SqlName;
const S = ErrorCode.SqlSyntax;
const NOT = "not supported in materialized views";

describe("unsupported SQL fails naming the construct", () => {
  it.each<Case>(
    [
      [
        "SELECT t.a FROM t, u",
        U,
        "u",
        `joins without an equality between the two sides (cross joins) are ${NOT} (add one to WHERE, e.g. a.id = b.a_id)`,
      ],
      [
        "SELECT t.a FROM t JOIN u ON t.a > u.a",
        U,
        "u ON",
        `joins without an equality between the two sides (cross joins) are ${NOT} (add one to ON, e.g. a.id = b.a_id)`,
      ],
      [
        "SELECT t.a FROM t CROSS JOIN u",
        U,
        "u",
        `joins without an equality between the two sides (cross joins) are ${NOT} (add one to WHERE, e.g. a.id = b.a_id)`,
      ],
      [
        "SELECT t.a FROM t JOIN t ON t.a = t.a",
        N,
        ["t", 2],
        `table name "t" specified more than once (give each an alias)`,
      ],
      ["SELECT a FROM t JOIN u ON t.a = u.a", N, ["a", 0], `column reference "a" is ambiguous`],
      [
        "SELECT t.a FROM t JOIN u USING (b)",
        N,
        "u USING",
        `column "b" specified in USING clause does not exist in right table`,
      ],
      [
        "SELECT t.a FROM t FULL JOIN u FOR SYSTEM_TIME AS OF PROCTIME() ON t.a = u.a",
        U,
        "u FOR",
        `FOR SYSTEM_TIME AS OF PROCTIME() in a FULL join is ${NOT} (use an INNER or LEFT join)`,
      ],
      ["SELECT x.a FROM t, LATERAL (SELECT a FROM u) x", U, "a FROM u", `LATERAL subqueries are ${NOT}`],
      ["SELECT a FROM (SELECT a FROM t)", S, "a FROM t)", "subquery in FROM must have an alias"],
      ["SELECT a FROM t WHERE a IN (SELECT a FROM u WHERE u.a = t.a)", U, "IN (", `subqueries are ${NOT}`],
      ["SELECT a FROM t WHERE a IN (SELECT a FROM u)", U, "IN", `subqueries are ${NOT}`],
      ["SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u)", U, "EXISTS", `subqueries are ${NOT}`],
      ["SELECT (SELECT max(a) FROM u) AS m FROM t", U, "(SELECT max", `subqueries are ${NOT}`],
      [
        "SELECT a, row_number() OVER (ORDER BY a) AS r FROM t",
        U,
        "row_number",
        `window functions (row_number(...) OVER ...) are ${NOT}`,
      ],
      [
        "SELECT a, sum(a) OVER w AS s FROM t WINDOW w AS (PARTITION BY b)",
        U,
        "(PARTITION",
        `WINDOW clauses are ${NOT}`,
      ],
      ["SELECT a FROM t INTERSECT SELECT a FROM u", U, ["a", 1], `INTERSECT is ${NOT}`],
      [
        "SELECT a, b FROM t UNION SELECT a FROM u",
        S,
        ["a", 1],
        "each UNION query must have the same number of columns (2 and 1)",
      ],
      [
        "SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY a LIMIT 1",
        U,
        ["a", 2],
        `ORDER BY / LIMIT on a UNION is ${NOT} (wrap the UNION in a subquery: SELECT * FROM (... UNION ...) AS u ORDER BY ... LIMIT n)`,
      ],
      ["SELECT a FROM t INTERSECT SELECT a FROM u", U, ["a", 1], `INTERSECT is ${NOT}`],
      ["SELECT a FROM t EXCEPT ALL SELECT a FROM u", U, ["a", 1], `EXCEPT is ${NOT}`],
      ["SELECT DISTINCT ON (b) a, b FROM t", U, "b)", `SELECT DISTINCT ON is ${NOT}`],
      [
        "SELECT DISTINCT b, count(*) AS c FROM t GROUP BY b",
        U,
        "SELECT",
        `SELECT DISTINCT with GROUP BY or aggregates is ${NOT}`,
      ],
      ["WITH RECURSIVE x AS (SELECT a FROM t) SELECT a FROM x", U, "WITH", `WITH RECURSIVE is ${NOT}`],
      ["VALUES (1), (2)", U, "1", `VALUES lists are ${NOT}`],
      ["SELECT a FROM t FOR UPDATE", U, "SELECT", `FOR UPDATE / FOR SHARE is ${NOT}`],
      ["SELECT b, count(*) AS c FROM t GROUP BY ROLLUP (b)", U, "ROLLUP", `ROLLUP, CUBE and GROUPING SETS are ${NOT}`],
      [
        "SELECT b, count(*) AS c FROM t GROUP BY GROUPING SETS ((b), ())",
        U,
        "GROUPING",
        `ROLLUP, CUBE and GROUPING SETS are ${NOT}`,
      ],
      [
        "SELECT bool_and(a > 1) FILTER (WHERE a > 1) AS c FROM t WHERE bool_or(a > 2)",
        S,
        "bool_or",
        "aggregate functions are not allowed in WHERE",
      ],
      ["SELECT max(a ORDER BY b) AS m FROM t", U, "max", `ORDER BY inside max() is ${NOT}`],
      [
        "SELECT array_agg(b) AS s FROM t",
        U,
        "array_agg",
        `aggregate function array_agg() is ${NOT} (supported: count, sum, avg, min, max, string_agg, bool_and, bool_or, every)`,
      ],
      [
        "SELECT string_agg(b, b) AS s FROM t",
        U,
        ["b) AS", 0],
        `a string_agg() delimiter that is not a text constant is ${NOT} (write it as a literal, e.g. ', ')`,
      ],
      ["SELECT string_agg(b) AS s FROM t", S, "string_agg", "string_agg() takes exactly two arguments, got 1"],
      [
        "SELECT string_agg(DISTINCT b, ',' ORDER BY a) AS s FROM t",
        S,
        "a) AS",
        "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
      ],
      [
        "SELECT md5(b) AS h FROM t",
        U,
        "md5",
        `function md5() is ${NOT} (supported: abs, array_length, btrim, ceil, ceiling, char_length, character_length, coalesce, concat, date_part, date_trunc, extract, floor, length, lower, ltrim, now, nullif, replace, round, rtrim, starts_with, substr, substring, to_timestamp, trim, upper)`,
      ],
      ["SELECT myschema.f(a) AS x FROM t", U, "myschema", `function myschema.f() is ${NOT}`],
      ["SELECT a FROM t WHERE b SIMILAR TO 'x'", U, "SIMILAR", `SIMILAR TO is ${NOT}`],
      ["SELECT a FROM t WHERE a = ANY (ARRAY[1, 2])", U, "=", `= ANY (...) is ${NOT}`],
      ["SELECT a FROM t WHERE a BETWEEN SYMMETRIC 1 AND 2", U, "BETWEEN", `BETWEEN SYMMETRIC is ${NOT}`],
      ["SELECT a FROM t WHERE b LIKE 'x!%' ESCAPE '!'", U, "LIKE", `LIKE ... ESCAPE is ${NOT}`],
      ["SELECT a FROM t WHERE a ^ 2 > 1", U, "^", `operator ^ is ${NOT}`],
      ["SELECT ARRAY[a, n] AS xs FROM t", U, "ARRAY", `ARRAY[...] constructors are ${NOT}`],
      ["SELECT (b::varchar[])[1:2] AS x FROM t", U, "(b::", `array slices and * in field selection are ${NOT}`],
      ['SELECT b COLLATE "C" AS x FROM t', U, "COLLATE", `COLLATE is ${NOT}`],
      ["SELECT a FROM t WHERE a = $1", U, "$1", `query parameters ($n) are ${NOT}`],
      ["SELECT greatest(a, n) AS g FROM t", U, "greatest", `GREATEST / LEAST are ${NOT}`],
      ["SELECT ROW(a, n) AS r FROM t", U, "ROW", `row constructors are ${NOT}`],
      ["SELECT CURRENT_DATE AS d FROM t", U, "CURRENT_DATE", `CURRENT_DATE is ${NOT} (use now())`],
      ["SELECT a::uuid AS x FROM t", U, "::", `type uuid is ${NOT}`],
      ["SELECT B'101' AS x FROM t", U, "B'101'", `bit-string literals are ${NOT}`],
      ["SELECT a FROM public.t", U, "public", `schema-qualified names are not supported: public.t`],
      ["SELECT a FROM t AS x (y)", U, "t AS", `column aliases in FROM are ${NOT}`],
      [
        "SELECT * FROM HOP(t, ts, INTERVAL '2 minutes', INTERVAL '5 minutes')",
        U,
        "INTERVAL '5",
        "HOP's window size must be a multiple of its slide",
      ],
      [
        "SELECT * FROM generate_series(1, 3)",
        U,
        "generate_series",
        `table function generate_series() is ${NOT} (use TUMBLE or HOP)`,
      ],
      [
        "SELECT * FROM TUMBLE(t, ts, INTERVAL '1 minute', INTERVAL '10 seconds')",
        U,
        ["INTERVAL", 1],
        `a TUMBLE offset is ${NOT}`,
      ],
      [
        "SELECT * FROM TUMBLE(t, ts, INTERVAL '1 month')",
        U,
        "INTERVAL",
        `TUMBLE window size: '1 month' is not a fixed duration: a month has no fixed length`,
      ],
      [
        "SELECT * FROM TUMBLE(t, ts, 60)",
        U,
        "60",
        `TUMBLE's window size must be an interval literal like INTERVAL '1 minute'`,
      ],
      [
        "SELECT * FROM TUMBLE(t, a, INTERVAL '1 minute')",
        U,
        "a,",
        `TUMBLE needs a timestamp or timestamptz time column; "a" is integer`,
      ],
      ["SELECT a FROM t ORDER BY a FETCH FIRST 2 ROWS WITH TIES", U, "2", `FETCH FIRST ... WITH TIES is ${NOT}`],
      ["SELECT a FROM t ORDER BY a USING < LIMIT 1", U, ["a", 1], `ORDER BY ... USING is ${NOT}`],
      [
        "SELECT a FROM t LIMIT 1",
        U,
        "1",
        `LIMIT without ORDER BY is ${NOT} (which rows the view keeps would be arbitrary)`,
      ],
      ["SELECT a FROM t ORDER BY a OFFSET 2", U, "2", `OFFSET without LIMIT is ${NOT}`],
      ["SELECT a FROM t ORDER BY a LIMIT 1 + 1", U, "+", `LIMIT other than an integer constant is ${NOT}`],
      ["SELECT a FROM t", U, "", ""],
    ].slice(0, -1) as Case[],
  )("%s", (...c) => check(c));
});

describe("names are resolved against the catalog", () => {
  it.each<Case>([
    ["SELECT a FROM nope", N, "nope", 'relation "nope" does not exist'],
    ["SELECT * FROM TUMBLE(nope, ts, INTERVAL '1 minute')", N, "nope", 'relation "nope" does not exist'],
    ["SELECT zz FROM t", N, "zz", 'column "zz" does not exist (columns: a, b, ts, n)'],
    ["SELECT a FROM t WHERE t.zz > 1", N, "t.zz", 'column "zz" does not exist (columns: a, b, ts, n)'],
    ["SELECT u.a FROM t", N, "u.a", 'missing FROM-clause entry for table "u" (the relation is called "t" here)'],
    ["SELECT t.a FROM t AS x", N, "t.a", 'missing FROM-clause entry for table "t" (the relation is called "x" here)'],
    ["SELECT u.* FROM t", N, "u.*", 'missing FROM-clause entry for table "u" (the relation is called "t" here)'],
    [
      "SELECT a, b FROM t GROUP BY a",
      N,
      "b FROM",
      'column "b" must appear in the GROUP BY clause or be used in an aggregate function',
    ],
    [
      "SELECT * FROM t GROUP BY a",
      N,
      "*",
      'column "b" must appear in the GROUP BY clause or be used in an aggregate function',
    ],
    [
      "SELECT a FROM t GROUP BY a HAVING n > 1",
      N,
      "n >",
      'column "n" must appear in the GROUP BY clause or be used in an aggregate function',
    ],
    [
      "SELECT a + n AS s FROM t GROUP BY a + 1",
      N,
      "a +",
      'column "a" must appear in the GROUP BY clause or be used in an aggregate function',
    ],
    [
      "SELECT sum(a), sum(n) FROM t",
      N,
      "sum(n)",
      'output column "sum" appears more than once; name each with AS so the view\'s columns are distinct',
    ],
    [
      "SELECT a, a FROM t",
      N,
      ["a", 1],
      'output column "a" appears more than once; name each with AS so the view\'s columns are distinct',
    ],
    [
      "SELECT a, * FROM t",
      N,
      "*",
      'output column "a" appears more than once; name each with AS so the view\'s columns are distinct',
    ],
    ["SELECT * FROM TUMBLE(t, zz, INTERVAL '1 minute')", N, "zz", 'column "zz" does not exist in "t"'],
    [
      "SELECT * FROM TUMBLE(e, ts, INTERVAL '1 minute')",
      N,
      "TUMBLE",
      'TUMBLE adds a column "window_start", but "e" already has one',
    ],
  ])("%s", (...c) => check(c));
});

describe("invalid queries are syntax errors with PostgreSQL's wording", () => {
  it.each<Case>([
    ["SELECT a FROM t WHERE count(*) > 1", S, "count", "aggregate functions are not allowed in WHERE"],
    ["SELECT a FROM t GROUP BY a, count(*)", S, "count", "aggregate functions are not allowed in GROUP BY"],
    ["SELECT count(*) AS c FROM t GROUP BY 1", S, "count", "aggregate functions are not allowed in GROUP BY"],
    ["SELECT sum(max(a)) AS s FROM t", S, "max", "aggregate function calls cannot be nested"],
    ["SELECT sum(*) AS s FROM t", S, "sum", "sum(*) is not valid; only count(*) is"],
    ["SELECT count() AS c FROM t", S, "count", "count(*) must be used to count rows"],
    ["SELECT max(a, n) AS m FROM t", S, "max", "max() takes exactly one argument, got 2"],
    ["SELECT lower(b, b) AS l FROM t", S, "lower", "lower() takes 1 argument, got 2"],
    ["SELECT round() AS r FROM t", S, "round", "round() takes 1 to 2 arguments, got 0"],
    ["SELECT concat() AS c FROM t", S, "concat", "concat() takes at least 1 arguments, got 0"],
    ["SELECT lower(DISTINCT b) AS l FROM t", S, "lower", "lower() is not an aggregate function"],
    ["SELECT a FROM t GROUP BY 3", S, "3", "GROUP BY position 3 is not in select list"],
    ["SELECT a FROM t GROUP BY 'x'", S, "'x'", "non-integer constant in GROUP BY"],
    ["SELECT a FROM t ORDER BY 2 LIMIT 1", S, "2", "ORDER BY position 2 is not in select list"],
    ["SELECT a FROM t ORDER BY 'x' LIMIT 1", S, "'x'", "non-integer constant in ORDER BY"],
    [
      "SELECT DISTINCT a FROM t ORDER BY n LIMIT 1",
      S,
      "n LIMIT",
      "for SELECT DISTINCT, ORDER BY expressions must appear in select list",
    ],
    ["SELECT a FROM t ORDER BY a LIMIT -1", S, "-1", "LIMIT must not be negative"],
    ["SELECT a FROM t ORDER BY a LIMIT 1 OFFSET -2", S, "-2", "OFFSET must not be negative"],
    ["SELECT FROM t", S, "SELECT", "a materialized view needs at least one output column"],
    [
      "SELECT * FROM TUMBLE(t, ts)",
      S,
      "TUMBLE",
      "TUMBLE takes 3 arguments: TUMBLE(relation, time_column, INTERVAL '1 minute'), got 2",
    ],
    [
      "SELECT * FROM TUMBLE('t', ts, INTERVAL '1 minute')",
      S,
      "'t'",
      "TUMBLE's first argument must name a table, source or view",
    ],
    [
      "SELECT * FROM TUMBLE(t, ts + 1, INTERVAL '1 minute')",
      S,
      "+ 1",
      'TUMBLE\'s second argument must be a column of "t"',
    ],
    [
      "SELECT * FROM TUMBLE(t, ts, INTERVAL '0 seconds')",
      S,
      "INTERVAL",
      "TUMBLE window size must be positive, got '0 seconds'",
    ],
    ["SELECT a FROM t WHERE", S, "", "syntax error at end of input"],
    ["SELECT a FROM t WHERE a = = 1", S, ["=", 1], 'syntax error at or near "="'],
  ])("%s", (select, code, at, detail) => {
    if (at === "") {
      const sql = `CREATE MATERIALIZED VIEW v AS ${select}`;
      const e = sqlErrorOf(() => planOne(sql, catalog));
      expect({ code: e.code, message: e.message }).toEqual({
        code,
        message: `${positionOf(`${sql}\u0000`, "\u0000")}: ${detail}`,
      });
    } else {
      check([select, code, at, detail]);
    }
  });

  it("rejects unsupported SELECT without FROM", () => {
    check(["SELECT 1 AS one", U, "SELECT", "a materialized view needs FROM a table, source or view"]);
  });
});

describe("FOR SYSTEM_TIME AS OF PROCTIME() needs a table on the right", () => {
  // A catalog that knows what each relation is: `c` a table, `s` a source, `w` a view.
  const kinds: Record<string, "source" | "table" | "view"> = { t: "source", c: "table", s: "source", w: "view" };
  const base = catalogOf({ t: ["a integer"], c: ["a integer", "n varchar"], s: ["a integer"], w: ["a integer"] });
  const withKinds = { ...base, kindOf: (r: string) => kinds[r] };
  const T = "FOR SYSTEM_TIME AS OF PROCTIME()";

  it.each<Case>([
    [
      `SELECT t.a FROM t JOIN s ${T} ON t.a = s.a`,
      U,
      "s FOR",
      `${T} on source "s" is ${NOT} (a source keeps no rows to look up; make it a TABLE with a PRIMARY KEY, or drop the clause)`,
    ],
    [
      `SELECT t.a\nFROM t\n  LEFT JOIN w ${T} AS x ON t.a = x.a`,
      U,
      "w FOR",
      `${T} on materialized view "w" is ${NOT} (a temporal join looks rows up in a table; drop the clause to join the view's rows as they change)`,
    ],
    [
      `WITH q AS (SELECT a FROM c) SELECT t.a FROM t JOIN q ${T} ON t.a = q.a`,
      U,
      "q FOR",
      `${T} on a subquery or WITH query is ${NOT} (a temporal join looks rows up in a table; name a table, or drop the clause for a regular join)`,
    ],
  ])("%s", (select, code, at, detail) => {
    const sql = `CREATE MATERIALIZED VIEW v AS ${select}`;
    const e = sqlErrorOf(() => planOne(sql, withKinds));
    const [needle, nth] = typeof at === "string" ? [at, 0] : at;
    expect({ code: e.code, message: e.message }).toEqual({
      code,
      message: `${positionOf(sql, needle, nth)}: ${detail}`,
    });
  });

  it("plans a table on the right as a temporal join", () => {
    const statement = planOne(
      `CREATE MATERIALIZED VIEW v AS SELECT t.a, c.n FROM t JOIN c ${T} ON t.a = c.a`,
      withKinds,
    );
    expect(
      statement.kind === "create_view" && statement.query.kind === "project" && statement.query.input,
    ).toMatchObject({
      kind: "join",
      temporal: true,
    });
  });
});
