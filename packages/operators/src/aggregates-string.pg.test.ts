import { PGlite } from "@electric-sql/pglite";
import type { ChangeBatch } from "@jetflow/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AggregateCall, type AggregateOrder, col } from "./expr/expr.js";
import { groupAggregate } from "./group-aggregate.js";
import { changeFrom, checkpointAll, Multiset, restoreInto, run, schemaFrom } from "./test-support.js";
import { upsert } from "./upsert.js";

/**
 * string_agg against PostgreSQL (PGlite) over the final table: random writes that overwrite
 * (so the aggregate sees retractions), applied in random batch splits, with NULL values, NULL
 * sort keys, empty strings, text holding the delimiter and characters beyond U+FFFF.
 */

const schema = schemaFrom({ id: "integer", g: "varchar", s: "varchar", k: "integer" });
type Row = { id: number; g: string; s: string | null; k: number | null };

const by = (name: string, desc = false, nullsFirst = desc): AggregateOrder => ({ expr: col(name), desc, nullsFirst });
const agg = (name: string, delimiter: string | null, orderBy: AggregateOrder[], distinct = false): AggregateCall => ({
  name,
  fn: "string_agg",
  arg: col("s"),
  distinct,
  delimiter,
  orderBy,
});

/** Ours beside PostgreSQL's, which orders ties by the text (jetflow's documented order). */
const CASES: [AggregateCall, string][] = [
  [agg("by_k", ",", [by("k")]), `string_agg(s, ',' ORDER BY k, s COLLATE "C")`],
  [agg("by_k_desc", "; ", [by("k", true)]), `string_agg(s, '; ' ORDER BY k DESC, s COLLATE "C")`],
  [agg("k_nulls_first", "", [by("k", false, true)]), `string_agg(s, '' ORDER BY k NULLS FIRST, s COLLATE "C")`],
  [
    agg("k_desc_nulls_last", "-", [by("k", true, false)]),
    `string_agg(s, '-' ORDER BY k DESC NULLS LAST, s COLLATE "C")`,
  ],
  [agg("plain", ",", []), `string_agg(s, ',' ORDER BY s COLLATE "C")`],
  [agg("no_delimiter", null, [by("s")]), `string_agg(s, NULL ORDER BY s COLLATE "C")`],
  [agg("distinct", "|", [], true), `string_agg(DISTINCT s COLLATE "C", '|' ORDER BY s COLLATE "C")`],
  [
    agg("distinct_desc", ",", [by("s", true)], true),
    `string_agg(DISTINCT s COLLATE "C", ',' ORDER BY s COLLATE "C" DESC)`,
  ],
];
const SQL = `select g, ${CASES.map(([a, e]) => `${e} as ${a.name}`).join(", ")} from t group by g`;

let pg: PGlite;
beforeAll(async () => {
  pg = new PGlite();
  await pg.exec("create table t (id int primary key, g text, s text, k int)");
});
afterAll(async () => {
  await pg.close();
});

const rowArb = (id: number): fc.Arbitrary<Row> =>
  fc.record({
    id: fc.constant(id),
    g: fc.constantFrom("a", "b"),
    s: fc.option(fc.constantFrom("x", "y", "", "a,b", "é", "\u{1F600}", "\uFFFD", "Z"), { nil: null, freq: 6 }),
    k: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 5 }),
  });
const writesArb = fc.array(
  fc.integer({ min: 1, max: 12 }).chain((id) => rowArb(id)),
  { minLength: 1, maxLength: 50 },
);
/** The writes through a table (overwrites retract), cut into batches at the given sizes. */
function changesOf(rows: readonly Row[], sizes: readonly number[]): ChangeBatch[] {
  const table = upsert(schema, ["id"], { id: "t" });
  const out: ChangeBatch[] = [];
  let i = 0;
  for (let b = 0; i < rows.length; b++) {
    const size = sizes.length === 0 ? rows.length : (sizes[b % sizes.length] as number);
    const change = table.process(changeFrom(schema, rows.slice(i, i + size)));
    if (change !== undefined) out.push(change);
    i += size;
  }
  return out;
}
const aggregate = (id: string) =>
  groupAggregate(
    schema,
    [{ name: "g", expr: col("g") }],
    CASES.map(([a]) => a),
    { id },
  );

describe("string_agg", () => {
  it("prints what PostgreSQL prints over the final table, for any batch split (property)", async () => {
    await fc.assert(
      fc.asyncProperty(writesArb, fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 6 }), async (rows, sizes) => {
        const view = run(aggregate("agg"), changesOf(rows, sizes));
        await pg.exec("truncate t");
        for (const r of new Map(rows.map((r) => [r.id, r])).values()) {
          await pg.query("insert into t values ($1, $2, $3, $4)", [r.id, r.g, r.s, r.k]);
        }
        const expected = (await pg.query<Record<string, string | null>>(SQL)).rows.map((r) => JSON.stringify(r)).sort();
        expect(view.sorted().map((text) => JSON.stringify(JSON.parse(text)))).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it("restored from a checkpoint mid-stream, continues as a run without the restart (property)", () => {
    fc.assert(
      fc.property(
        writesArb,
        fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 6 }),
        fc.nat(),
        (rows, sizes, at) => {
          const changes = changesOf(rows, sizes);
          const cut = at % (changes.length + 1);
          const expected = run(aggregate("a"), changes).sorted();
          const first = aggregate("a");
          const view = run(first, changes.slice(0, cut));
          const base = checkpointAll(first, true);
          const second = aggregate("a");
          restoreInto(second, [base]);
          for (const c of changes.slice(cut)) view.apply(second.process(c));
          expect(view.sorted()).toEqual(expected);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("is NULL for a group whose values are all NULL or retracted, and refuses a non-text argument", () => {
    const a = groupAggregate(schema, [], [agg("s", ",", [])], { id: "g" });
    const view = new Multiset();
    view.apply(a.initial?.());
    expect(view.sorted()).toEqual(['{"s":null}']);
    view.apply(a.process(changeFrom(schema, [{ id: 1, g: "a", s: "v", k: 1 }])));
    expect(view.sorted()).toEqual(['{"s":"v"}']);
    view.apply(a.process(changeFrom(schema, [{ id: 1, g: "a", s: "v", k: 1 }], [-1])));
    expect(view.sorted()).toEqual(['{"s":null}']);
    expect(() =>
      groupAggregate(schema, [], [{ name: "x", fn: "string_agg", arg: col("k"), distinct: false, delimiter: "," }], {
        id: "x",
      }),
    ).toThrow(/function string_agg\(integer, text\) does not exist/);
  });
});
