import { RETRACT } from "@jetflow/core";
import { PGlite } from "@electric-sql/pglite";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AggregateCall, col } from "./expr/expr.js";
import { formatFloat8 } from "./expr/text.js";
import { groupAggregate } from "./group-aggregate.js";
import { upsert } from "./upsert.js";
import { changeFrom, rowsOf, run, schemaFrom } from "./test-support.js";

/**
 * The real oracle: the same aggregates run by PostgreSQL (PGlite) over the final table must
 * print exactly what the incremental operators hold (avg scales, numeric sums, float text).
 */

const schema = schemaFrom({
  id: "integer",
  g: "varchar",
  x: "integer",
  b: "bigint",
  d: "double precision",
  n: "numeric",
});

type Row = { id: number; g: string; x: number | null; b: bigint | null; d: number | null; n: string | null };

const a = (name: string, fn: AggregateCall["fn"], arg?: string, distinct = false): AggregateCall => ({
  name,
  fn,
  arg: arg === undefined ? undefined : col(arg),
  distinct,
});
const AGGS = [
  a("cnt", "count"),
  a("cnt_x", "count", "x"),
  a("sum_x", "sum", "x"),
  a("avg_x", "avg", "x"),
  a("min_x", "min", "x"),
  a("max_x", "max", "x"),
  a("dcnt_x", "count", "x", true),
  a("sum_b", "sum", "b"),
  a("avg_b", "avg", "b"),
  a("sum_d", "sum", "d"),
  a("avg_d", "avg", "d"),
  a("sum_n", "sum", "n"),
  a("avg_n", "avg", "n"),
  a("min_n", "min", "n"),
  a("max_n", "max", "n"),
  a("max_d", "max", "d"),
  a("davg_x", "avg", "x", true),
];
const SQL = `select g, count(*)::text as cnt, count(x)::text as cnt_x, sum(x)::text as sum_x, avg(x)::text as avg_x,
  min(x)::text as min_x, max(x)::text as max_x, count(distinct x)::text as dcnt_x, sum(b)::text as sum_b,
  avg(b)::text as avg_b, sum(d)::text as sum_d, avg(d)::text as avg_d, sum(n)::text as sum_n, avg(n)::text as avg_n,
  min(n)::text as min_n, max(n)::text as max_n, max(d)::text as max_d, avg(distinct x)::text as davg_x from t group by g`;

function asText(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v === "number") return Number.isInteger(v) && Math.abs(v) < 1e15 ? String(v) : formatFloat8(v);
  return String(v);
}

let pg: PGlite;
beforeAll(async () => {
  pg = new PGlite();
  await pg.exec("create table t (id int primary key, g text, x int, b bigint, d float8, n numeric)");
});
afterAll(async () => {
  await pg.close();
});

const rowArb = (id: number): fc.Arbitrary<Row> =>
  fc.record({
    id: fc.constant(id),
    g: fc.constantFrom("a", "b", "c"),
    x: fc.option(fc.integer({ min: -100000, max: 100000 }), { nil: null }),
    b: fc.option(fc.bigInt({ min: -(10n ** 17n), max: 10n ** 17n }), { nil: null }),
    // NaN and ±Infinity now and then: a sum that held one must recover its finite value when
    // the row is overwritten (Infinity - Infinity would leave NaN behind).
    d: fc.option(
      fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: -4000, max: 4000 }).map((v) => v / 8) },
        { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY) },
      ),
      { nil: null },
    ),
    n: fc.option(
      // The scale is a function of the digits so that no two texts are equal numbers (1.0 vs 1):
      // min() of equal numerics with different texts returns whichever PostgreSQL met last.
      fc.oneof(
        {
          weight: 12,
          arbitrary: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).map((u) => {
            const s = Number((u < 0n ? -u : u) % 5n);
            const t = (u < 0n ? -u : u).toString().padStart(s + 1, "0");
            return `${u < 0n ? "-" : ""}${s === 0 ? t : `${t.slice(0, -s)}.${t.slice(-s)}`}`;
          }),
        },
        { weight: 1, arbitrary: fc.constantFrom("NaN", "Infinity", "-Infinity") },
      ),
      { nil: null },
    ),
  });

describe("aggregates against PostgreSQL", () => {
  it("upsert then aggregate prints what PostgreSQL prints over the final table", async () => {
    // Writes: [id, row] with ids from a small range, so many writes overwrite earlier rows.
    const writes = fc.array(
      fc.integer({ min: 1, max: 25 }).chain((id) => rowArb(id)),
      { minLength: 1, maxLength: 80 },
    );
    await fc.assert(
      fc.asyncProperty(writes, fc.integer({ min: 1, max: 10 }), async (rows, batchSize) => {
        const table = upsert(schema, ["id"], { id: "t" });
        const agg = groupAggregate(schema, [{ name: "g", expr: col("g") }], AGGS, { id: "agg" });
        const changes = [];
        for (let i = 0; i < rows.length; i += batchSize) {
          const out = table.process(changeFrom(schema, rows.slice(i, i + batchSize)));
          if (out !== undefined) changes.push(out);
        }
        const view = run(agg, changes);
        const finalRows = new Map(rows.map((r) => [r.id, r]));
        await pg.exec("truncate t");
        for (const r of finalRows.values()) {
          await pg.query("insert into t values ($1, $2, $3, $4, $5, $6)", [
            r.id,
            r.g,
            r.x,
            r.b === null ? null : r.b.toString(),
            r.d,
            r.n,
          ]);
        }
        const expected = (await pg.query<Record<string, string | null>>(SQL)).rows.map((r) => JSON.stringify(r)).sort();
        const ours = view
          .sorted()
          .map((text) =>
            JSON.parse(text, (_k, v) => (typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)),
          )
          .map((r: Record<string, unknown>) => {
            const o: Record<string, string | null> = {};
            for (const [k, v] of Object.entries(r)) o[k] = asText(v);
            return JSON.stringify(o);
          })
          .sort();
        expect(ours).toEqual(expected);
        expect(table.size).toBe(finalRows.size);
      }),
      { numRuns: 25 },
    );
  });

  it("retract-then-insert equals a direct update", () => {
    const agg1 = groupAggregate(schema, [{ name: "g", expr: col("g") }], AGGS, { id: "a1" });
    const agg2 = groupAggregate(schema, [{ name: "g", expr: col("g") }], AGGS, { id: "a2" });
    const old = { id: 1, g: "a", x: 5, b: 7n, d: 1.5, n: "2.50" };
    const neu = { id: 1, g: "a", x: 9, b: 1n, d: 0.25, n: "1" };
    const viaRetract = run(agg1, [
      changeFrom(schema, [old]),
      changeFrom(schema, [old], [RETRACT]),
      changeFrom(schema, [neu]),
    ]);
    const direct = run(agg2, [changeFrom(schema, [neu])]);
    expect(viaRetract.sorted()).toEqual(direct.sorted());
    expect(rowsOf(agg1.process(changeFrom(schema, [neu, old], [RETRACT, 1])))).toHaveLength(2);
  });
});
