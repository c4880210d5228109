import { ErrorCode, parseSqlType, schemaOf, type SqlType } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { ExpressionError } from "../errors.js";
import { call, col, type Expr, lit } from "./expr.js";
import { batchFrom, schemaFrom } from "../test-support.js";
import { compileExpr } from "./compile.js";

const schema = schemaFrom({
  i: "integer",
  s: "smallint",
  b: "bigint",
  d: "double precision",
  r: "real",
  n: "numeric",
  v: "varchar",
  p: "boolean",
  q: "boolean",
  t: "timestamptz",
  ts: "timestamp",
  dt: "date",
});

const row = {
  i: 7,
  s: 3,
  b: 10n,
  d: 2.5,
  r: 1.5,
  n: "1.10",
  v: "Hello",
  p: true,
  q: null,
  t: 1_704_067_200_123_456n, // 2024-01-01T00:00:00.123456Z
  ts: 1_704_067_200_000_000n,
  dt: 19723, // 2024-01-01
};
const batch = batchFrom(schema, [row]);

/** Evaluates `e` over the one-row batch; returns [sql type, value]. */
function ev(e: Expr): [string, unknown] {
  const c = compileExpr(e, schema);
  return [c.type.kind, c.evaluate(batch).get(0)];
}
/** A CASE branch (built without an object literal `then`, which linters flag as a thenable). */
function branch(when: Expr, result: Expr): { when: Expr; then: Expr } {
  // biome-ignore lint/suspicious/noThenProperty: the Expr contract names the CASE result `then`
  return { when, then: result };
}
const typed = (value: string, kind: string) => lit(value, { kind } as SqlType);

describe("arithmetic", () => {
  it.each<[string, Expr, string, unknown]>([
    ["int + int", call("+", col("i"), lit(1)), "integer", 8],
    ["smallint + smallint stays smallint", call("+", col("s"), col("s")), "smallint", 6],
    ["int + bigint -> bigint", call("+", col("i"), col("b")), "bigint", 17n],
    ["integer division truncates", call("/", col("i"), lit(2)), "integer", 3],
    ["negative integer division truncates toward zero", call("/", lit(-7), lit(2)), "integer", -3],
    ["modulo keeps the dividend's sign", call("%", lit(-7), lit(3)), "integer", -1],
    ["int * double -> double", call("*", col("i"), col("d")), "double precision", 17.5],
    ["real + real stays real", call("+", col("r"), col("r")), "real", 3],
    ["real + int -> double", call("+", col("r"), col("i")), "double precision", 8.5],
    ["numeric + int -> numeric, exact", call("+", col("n"), col("i")), "numeric", "8.10"],
    ["numeric literal * int", call("*", lit(1.5), col("i")), "numeric", "10.5"],
    [
      "numeric / numeric uses PostgreSQL's scale",
      call("/", typed("1", "numeric"), typed("3", "numeric")),
      "numeric",
      "0.33333333333333333333",
    ],
    ["bigint division", call("/", col("b"), lit(3)), "bigint", 3n],
    ["unary minus", call("neg", col("i")), "integer", -7],
    ["untyped string literal adopts the other side's type", call("+", col("i"), lit("5")), "integer", 12],
  ])("%s", (_name, e, type, value) => {
    expect(ev(e)).toEqual([type, value]);
  });

  it("turns division by zero into NULL and counts it", () => {
    const c = compileExpr(call("/", col("i"), lit(0)), schema);
    expect(c.evaluate(batch).get(0)).toBeNull();
    expect(c.evaluate(batch).get(0)).toBeNull();
    expect(c.warnings.divisionByZero).toBe(2);
    expect(ev(call("/", col("d"), lit(0)))).toEqual(["double precision", null]);
    expect(ev(call("/", col("n"), lit(0)))).toEqual(["numeric", null]);
    expect(ev(call("%", col("b"), lit(0)))).toEqual(["bigint", null]);
  });

  it("turns integer overflow into NULL and counts it", () => {
    const c = compileExpr(call("*", lit(2147483647), col("i")), schema);
    expect(c.evaluate(batch).get(0)).toBeNull();
    expect(c.warnings.overflow).toBe(1);
    expect(ev(call("*", lit(9223372036854775807n), col("b")))).toEqual(["bigint", null]);
  });

  it("adds intervals to timestamps and subtracts timestamps", () => {
    const plusHour = compileExpr(call("+", col("ts"), typed("1 hour", "interval")), schema);
    expect(plusHour.type.kind).toBe("timestamp");
    expect(plusHour.evaluate(batch).get(0)).toBe(1_704_070_800_000); // Arrow reads timestamps as ms
    const month = compileExpr(call("+", typed("2024-01-31", "timestamp"), typed("1 month", "interval")), schema);
    expect(new Date(month.evaluate(batch).get(0) as number).toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(ev(call("+", col("dt"), lit(1)))[0]).toBe("date");
    expect(ev(call("-", col("dt"), typed("2023-12-25", "date")))).toEqual(["integer", 7]);
    expect(compileExpr(call("-", col("t"), col("t")), schema).type.kind).toBe("interval");
  });

  it("rejects operators that do not exist, naming the types", () => {
    expect(() => compileExpr(call("+", col("v"), col("i")), schema)).toThrow(
      /operator does not exist: varchar \+ integer/,
    );
    expect(() => compileExpr(call("+", col("v"), col("i")), schema)).toThrow(ExpressionError);
  });
});

describe("NULL semantics", () => {
  // p = TRUE, q = NULL; lit(false) = FALSE
  const T = col("p");
  const N = col("q");
  const F = lit(false);
  it.each<[string, Expr, unknown]>([
    ["TRUE AND NULL", call("and", T, N), null],
    ["FALSE AND NULL", call("and", F, N), false],
    ["NULL AND NULL", call("and", N, N), null],
    ["TRUE OR NULL", call("or", T, N), true],
    ["FALSE OR NULL", call("or", F, N), null],
    ["NOT NULL", call("not", N), null],
    ["NOT TRUE", call("not", T), false],
    ["NULL = NULL", call("=", N, N), null],
    ["1 = NULL", call("=", lit(1), lit(null)), null],
    ["NULL IS NULL", call("is_null", N), true],
    ["TRUE IS NOT NULL", call("is_not_null", T), true],
    ["NULL IS TRUE", call("is_true", N), false],
    ["NULL IS FALSE", call("is_false", N), false],
    ["i + NULL", call("+", col("i"), lit(null)), null],
    ["7 IN (1, NULL)", call("in", col("i"), lit(1), lit(null)), null],
    ["7 IN (7, NULL)", call("in", col("i"), lit(7), lit(null)), true],
    ["7 IN (1, 2)", call("in", col("i"), lit(1), lit(2)), false],
    ["7 BETWEEN 1 AND NULL", call("between", col("i"), lit(1), lit(null)), null],
    ["7 BETWEEN 8 AND NULL", call("between", col("i"), lit(8), lit(null)), false],
    ["COALESCE(NULL, NULL, 3)", call("coalesce", lit(null), lit(null), lit(3)), 3],
    ["NULLIF(7, 7)", call("nullif", col("i"), lit(7)), null],
    ["NULLIF(7, 1)", call("nullif", col("i"), lit(1)), 7],
    ["'a' || NULL", call("||", lit("a"), lit(null)), null],
    ["concat('a', NULL, 'b')", call("concat", lit("a"), lit(null), lit("b")), "ab"],
    ["NULL LIKE 'a%'", call("like", lit(null), lit("a%")), null],
  ])("%s", (_name, e, value) => {
    expect(ev(e)[1]).toEqual(value);
  });

  it("evaluates whole columns with NULLs in the middle", () => {
    const s = schemaFrom({ x: "integer", y: "integer" });
    const b = batchFrom(s, [
      { x: 1, y: 2 },
      { x: null, y: 2 },
      { x: 3, y: null },
      { x: 4, y: 0 },
    ]);
    expect([...compileExpr(call("/", col("x"), col("y")), s).evaluate(b)]).toEqual([0, null, null, null]);
    expect([...compileExpr(call(">", col("x"), col("y")), s).evaluate(b)]).toEqual([false, null, null, true]);
  });
});

describe("CASE and CAST", () => {
  it("picks the first true branch, NULL when none and no ELSE", () => {
    const e: Expr = {
      kind: "case",
      operand: undefined,
      branches: [branch(call(">", col("i"), lit(10)), lit("big")), branch(call(">", col("i"), lit(5)), lit("medium"))],
      else: undefined,
    };
    expect(ev(e)).toEqual(["varchar", "medium"]);
    const simple: Expr = {
      kind: "case",
      operand: col("i"),
      branches: [branch(lit(1), lit(1.5))],
      else: col("i"),
    };
    expect(ev(simple)).toEqual(["numeric", "7"]);
    const none: Expr = {
      kind: "case",
      operand: undefined,
      branches: [branch(col("q"), lit(1))],
      else: undefined,
    };
    expect(ev(none)).toEqual(["integer", null]);
  });

  it.each<[string, unknown, string, unknown]>([
    ["integer", 7, "varchar", "7"],
    ["double precision", 2.5, "integer", 2], // round half to even
    ["double precision", 3.5, "integer", 4],
    ["numeric", "2.5", "integer", 3], // numeric rounds half away from zero
    ["varchar", " 42 ", "integer", 42],
    ["varchar", "abc", "integer", null],
    ["varchar", "2024-01-01 10:00:00+02", "timestamptz", Date.UTC(2024, 0, 1, 8)],
    ["varchar", "yes", "boolean", true],
    ["boolean", true, "integer", 1],
    ["double precision", 1e20, "varchar", "1e+20"],
    ["double precision", 0.1, "numeric", "0.1"],
    ["double precision", 1 / 3, "numeric", "0.333333333333333"],
    ["bigint", 12n, "numeric", "12"],
    ["numeric", "1.50", "double precision", 1.5],
    ["timestamptz", 1_704_067_200_123_456n, "varchar", "2024-01-01 00:00:00.123456+00"],
    ["timestamptz", 1_704_067_200_123_456n, "date", Date.UTC(2024, 0, 1)],
    ["date", 19723, "varchar", "2024-01-01"],
    ["varchar", '{"b":1,"a":[1,2]}', "jsonb", '{"a": [1, 2], "b": 1}'],
    ["varchar", "1 day 02:00:00", "interval", undefined],
    ["integer", 70000, "smallint", null],
  ])("CAST(%s %s AS %s) = %s", (from, value, to, expected) => {
    const s = schemaFrom({ x: from });
    const b = batchFrom(s, [{ x: value as never }]);
    const c = compileExpr({ kind: "cast", expr: col("x"), type: { kind: to } as SqlType }, s);
    const got = c.evaluate(b).get(0);
    if (to === "interval") {
      expect(
        compileExpr(
          {
            kind: "cast",
            expr: { kind: "cast", expr: col("x"), type: { kind: to } as SqlType },
            type: { kind: "varchar" },
          },
          s,
        )
          .evaluate(b)
          .get(0),
      ).toBe("1 day 02:00:00");
    } else expect(got).toEqual(expected);
    if (expected === null) expect(c.warnings.invalidInput + c.warnings.overflow).toBe(1);
  });

  it("rejects casts PostgreSQL does not have", () => {
    expect(() => compileExpr({ kind: "cast", expr: col("dt"), type: { kind: "integer" } }, schema)).toThrow(
      /cannot cast type date to integer/,
    );
  });

  it("fails at compile time on a literal that does not parse", () => {
    expect(() => compileExpr(lit("nope", { kind: "timestamp" }), schema)).toThrow(
      /invalid input syntax for type timestamp/,
    );
  });
});

describe("functions", () => {
  it.each<[string, Expr, unknown]>([
    ["lower", call("lower", col("v")), "hello"],
    ["upper", call("upper", col("v")), "HELLO"],
    ["length counts characters", call("length", lit("héllo😀")), 6],
    ["substr", call("substr", col("v"), lit(2), lit(3)), "ell"],
    ["substr from 0 eats into the count", call("substr", col("v"), lit(0), lit(3)), "He"],
    ["substr without count", call("substr", col("v"), lit(3)), "llo"],
    ["trim", call("trim", lit("  x  ")), "x"],
    ["ltrim chars", call("ltrim", lit("xxay"), lit("x")), "ay"],
    ["concat mixes types", call("concat", col("v"), lit(1), col("p")), "Hello1true"],
    ["|| casts the other side", call("||", col("v"), col("i")), "Hello7"],
    ["like", call("like", col("v"), lit("H_l%")), true],
    ["like is case sensitive", call("like", col("v"), lit("h%")), false],
    ["ilike", call("ilike", col("v"), lit("h%O")), true],
    ["like escapes", call("like", lit("50%"), lit("50\\%")), true],
    ["like with regex characters", call("like", lit("a.b"), lit("a.b")), true],
    ["abs", call("abs", lit(-3)), 3],
    ["round double half to even", call("round", lit(2.5, { kind: "double precision" })), 2],
    ["round numeric half away from zero", call("round", lit("2.5", { kind: "numeric" })), "3"],
    ["round numeric to a scale", call("round", col("n"), lit(1)), "1.1"],
    ["floor", call("floor", lit(-1.5, { kind: "double precision" })), -2],
    ["ceil numeric", call("ceil", lit("-1.5", { kind: "numeric" })), "-1"],
    ["round integer gives double", call("round", col("i")), 7],
    ["extract year", call("extract", lit("year"), col("t")), "2024"],
    ["extract second has 6 decimals", call("extract", lit("second"), col("t")), "0.123456"],
    ["extract epoch", call("extract", lit("epoch"), col("t")), "1704067200.123456"],
    ["extract dow (Monday = 1)", call("extract", lit("dow"), col("t")), "1"],
    ["date_part gives double", call("date_part", lit("month"), col("t")), 1],
    ["date_trunc hour", call("date_trunc", lit("hour"), col("t")), Date.UTC(2024, 0, 1)],
    [
      "date_trunc week starts Monday",
      call("date_trunc", lit("week"), typed("2024-01-07 12:00", "timestamp")),
      Date.UTC(2024, 0, 1),
    ],
    [
      "date_trunc month",
      call("date_trunc", lit("month"), typed("2024-02-29 12:00", "timestamp")),
      Date.UTC(2024, 1, 1),
    ],
    ["to_timestamp", call("to_timestamp", lit(1.5, { kind: "double precision" })), 1500],
    ["compare timestamp with text", call(">", col("t"), lit("2023-12-31")), true],
    ["compare numeric exactly", call("=", typed("1.10", "numeric"), typed("1.1", "numeric")), true],
    ["compare date with timestamp", call("<", col("dt"), col("t")), true],
  ])("%s", (_name, e, value) => {
    expect(ev(e)[1]).toEqual(value);
  });

  it("names unknown columns and the columns there are", () => {
    const err = (() => {
      try {
        compileExpr(call("+", col("nope"), lit(1)), schema);
      } catch (e) {
        return e as ExpressionError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ExpressionError);
    expect(err?.code).toBe(ErrorCode.SqlName);
    expect(err?.message).toMatch(/column "nope" does not exist \(columns: "i", "s"/);
  });

  it("rejects unknown date_trunc units and functions", () => {
    expect(() => compileExpr(call("date_trunc", lit("fortnight"), col("t")), schema)).toThrow(/unit "fortnight"/);
    expect(() => compileExpr(call("lower", col("i")), schema)).toThrow(/function lower\(integer\) does not exist/);
  });
});

describe("PostgreSQL semantics the SQL differential tests found", () => {
  it.each<[string, Expr, unknown]>([
    // UTF-16 order would put U+1F680 (a surrogate pair, D83D DE80) before U+FF58.
    ["text compares in code point order", call("<", lit("emoji 🚀"), lit("emoji ｘ")), false],
    ["text compares in code point order (reverse)", call(">", lit("emoji 🚀"), lit("emoji ｘ")), true],
    ["numeric NaN is above Infinity", call(">", typed("NaN", "numeric"), typed("Infinity", "numeric")), true],
    [
      "numeric Infinity - Infinity is NaN",
      call("-", typed("Infinity", "numeric"), typed("Infinity", "numeric")),
      "NaN",
    ],
    ["numeric NaN / 0 is NaN", call("/", typed("NaN", "numeric"), lit(0)), "NaN"],
    ["numeric 5 / Infinity is 0", call("/", lit(5), typed("Infinity", "numeric")), "0"],
    ["numeric 5.50 % -Infinity is 5.50", call("%", typed("5.50", "numeric"), typed("-Infinity", "numeric")), "5.50"],
    ["-(numeric -Infinity)", call("neg", typed("-Infinity", "numeric")), "Infinity"],
    [
      "numeric NaN as double",
      { kind: "cast", expr: typed("NaN", "numeric"), type: { kind: "double precision" } },
      Number.NaN,
    ],
    [
      "double -Infinity as numeric",
      { kind: "cast", expr: lit(-Infinity, { kind: "double precision" }), type: { kind: "numeric" } },
      "-Infinity",
    ],
    ["round(numeric NaN, 2)", call("round", typed("NaN", "numeric"), lit(2)), "NaN"],
    ["double NaN / 0 is NaN", call("/", lit(Number.NaN, { kind: "double precision" }), lit(0)), Number.NaN],
  ])("%s", (_name, e, value) => {
    expect(ev(e)[1]).toEqual(value);
  });

  it("types COALESCE and CASE like UNION (real stays real), arithmetic like operators", () => {
    expect(ev(call("coalesce", col("r"), lit(2)))[0]).toBe("real");
    expect(ev(call("coalesce", lit(2), col("r")))[0]).toBe("real");
    expect(ev(call("coalesce", col("n"), col("r")))[0]).toBe("real");
    expect(ev(call("coalesce", col("i"), col("n")))[0]).toBe("numeric");
    expect(ev(call("+", col("r"), lit(2)))[0]).toBe("double precision");
  });

  it("date + time, time ± interval (wrapping), time - time, interval * and / numbers", () => {
    const time = (t: string) => typed(t, "time");
    const interval = (t: string) => typed(t, "interval");
    const text = (e: Expr) => ev({ kind: "cast", expr: e, type: { kind: "varchar" } })[1];
    expect(text(call("+", col("dt"), time("12:30:00")))).toBe("2024-01-01 12:30:00");
    expect(text(call("+", time("23:00"), interval("1 day 2 hours")))).toBe("01:00:00");
    expect(text(call("-", time("01:00"), interval("90 minutes")))).toBe("23:30:00");
    expect(text(call("-", time("01:00"), time("03:30")))).toBe("-02:30:00");
    expect(text(call("*", interval("1 mon 2 days 03:00:00"), lit(2)))).toBe("2 mons 4 days 06:00:00");
    expect(text(call("*", lit(1.5, { kind: "double precision" }), interval("1 mon 1 day")))).toBe(
      "1 mon 16 days 12:00:00",
    );
    expect(text(call("/", interval("1 year 1 mon"), lit(2)))).toBe("6 mons 15 days");
    expect(text(call("*", interval("1 day 02:00:00"), lit(-1)))).toBe("-1 days -02:00:00");
    expect(ev(call("/", interval("1 day"), lit(0)))[1]).toBeNull();
  });

  it("prints intervals as PostgreSQL does: plural unless exactly 1, '+' after a negative field", () => {
    const text = (t: string) => ev({ kind: "cast", expr: typed(t, "interval"), type: { kind: "varchar" } })[1];
    expect(text("-1 day 2 hours")).toBe("-1 days +02:00:00");
    expect(text("-1 mon 3 days")).toBe("-1 mons +3 days");
    expect(text("1 year -1 mon")).toBe("11 mons");
    expect(text("-1 year -2 mons")).toBe("-1 years -2 mons");
  });
});

describe("struct IS [NOT] NULL tests the fields, as PostgreSQL tests a row", () => {
  it("IS NULL: the value or every field is NULL; IS NOT NULL: the value and every field are not", () => {
    const s = schemaOf([{ name: "st", type: parseSqlType("struct<a int, b varchar>") }]);
    const rows = [{ st: null }, { st: { a: null, b: null } }, { st: { a: 1, b: null } }, { st: { a: 1, b: "x" } }];
    const b = batchFrom(s, rows);
    const test = (wantNull: boolean) => [
      ...compileExpr(call(wantNull ? "is_null" : "is_not_null", col("st")), s).evaluate(b),
    ];
    expect(test(true)).toEqual([true, true, false, false]);
    expect(test(false)).toEqual([false, false, false, true]);
  });
});
