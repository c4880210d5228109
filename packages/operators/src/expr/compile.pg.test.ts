import { PGlite } from "@electric-sql/pglite";
import type { SqlType } from "@jetflow/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, col, type Expr, lit } from "./expr.js";
import { batchFrom, schemaFrom } from "../test-support.js";
import { compileExpr } from "./compile.js";

/**
 * Differential test: each expression is evaluated by jetflow and by PostgreSQL (PGlite) over the
 * same random rows, compared as PostgreSQL's text output (`CAST(expr AS varchar)` on our side).
 * Rows where PostgreSQL raises (division by zero, overflow) must be NULL on our side.
 */

const schema = schemaFrom({
  i: "integer",
  s: "smallint",
  b: "bigint",
  d: "double precision",
  n: "numeric",
  v: "varchar",
  t: "timestamptz",
});
const cast = (e: Expr, kind: string): Expr => ({ kind: "cast", expr: e, type: { kind } as SqlType });
const iv = { kind: "interval" } as SqlType;

const CASES: [sql: string, expr: Expr][] = [
  ["i + s", call("+", col("i"), col("s"))],
  ["i * b", call("*", col("i"), col("b"))],
  ["i / s", call("/", col("i"), col("s"))],
  ["b % i", call("%", col("b"), col("i"))],
  ["i - d", call("-", col("i"), col("d"))],
  ["d / i", call("/", col("d"), col("i"))],
  ["n + i", call("+", col("n"), col("i"))],
  ["n * n", call("*", col("n"), col("n"))],
  ["n / i", call("/", col("n"), col("i"))],
  ["n % i", call("%", col("n"), col("i"))],
  ["b / n", call("/", col("b"), col("n"))],
  ["n + d", call("+", col("n"), col("d"))],
  ["-i", call("neg", col("i"))],
  ["abs(n)", call("abs", col("n"))],
  ["round(n, 2)", call("round", col("n"), lit(2))],
  ["round(d)", call("round", col("d"))],
  ["floor(n)", call("floor", col("n"))],
  ["ceil(d)", call("ceil", col("d"))],
  ["i < d", call("<", col("i"), col("d"))],
  ["n >= i", call(">=", col("n"), col("i"))],
  ["i between s and b", call("between", col("i"), col("s"), col("b"))],
  ["i in (s, 3, null)", call("in", col("i"), col("s"), lit(3), lit(null))],
  ["coalesce(i, s)", call("coalesce", col("i"), col("s"))],
  ["nullif(i, s)", call("nullif", col("i"), col("s"))],
  ["i::varchar || v", call("||", cast(col("i"), "varchar"), col("v"))],
  ["upper(v)", call("upper", col("v"))],
  ["length(v)", call("length", col("v"))],
  ["substr(v, s, 3)", call("substr", col("v"), col("s"), lit(3))],
  ["v like '%a_'", call("like", col("v"), lit("%a_"))],
  ["v ilike 'B%'", call("ilike", col("v"), lit("B%"))],
  ["d::numeric", cast(col("d"), "numeric")],
  ["n::double precision", cast(col("n"), "double precision")],
  ["d::integer", cast(col("d"), "integer")],
  ["n::bigint", cast(col("n"), "bigint")],
  ["d::real", cast(col("d"), "real")],
  ["d", col("d")],
  ["t", col("t")],
  ["date_trunc('hour', t)", call("date_trunc", lit("hour"), col("t"))],
  ["date_trunc('week', t)", call("date_trunc", lit("week"), col("t"))],
  ["extract(epoch from t)", call("extract", lit("epoch"), col("t"))],
  ["extract(dow from t)", call("extract", lit("dow"), col("t"))],
  ["extract(week from t)", call("extract", lit("week"), col("t"))],
  ["extract(second from t)", call("extract", lit("second"), col("t"))],
  ["t::date", cast(col("t"), "date")],
  ["t + interval '1 month 2 hours'", call("+", col("t"), lit("1 month 2 hours", { kind: "interval" }))],
  ["concat(v, d, i, n)", call("concat", col("v"), col("d"), col("i"), col("n"))],
  ["btrim(v, 'a_')", call("btrim", col("v"), lit("a_"))],
  ["to_timestamp(d)", call("to_timestamp", col("d"))],
  ["n * 7 / 3", call("/", call("*", col("n"), lit(7)), lit(3))],
  ["b::numeric / 7", call("/", cast(col("b"), "numeric"), lit(7))],
  ["d * d", call("*", col("d"), col("d"))],
  ["s * s * s", call("*", call("*", col("s"), col("s")), col("s"))],
  ["b + b", call("+", col("b"), col("b"))],
  ["date_trunc('month', t)", call("date_trunc", lit("month"), col("t"))],
  ["extract(doy from t)", call("extract", lit("doy"), col("t"))],
  ["case when i > s then 'gt' when i < s then 'lt' end", caseOf()],
  ["-n", call("neg", col("n"))],
  ["n - d", call("-", col("n"), col("d"))],
  ["n > 1", call(">", col("n"), lit(1))],
  ["coalesce(n, i)", call("coalesce", col("n"), col("i"))],
  ["t::date + time '12:34:56.5'", call("+", cast(col("t"), "date"), lit("12:34:56.5", { kind: "time" }))],
  ["t::time + interval '5 hours 1 minute'", call("+", cast(col("t"), "time"), lit("5 hours 1 minute", iv))],
  ["t::time - interval '1 day 25 hours'", call("-", cast(col("t"), "time"), lit("1 day 25 hours", iv))],
  ["t::time - time '12:00'", call("-", cast(col("t"), "time"), lit("12:00", { kind: "time" }))],
  ["interval '1 mon 2 days 03:00:00' * d", call("*", lit("1 mon 2 days 03:00:00", iv), col("d"))],
  ["interval '1 year 1 mon 1 day 00:00:01.5' / i", call("/", lit("1 year 1 mon 1 day 00:00:01.5", iv), col("i"))],
  ["s * interval '1 mon 10 days'", call("*", col("s"), lit("1 mon 10 days", iv))],
];

function caseOf(): Expr {
  const branch = (when: Expr, result: Expr) => {
    // biome-ignore lint/suspicious/noThenProperty: the Expr contract names the CASE result `then`
    return { when, then: result };
  };
  return {
    kind: "case",
    operand: undefined,
    branches: [branch(call(">", col("i"), col("s")), lit("gt")), branch(call("<", col("i"), col("s")), lit("lt"))],
    else: undefined,
  };
}

type Row = {
  i: number | null;
  s: number | null;
  b: bigint | null;
  d: number | null;
  n: string | null;
  v: string | null;
  t: bigint | null;
};

const rowArb: fc.Arbitrary<Row> = fc.record({
  i: fc.option(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.integer()), { nil: null }),
  s: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
  b: fc.option(fc.oneof(fc.bigInt({ min: -100n, max: 100n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })), {
    nil: null,
  }),
  d: fc.option(
    fc.oneof(
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
      fc.integer({ min: -400, max: 400 }).map((x) => x / 8),
      // Below 2^53: PGlite (PostgreSQL in wasm) prints some integral doubles in 1e16..1e18 with 17
      // digits where JS and our formatter print the shortest 15-16 (2.986682213600431e+16).
      fc.double({ min: -(2 ** 53), max: 2 ** 53, noNaN: true, noDefaultInfinity: true }),
    ),
    { nil: null },
  ),
  n: fc.option(
    fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom("NaN", "Infinity", "-Infinity") },
      {
        weight: 6,
        arbitrary: fc
          .tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 6 }))
          .map(([u, sc]) => {
            const digits = (u < 0n ? -u : u).toString().padStart(sc + 1, "0");
            return `${u < 0n ? "-" : ""}${sc === 0 ? digits : `${digits.slice(0, -sc)}.${digits.slice(-sc)}`}`;
          }),
      },
    ),
    { nil: null },
  ),
  v: fc.option(fc.stringMatching(/^[a-cA-C_%]{0,6}$/), { nil: null }),
  t: fc.option(fc.bigInt({ min: 0n, max: 4_102_444_800_000_000n }), { nil: null }),
});

let pg: PGlite;
beforeAll(async () => {
  pg = new PGlite();
  await pg.exec("set timezone = 'UTC'");
});
afterAll(async () => {
  await pg.close();
});

async function pgValue(sql: string, r: Row): Promise<string | null | "ERROR"> {
  const lits = {
    i: r.i === null ? "null::int" : `(${r.i})::int`,
    s: r.s === null ? "null::smallint" : `(${r.s})::smallint`,
    b: r.b === null ? "null::bigint" : `(${r.b})::bigint`,
    d: r.d === null ? "null::float8" : `'${Object.is(r.d, -0) ? "-0" : r.d}'::float8`,
    n: r.n === null ? "null::numeric" : `'${r.n}'::numeric`,
    v: r.v === null ? "null::text" : `'${r.v}'::text`,
    t: r.t === null ? "null::timestamptz" : `to_timestamp(0) + interval '${r.t} microseconds'`,
  };
  const from = Object.entries(lits)
    .map(([k, v]) => `${v} as ${k}`)
    .join(", ");
  try {
    const res = await pg.query<{ x: string | null }>(`select (${sql})::text as x from (select ${from}) q`);
    return res.rows[0]?.x ?? null;
  } catch {
    return "ERROR";
  }
}

/** The largest time part of a jetflow interval, int64 nanoseconds, in microseconds. */
const MAX_INTERVAL_TIME_US = 9_223_372_036_854_775n;

/**
 * Whether PostgreSQL's interval text has a time part beyond int64 nanoseconds (±2562047 hours):
 * PostgreSQL's microseconds hold it, jetflow's intervals (Arrow MonthDayNano) do not, so it is NULL there.
 */
function beyondNanos(text: string | null): boolean {
  const time = text?.match(/(-?)(\d+):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/);
  if (time === null || time === undefined) return false;
  const [, , h, m, sec, frac] = time;
  const us = ((BigInt(h as string) * 60n + BigInt(m as string)) * 60n + BigInt(sec as string)) * 1_000_000n;
  return us + BigInt((frac ?? "").padEnd(6, "0")) > MAX_INTERVAL_TIME_US;
}

describe("expressions against PostgreSQL", () => {
  it.each(CASES)("%s", async (sql, expr) => {
    const compiled = compileExpr(cast(expr, "varchar"), schema);
    // jetflow's timestamps and intervals have no ±infinity (PostgreSQL 17 has): keep d finite where it makes one.
    const finiteOnly = /to_timestamp|interval/.test(sql);
    const rowsArb = fc
      .array(rowArb, { minLength: 1, maxLength: 8 })
      .map((rows) => (finiteOnly ? rows.map((r) => (Number.isFinite(r.d ?? 0) ? r : { ...r, d: null })) : rows));
    await fc.assert(
      fc.asyncProperty(rowsArb, async (rows) => {
        const ours = [...compiled.evaluate(batchFrom(schema, rows))];
        for (const [k, r] of rows.entries()) {
          const theirs = await pgValue(sql, r);
          expect({ sql, row: r, value: ours[k] ?? null }).toEqual({
            sql,
            row: r,
            value: theirs === "ERROR" || beyondNanos(theirs) ? null : theirs,
          });
        }
      }),
      { numRuns: 8 },
    );
  });
});

describe("interval times a double as PostgreSQL does", () => {
  // The time part passes 2^53 µs here (an exact integer check refused it) but stays within int64 nanoseconds.
  it.each([833_998.8479805167, -833_998.8479805167, 2.5e-7])("interval '1 mon 2 days 03:00:00' * %s", async (d) => {
    const compiled = compileExpr(cast(call("*", lit("1 mon 2 days 03:00:00", iv), col("d")), "varchar"), schema);
    const row: Row = { i: null, s: null, b: null, d, n: null, v: null, t: null };
    const [ours] = [...compiled.evaluate(batchFrom(schema, [row]))];
    expect(ours ?? null).toBe(await pgValue("interval '1 mon 2 days 03:00:00' * d", row));
  });

  it("gives NULL past int64 nanoseconds of time, where PostgreSQL's microseconds still hold it", async () => {
    const compiled = compileExpr(call("*", lit("1 mon 2 days 03:00:00", iv), col("d")), schema);
    const row: Row = { i: null, s: null, b: null, d: 1e7, n: null, v: null, t: null };
    expect([...compiled.evaluate(batchFrom(schema, [row]))]).toEqual([null]);
    expect(beyondNanos(await pgValue("interval '1 mon 2 days 03:00:00' * d", row))).toBe(true);
  });
});

describe("to_timestamp rounds as PostgreSQL does", () => {
  // Halfway between two microseconds once shifted to PostgreSQL's 2000-01-01 epoch: rint (half to even).
  const SECONDS = [
    1.0682425, 0.0000005, 0.0000015, -0.0000005, 1.5e-7, 1_700_000_000.0000005, -1_234.5678905,
    // PostgreSQL's range: 4714-11-24 BC to 294277 AD; outside it, an error (NULL here).
    -210_866_803_200, -210_866_803_200.5, -210_866_803_199.5, -62_135_596_800.5, -1e12, 9_223_372_036_000.5,
    9_224_318_016_000, 9.2e12,
  ];
  it.each(SECONDS)("to_timestamp(%s)", async (d) => {
    const compiled = compileExpr(cast(call("to_timestamp", col("d")), "varchar"), schema);
    const row: Row = { i: null, s: null, b: null, d, n: null, v: null, t: null };
    const [ours] = [...compiled.evaluate(batchFrom(schema, [row]))];
    const theirs = await pgValue("to_timestamp(d)", row);
    expect(ours ?? null).toBe(theirs === "ERROR" ? null : theirs);
  });

  it("gives NULL past int64 microseconds since 1970 (294247 AD), where PostgreSQL still has years", () => {
    const compiled = compileExpr(call("to_timestamp", col("d")), schema);
    const row: Row = { i: null, s: null, b: null, d: 9_224_318_015_999.5, n: null, v: null, t: null };
    expect([...compiled.evaluate(batchFrom(schema, [row]))]).toEqual([null]);
  });
});
