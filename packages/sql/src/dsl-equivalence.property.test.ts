// Random queries, each written twice from one description: as SQL text and with the TypeScript
// query builder. Both must plan to the same tree.
import {
  type JoinArgs,
  type Query,
  type Value,
  asc,
  avg,
  boolAnd,
  boolOr,
  col,
  count,
  desc,
  every,
  from,
  lit,
  max,
  min,
  stringAgg,
  sum,
  using,
} from "@jetflow/pipeline";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogOf, viewOf } from "./testing.js";

const catalog = catalogOf({
  t: ["a integer", "b varchar", "c bigint", "v double precision", "flag boolean"],
  l: ["k integer", "x integer", "s varchar"],
  r: ["k integer", "y bigint", "s varchar"],
});

/** One expression, in both spellings. */
interface Both {
  readonly sql: string;
  readonly dsl: Value;
}

const leaf = (sql: string, dsl: Value): Both => ({ sql, dsl });
const binary =
  (op: string, method: "plus" | "minus" | "times" | "div" | "eq" | "lt" | "ge" | "ne") =>
  (l: Both, r: Both): Both => ({
    sql: `(${l.sql} ${op} ${r.sql})`,
    dsl: l.dsl[method](r.dsl),
  });

const numeric: fc.Arbitrary<Both> = fc.letrec<{ num: Both }>((tie) => ({
  num: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("a", "c", "v").map((n) => leaf(n, col(n))),
    fc.integer({ min: 0, max: 1000 }).map((n) => leaf(String(n), lit(n))),
    fc
      .tuple(
        fc.constantFrom(binary("+", "plus"), binary("-", "minus"), binary("*", "times"), binary("/", "div")),
        tie("num"),
        tie("num"),
      )
      .map(([f, l, r]) => f(l, r)),
  ),
})).num;

const predicate: fc.Arbitrary<Both> = fc.letrec<{ p: Both }>((tie) => ({
  p: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc
      .tuple(
        fc.constantFrom(binary("=", "eq"), binary("<", "lt"), binary(">=", "ge"), binary("<>", "ne")),
        numeric,
        numeric,
      )
      .map(([f, l, r]) => f(l, r)),
    fc.constant(leaf("(b LIKE 'x%')", col("b").like("x%"))),
    fc.constant(leaf("(b IS NULL)", col("b").isNull())),
    fc.constant(leaf("flag", col("flag"))),
    fc
      .tuple(numeric, fc.integer({ min: 0, max: 9 }))
      .map(([n, k]) => leaf(`(${n.sql} IN (${k}, ${k + 1}))`, n.dsl.in(k, k + 1))),
    fc.tuple(tie("p"), tie("p")).map(([l, r]) => ({ sql: `(${l.sql} AND ${r.sql})`, dsl: l.dsl.and(r.dsl) })),
    fc.tuple(tie("p"), tie("p")).map(([l, r]) => ({ sql: `(${l.sql} OR ${r.sql})`, dsl: l.dsl.or(r.dsl) })),
    tie("p").map((p) => ({ sql: `(NOT ${p.sql})`, dsl: p.dsl.not() })),
  ),
})).p;

const aggregate: fc.Arbitrary<Both> = fc.oneof(
  fc.constant(leaf("count(*)", count())),
  fc.tuple(fc.constantFrom("sum", "avg", "min", "max"), numeric).map(([fn, n]) => ({
    sql: `${fn}(${n.sql})`,
    dsl: { sum, avg, min, max }[fn as "sum"](n.dsl),
  })),
  fc.constantFrom("a", "b", "c").map((n) => leaf(`count(DISTINCT ${n})`, count(col(n), { distinct: true }))),
  fc.tuple(fc.constantFrom("sum", "avg", "min", "max", "count"), numeric, predicate).map(([fn, n, p]) => ({
    sql: `${fn}(${n.sql}) FILTER (WHERE ${p.sql})`,
    dsl: { sum, avg, min, max, count }[fn as "sum"](n.dsl, { filter: p.dsl }),
  })),
  predicate.map((p) => leaf(`count(*) FILTER (WHERE ${p.sql})`, count(undefined, { filter: p.dsl }))),
);

const filterSql = (f: Both | undefined): string => (f === undefined ? "" : ` FILTER (WHERE ${f.sql})`);
const filterDsl = (f: Both | undefined) => (f === undefined ? {} : { filter: f.dsl });

/** Aggregates that are not numbers: bool_and / bool_or / every, string_agg; FILTER or not. */
const otherAggregate: fc.Arbitrary<Both> = fc.oneof(
  fc
    .tuple(fc.constantFrom("bool_and", "bool_or", "every"), predicate, fc.option(predicate, { nil: undefined }))
    .map(([fn, p, f]) => ({
      sql: `${fn}(${p.sql})${filterSql(f)}`,
      dsl: { bool_and: boolAnd, bool_or: boolOr, every }[fn as "every"](p.dsl, filterDsl(f)),
    })),
  fc
    .tuple(fc.boolean(), fc.option(fc.boolean(), { nil: undefined }), fc.option(predicate, { nil: undefined }))
    .map(([distinct, down, f]) => ({
      sql: `string_agg(${distinct ? "DISTINCT " : ""}b, ','${down === undefined ? "" : ` ORDER BY b${down ? " DESC" : ""}`})${filterSql(f)}`,
      dsl: stringAgg(col("b"), ",", {
        distinct,
        ...(down === undefined ? {} : { orderBy: [down ? desc("b") : asc("b")] }),
        ...filterDsl(f),
      }),
    })),
);

/** An aggregate, arithmetic over two, or a boolean or text aggregate. */
const aggregated: fc.Arbitrary<Both> = fc.oneof(
  aggregate,
  fc.tuple(aggregate, aggregate).map(([l, r]) => binary("+", "plus")(l, r)),
  otherAggregate,
);

interface Case {
  readonly sql: string;
  readonly query: Query;
}

const clauses = (
  select: readonly Both[],
  where: Both | undefined,
  order: { key: Both; desc: boolean; limit: number } | undefined,
) => ({
  selectSql: select.map((s, i) => `${s.sql} AS o${i}`).join(", "),
  selectDsl: Object.fromEntries(select.map((s, i) => [`o${i}`, s.dsl])),
  whereSql: where === undefined ? "" : ` WHERE ${where.sql}`,
  orderSql: order === undefined ? "" : ` ORDER BY ${order.key.sql}${order.desc ? " DESC" : ""} LIMIT ${order.limit}`,
  apply: (q: Query) => {
    const filtered = where === undefined ? q : q.where(where.dsl);
    if (order === undefined) return filtered;
    return filtered.orderBy(order.desc ? desc(order.key.dsl) : order.key.dsl).limit(order.limit);
  },
});

const orderOf = (keys: fc.Arbitrary<Both>) =>
  fc.option(fc.record({ key: keys, desc: fc.boolean(), limit: fc.integer({ min: 0, max: 20 }) }), { nil: undefined });

const plainCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.array(numeric, { minLength: 1, maxLength: 3 }),
    fc.option(predicate, { nil: undefined }),
    // A bare integer in ORDER BY is a select-list position in SQL: keys are other expressions.
    orderOf(numeric.filter((n) => !/^\d+$/.test(n.sql))),
  )
  .map(([select, where, order]) => {
    const c = clauses(select, where, order);
    return {
      sql: `SELECT ${c.selectSql} FROM t${c.whereSql}${c.orderSql}`,
      query: c.apply(from("t").select(c.selectDsl)),
    };
  });

const groupedCase: fc.Arbitrary<Case> = fc
  .tuple(
    fc.subarray(["b", "flag", "a"], { minLength: 1 }),
    fc.array(aggregated, { minLength: 1, maxLength: 3 }),
    fc.option(predicate, { nil: undefined }),
    fc.option(fc.tuple(aggregate, fc.integer({ min: 0, max: 50 })), { nil: undefined }),
    orderOf(aggregated),
  )
  .map(([keys, aggregates, where, having, order]) => {
    const c = clauses(aggregates, where, order);
    const havingSql = having === undefined ? "" : ` HAVING ${having[0].sql} > ${having[1]}`;
    let query = from("t")
      .groupBy(...keys)
      .select(...keys, c.selectDsl);
    if (having !== undefined) query = query.having(having[0].dsl.gt(having[1]));
    return {
      sql: `SELECT ${keys.join(", ")}, ${c.selectSql} FROM t${c.whereSql} GROUP BY ${keys.join(", ")}${havingSql}${c.orderSql}`,
      query: c.apply(query),
    };
  });

/** A random 2-way join of l and r (aliased or not): its kind, condition, filter and outputs. */
const joinCase: fc.Arbitrary<Case> = fc
  .record({
    kind: fc.constantFrom(
      ["JOIN", "join"] as const,
      ["LEFT JOIN", "leftJoin"] as const,
      ["RIGHT JOIN", "rightJoin"] as const,
      ["FULL JOIN", "fullJoin"] as const,
    ),
    lq: fc.constantFrom("l", "a"),
    rq: fc.constantFrom("r", "b"),
    using: fc.option(fc.subarray(["k", "s"], { minLength: 1 }), { nil: undefined }),
    keys: fc.subarray(
      [
        ["k", "k"],
        ["x", "y"],
        ["s", "s"],
        ["x", "k"],
      ] as const,
      { minLength: 1 },
    ),
    residual: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
    where: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
    grouped: fc.boolean(),
  })
  .map(({ kind, lq, rq, using: names, keys, residual, where, grouped }) => {
    const sqlKind = kind[0];
    const method = kind[1];
    const q = (side: string, c: string) => `${side}.${c}`;
    let onSql: string;
    let on: Value | ReturnType<typeof using>;
    if (names !== undefined) {
      onSql = `USING (${names.join(", ")})`;
      on = using(names);
    } else {
      const parts = keys.map(([lc, rc]) => ({
        sql: `${q(lq, lc)} = ${q(rq, rc)}`,
        dsl: col(q(lq, lc)).eq(col(q(rq, rc))),
      }));
      if (residual !== undefined)
        parts.push({
          sql: `${q(lq, "x")} + ${residual} > ${q(rq, "y")}`,
          dsl: col(q(lq, "x"))
            .plus(residual)
            .gt(col(q(rq, "y"))),
        });
      onSql = `ON ${parts.map((p) => p.sql).join(" AND ")}`;
      on = parts.slice(1).reduce((a, p) => a.and(p.dsl), (parts[0] as Both).dsl);
    }
    const fromSql = `FROM l${lq === "l" ? "" : ` ${lq}`} ${sqlKind} r${rq === "r" ? "" : ` ${rq}`} ${onSql}`;
    let query = from("l", lq === "l" ? undefined : lq)[method]("r", ...((rq === "r" ? [on] : [rq, on]) as JoinArgs));
    let whereSql = "";
    if (where !== undefined) {
      whereSql = ` WHERE ${q(rq, "y")} > ${where} OR ${q(lq, "x")} IS NULL`;
      query = query.where(
        col(q(rq, "y"))
          .gt(where)
          .or(col(q(lq, "x")).isNull()),
      );
    }
    if (grouped) {
      return {
        sql: `SELECT ${q(lq, "s")}, count(*) AS n, sum(${q(rq, "y")}) AS total ${fromSql}${whereSql} GROUP BY ${q(lq, "s")}`,
        query: query.groupBy(q(lq, "s")).select(q(lq, "s"), { n: count(), total: sum(col(q(rq, "y"))) }),
      };
    }
    return {
      sql: `SELECT ${q(lq, "x")}, ${q(rq, "y")}, ${q(rq, "s")} AS rs ${fromSql}${whereSql}`,
      query: query.select(q(lq, "x"), q(rq, "y"), { rs: col(q(rq, "s")) }),
    };
  });

describe("random queries: the builder and SQL plan the same tree", () => {
  it.each([
    ["plain", plainCase],
    ["grouped", groupedCase],
    ["2-way join", joinCase],
  ] as const)("%s", (_name, cases) => {
    fc.assert(
      fc.property(cases, ({ sql, query }) => {
        expect(query.plan(catalog), sql).toStrictEqual(viewOf(sql, catalog));
      }),
      { numRuns: 300 },
    );
  });
});
