import { PGlite } from "@electric-sql/pglite";
import { parseSqlType, type SqlType, schemaOf } from "@jetflow/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromArrow } from "../columnar/col.js";
import { plainValues } from "../columnar/plain.js";
import { batchFrom, schemaFrom } from "../test-support.js";
import { compileExpr } from "./compile.js";
import { call, col, type Expr, lit } from "./expr.js";

/**
 * Differential test of jsonb access (`->`, `->>`, `#>>`, casts from them), array subscripts and
 * array_length against PostgreSQL (PGlite), over random JSON documents and arrays.
 */

const schema = schemaFrom({ doc: "jsonb", k: "varchar", i: "integer" });
const listSchema = schemaOf([
  { name: "xs", type: parseSqlType("integer[]", "xs") },
  { name: "i", type: { kind: "integer" } },
]);
const cast = (e: Expr, kind: string): Expr => ({ kind: "cast", expr: e, type: { kind } as SqlType });

const CASES: [sql: string, expr: Expr][] = [
  ["doc -> 'a'", call("json_get", col("doc"), lit("a"))],
  ["doc ->> 'a'", call("json_get_text", col("doc"), lit("a"))],
  ["doc -> k", call("json_get", col("doc"), col("k"))],
  ["doc ->> k", call("json_get_text", col("doc"), col("k"))],
  ["doc -> i", call("json_get", col("doc"), col("i"))],
  ["doc ->> 1", call("json_get_text", col("doc"), lit(1))],
  ["doc -> 'b' -> 0", call("json_get", call("json_get", col("doc"), lit("b")), lit(0))],
  ["doc #>> '{b,0}'", call("json_path_text", col("doc"), lit("{b,0}"))],
  ["doc #>> '{a}'", call("json_path_text", col("doc"), lit("{a}"))],
  ["(doc ->> 'a')::integer", cast(call("json_get_text", col("doc"), lit("a")), "integer")],
];

const key = fc.constantFrom("a", "b", "c");
const scalar = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom("x", "12", "a b"),
  fc.boolean(),
  fc.constant(null),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(key, tie("value"), { maxKeys: 3 }),
}));
const row = fc.record({
  doc: fc.option(
    value.map((v) => JSON.stringify(v)),
    { freq: 8 },
  ),
  k: fc.option(key, { freq: 5 }),
  i: fc.option(fc.integer({ min: -3, max: 3 }), { freq: 5 }),
});

let pg: PGlite;
beforeAll(async () => {
  pg = new PGlite();
  await pg.waitReady;
});
afterAll(async () => {
  await pg.close();
});

async function pgValue(sql: string, from: string): Promise<string | null> {
  const res = await pg.query<{ x: string | null }>(`select (${sql})::text as x from (select ${from}) q`);
  return res.rows[0]?.x ?? null;
}

function ours(expr: Expr, s: typeof listSchema, values: Record<string, unknown>): string | null {
  const batch = batchFrom(s, [values]);
  const v = compileExpr(cast(expr, "varchar"), s).evaluate(batch);
  return plainValues(fromArrow(v.data[0] as never, { kind: "varchar" }))[0] as string | null;
}

const quote = (v: unknown) => (v === null || v === undefined ? "null" : `'${String(v).replaceAll("'", "''")}'`);

describe("jsonb access and arrays equal PostgreSQL", () => {
  it.each(CASES)("%s", async (sql, expr) => {
    await fc.assert(
      fc.asyncProperty(row, async (r) => {
        const from = `${quote(r.doc)}::jsonb as doc, ${quote(r.k)}::varchar as k, ${r.i ?? "null"}::integer as i`;
        let expected: string | null;
        try {
          expected = await pgValue(sql, from);
        } catch {
          expected = null; // an invalid cast: jetflow gives NULL
        }
        expect(ours(expr, schema, r)).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("arr[i] and array_length(arr, 1)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.array(fc.option(fc.integer({ min: -9, max: 9 }), { freq: 4 }), { maxLength: 4 }), { freq: 6 }),
        fc.option(fc.integer({ min: -1, max: 5 }), { freq: 6 }),
        async (xs, i) => {
          const arr = xs === null ? "null::integer[]" : `array[${xs.map((x) => x ?? "null").join(",")}]::integer[]`;
          const from = `${arr} as xs, ${i ?? "null"}::integer as i`;
          const values = { xs, i };
          expect(ours(call("subscript", col("xs"), col("i")), listSchema, values)).toBe(await pgValue("xs[i]", from));
          expect(ours(call("array_length", col("xs"), lit(1)), listSchema, values)).toBe(
            await pgValue("array_length(xs, 1)", from),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it("(struct).field reads a field; a NULL struct gives NULL", () => {
    const structSchema = schemaOf([{ name: "s", type: parseSqlType("struct<a int, b varchar>", "s") }]);
    const read = (v: unknown) => ours(call("field", col("s"), lit("b")), structSchema, { s: v });
    expect(read({ a: 1, b: "x" })).toBe("x");
    expect(read(null)).toBe(null);
    expect(() => compileExpr(call("field", col("s"), lit("zz")), structSchema)).toThrow(/column "zz" not found/);
  });
});
