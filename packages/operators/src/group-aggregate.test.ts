import { type ChangeBatch, RETRACT } from "@jetflow/core";
import type { KeyedStore, StateChunk } from "@jetflow/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accumulate, aggSpec, finalizeAcc } from "./aggregates.js";
import { type AggregateCall, call, col, lit, type NamedExpr } from "./expr/expr.js";
import { filter } from "./filter.js";
import { groupAggregate } from "./group-aggregate.js";
import { takeChange } from "./columnar/take.js";
import { sqlTypesOf } from "./expr/compile.js";
import type { ChangeOperator, OperatorPartitioning } from "./operator.js";
import {
  changeFrom,
  checkpointAll,
  Multiset,
  reshard,
  restoreInto,
  rowsOf,
  rowText,
  run,
  schemaFrom,
} from "./test-support.js";

const schema = schemaFrom({ g: "varchar", x: "integer", y: "double precision", z: "numeric", b: "bigint" });

type Row = { g: string | null; x: number | null; y: number | null; z: string | null; b: bigint | null };

const agg = (name: string, fn: AggregateCall["fn"], arg?: string, distinct = false): AggregateCall => ({
  name,
  fn,
  arg: arg === undefined ? undefined : col(arg),
  distinct,
});

const AGGS: AggregateCall[] = [
  agg("cnt", "count"),
  agg("cnt_x", "count", "x"),
  agg("sum_x", "sum", "x"),
  agg("avg_x", "avg", "x"),
  agg("min_x", "min", "x"),
  agg("max_x", "max", "x"),
  agg("dcnt_x", "count", "x", true),
  agg("dsum_x", "sum", "x", true),
  agg("sum_y", "sum", "y"),
  agg("max_y", "max", "y"),
  agg("sum_z", "sum", "z"),
  agg("min_z", "min", "z"),
  agg("max_z", "max", "z"),
  agg("sum_b", "sum", "b"),
  agg("min_g", "min", "g"),
];

const rowArb: fc.Arbitrary<Row> = fc.record({
  g: fc.constantFrom("a", "b", "c", null),
  x: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
  y: fc.option(
    fc.integer({ min: -1000, max: 1000 }).map((v) => v / 4),
    { nil: null },
  ),
  z: fc.option(
    fc.integer({ min: -999, max: 999 }).map((v) => (v / 100).toFixed(2)),
    { nil: null },
  ),
  b: fc.option(fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }), { nil: null }),
});

/** A sequence of batches: inserts of new rows and retractions of rows present at that point. */
const stepsArb = fc.array(
  fc.record({
    inserts: fc.array(rowArb, { maxLength: 8 }),
    retractPicks: fc.array(fc.nat(), { maxLength: 6 }),
  }),
  { minLength: 1, maxLength: 12 },
);

function buildBatches(steps: { inserts: Row[]; retractPicks: number[] }[]): {
  changes: ChangeBatch[];
  finalRows: Row[];
} {
  const present: Row[] = [];
  const changes: ChangeBatch[] = [];
  for (const step of steps) {
    const rows: Row[] = [];
    const ops: number[] = [];
    for (const pick of step.retractPicks) {
      if (present.length === 0) break;
      const [r] = present.splice(pick % present.length, 1) as [Row];
      rows.push(r);
      ops.push(RETRACT);
    }
    for (const r of step.inserts) {
      rows.push(r);
      ops.push(1);
      present.push(r);
    }
    if (rows.length > 0) changes.push(changeFrom(schema, rows, ops));
  }
  return { changes, finalRows: present };
}

/** From-scratch aggregation of the net rows, written independently of the operator. */
function recompute(rows: Row[], grouped: boolean): string[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = grouped ? String(r.g) : "";
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  if (!grouped && groups.size === 0) groups.set("", []);
  const out: string[] = [];
  for (const rs of groups.values()) {
    const xs = rs.map((r) => r.x).filter((v): v is number => v !== null);
    const ys = rs.map((r) => r.y).filter((v): v is number => v !== null);
    const zs = rs.map((r) => r.z).filter((v): v is string => v !== null);
    const bs = rs.map((r) => r.b).filter((v): v is bigint => v !== null);
    const gs = rs.map((r) => r.g).filter((v): v is string => v !== null);
    const sumX = xs.reduce((a, v) => a + BigInt(v), 0n);
    const dx = [...new Set(xs)];
    const cents = zs.map((z) => BigInt(Math.round(Number(z) * 100)));
    const sumCents = cents.reduce((a, v) => a + v, 0n);
    const fmtCents = (c: bigint) => {
      const neg = c < 0n;
      const a = (neg ? -c : c).toString().padStart(3, "0");
      return `${neg ? "-" : ""}${a.slice(0, -2)}.${a.slice(-2)}`;
    };
    const byNum = (a: string, b: string) => Number(a) - Number(b);
    const row: Record<string, unknown> = {
      ...(grouped ? { g: rs[0]?.g ?? null } : {}),
      cnt: BigInt(rs.length),
      cnt_x: BigInt(xs.length),
      sum_x: xs.length ? sumX : null,
      avg_x: xs.length ? avgText(sumX, xs.length) : null,
      min_x: xs.length ? Math.min(...xs) : null,
      max_x: xs.length ? Math.max(...xs) : null,
      dcnt_x: BigInt(dx.length),
      dsum_x: dx.length ? dx.reduce((a, v) => a + BigInt(v), 0n) : null,
      sum_y: ys.length ? ys.reduce((a, v) => a + v, 0) : null,
      max_y: ys.length ? Math.max(...ys) : null,
      sum_z: zs.length ? fmtCents(sumCents) : null,
      min_z: zs.length ? ([...zs].sort(byNum)[0] as string) : null,
      max_z: zs.length ? ([...zs].sort(byNum).at(-1) as string) : null,
      sum_b: bs.length ? bs.reduce((a, v) => a + v, 0n).toString() : null,
      min_g: gs.length ? [...gs].sort()[0] : null,
    };
    out.push(rowText(row));
  }
  return out.sort();
}

/**
 * avg of small integers as PostgreSQL prints it (checked against PGlite in aggregates.pg.test.ts):
 * with |sum| and count below 10000, the quotient weight is -1 when |sum| <= count, else 0,
 * giving scale 20 or 16, rounded half away from zero.
 */
function avgText(sum: bigint, count: number): string {
  const neg = sum < 0n;
  const abs = neg ? -sum : sum;
  const c = BigInt(count);
  const scale = abs <= c ? 20 : 16;
  const scaled = (abs * 10n ** BigInt(scale + 1)) / c;
  const rounded = (scaled + 5n) / 10n;
  const text = rounded.toString().padStart(scale + 1, "0");
  const value = `${text.slice(0, -scale)}.${text.slice(-scale)}`;
  return rounded === 0n ? value : `${neg ? "-" : ""}${value}`;
}

const GROUP_BY: NamedExpr[] = [{ name: "g", expr: col("g") }];

describe("groupAggregate", () => {
  it("equals a from-scratch recomputation over the net rows, after any insert/retract sequence", () => {
    fc.assert(
      fc.property(stepsArb, fc.boolean(), (steps, grouped) => {
        const { changes, finalRows } = buildBatches(steps);
        const op = groupAggregate(schema, grouped ? GROUP_BY : [], AGGS, { id: "agg" });
        const view = run(op, changes);
        expect(view.sorted()).toEqual(recompute(finalRows, grouped));
      }),
      { numRuns: 150 },
    );
  });

  it("groups a text column by its bytes exactly as by its text (sliced batches, NULLs, non-ASCII)", () => {
    const text = fc.option(fc.constantFrom("a", "b", "ab", "é", "e\u0301", "😀", ""), { nil: null });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(fc.tuple(text, fc.integer({ min: -5, max: 5 })), { maxLength: 10 }), fc.nat()), {
          minLength: 1,
          maxLength: 6,
        }),
        (batches) => {
          const aggs = [agg("cnt", "count"), agg("sum_x", "sum", "x"), agg("min_g", "min", "g")];
          const byColumn = groupAggregate(schema, GROUP_BY, aggs, { id: "a" });
          // The same text through an expression: the generic path (key strings per row).
          const byText = groupAggregate(schema, [{ name: "g", expr: call("||", col("g"), lit("")) }], aggs, {
            id: "b",
          });
          for (const [rows, cut] of batches) {
            const change = changeFrom(
              schema,
              rows.map(([g, x]) => ({ g, x })),
            );
            const from = rows.length === 0 ? 0 : cut % rows.length;
            const sliced = { batch: change.batch.slice(from), ops: undefined };
            expect(rowsOf(byColumn.process(sliced))).toEqual(rowsOf(byText.process(sliced)));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("with HAVING (a filter over its changes) equals the recomputation filtered", () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const { changes, finalRows } = buildBatches(steps);
        const op = groupAggregate(schema, GROUP_BY, AGGS, { id: "agg" });
        const having = filter(op.schema, call("and", call(">", col("cnt"), lit(1)), call("is_not_null", col("max_x"))));
        const view = new Multiset();
        for (const c of changes) {
          const out = op.process(c);
          view.apply(out === undefined ? undefined : having.process(out));
        }
        const expected = recompute(finalRows, true).filter((text) => {
          const r = JSON.parse(text) as { cnt: string; max_x: number | null };
          return BigInt(r.cnt.slice(0, -1)) > 1n && r.max_x !== null;
        });
        expect(view.sorted()).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("continues identically after checkpoint (full + deltas) and restore into a new operator", () => {
    fc.assert(
      fc.property(stepsArb, fc.nat(), (steps, cut) => {
        const { changes } = buildBatches(steps);
        const k = cut % (changes.length + 1);
        const uninterrupted = groupAggregate(schema, GROUP_BY, AGGS, { id: "agg" });
        const expected = changes.map((c) => rowsOf(uninterrupted.process(c)).map(rowText));

        const first = groupAggregate(schema, GROUP_BY, AGGS, { id: "agg" });
        const chain: StateChunk[][] = [checkpointAll(first, true)];
        const got: string[][] = [];
        changes.slice(0, k).forEach((c, i) => {
          got.push(rowsOf(first.process(c)).map(rowText));
          if (i % 2 === 0) chain.push(checkpointAll(first, false));
        });
        chain.push(checkpointAll(first, false));
        const second = groupAggregate(schema, GROUP_BY, AGGS, { id: "agg" });
        restoreInto(second, chain);
        for (const c of changes.slice(k)) got.push(rowsOf(second.process(c)).map(rowText));
        expect(got).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("runs as shards by its partitioning: N copies emit what one does, and their checkpoints restore into M", () => {
    const types = sqlTypesOf(schema);
    const copies = (n: number) =>
      Array.from({ length: n }, () => groupAggregate(schema, GROUP_BY, AGGS, { id: "agg" }));
    /** One batch through the copies, each fed the rows it owns: the rows out, sorted. */
    const step = (ops: ChangeOperator[], change: ChangeBatch): string[] => {
      const shards = ((ops[0] as ChangeOperator).partitioning as OperatorPartitioning).shardsOf(change, ops.length);
      expect(shards).toHaveLength(change.batch.numRows);
      const out: string[] = [];
      ops.forEach((op, s) => {
        const idx = Int32Array.from([...shards].flatMap((shard, i) => (shard === s ? [i] : [])));
        if (idx.length > 0) out.push(...rowsOf(op.process(takeChange(change, schema, types, idx))).map(rowText));
      });
      return out.sort();
    };
    fc.assert(
      fc.property(
        stepsArb,
        fc.nat(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        (steps, cut, n, m) => {
          const { changes } = buildBatches(steps);
          const k = cut % (changes.length + 1);
          const one = groupAggregate(schema, GROUP_BY, AGGS, { id: "agg" });
          const expected = changes.map((c) => rowsOf(one.process(c)).map(rowText).sort());

          const first = copies(n);
          const got = changes.slice(0, k).map((c) => step(first, c));
          const second = copies(m);
          reshard(first, second);
          for (const c of changes.slice(k)) got.push(step(second, c));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("emits retract(old) + insert(new) once per changed group per batch, nothing for unchanged groups", () => {
    const op = groupAggregate(schema, GROUP_BY, [agg("n", "count"), agg("m", "max", "x")], { id: "a" });
    const first = rowsOf(
      op.process(
        changeFrom(schema, [
          { g: "a", x: 1 },
          { g: "a", x: 2 },
          { g: "b", x: 5 },
        ]),
      ),
    );
    expect(first).toEqual([
      { _op: 1, g: "a", n: 2n, m: 2 },
      { _op: 1, g: "b", n: 1n, m: 5 },
    ]);
    const second = rowsOf(
      op.process(
        changeFrom(
          schema,
          [
            { g: "a", x: 2 },
            { g: "a", x: 2 },
          ],
          [RETRACT, 1],
        ),
      ),
    );
    expect(second).toEqual([]);
    const third = rowsOf(
      op.process(
        changeFrom(
          schema,
          [
            { g: "a", x: 2 },
            { g: "b", x: 5 },
          ],
          [RETRACT, RETRACT],
        ),
      ),
    );
    expect(third).toEqual([
      { _op: -1, g: "a", n: 2n, m: 2 },
      { _op: 1, g: "a", n: 1n, m: 1 },
      { _op: -1, g: "b", n: 1n, m: 5 },
    ]);
  });

  it("keeps one row without GROUP BY: count 0 and sum NULL when empty, like PostgreSQL", () => {
    const op = groupAggregate(schema, [], [agg("n", "count"), agg("s", "sum", "x"), agg("a", "avg", "x")], { id: "g" });
    const view = new Multiset();
    const initial = op.initial?.();
    expect(rowsOf(initial)).toEqual([{ _op: 1, n: 0n, s: null, a: null }]);
    expect(op.initial?.()).toBeUndefined();
    view.apply(initial);
    view.apply(op.process(changeFrom(schema, [{ x: 3 }], [1])));
    view.apply(op.process(changeFrom(schema, [{ x: 3 }], [RETRACT])));
    expect(view.sorted()).toEqual([rowText({ n: 0n, s: null, a: null })]);
    const out = rowsOf(op.process(changeFrom(schema, [{ x: 4 }])));
    expect(out).toEqual([
      { _op: -1, n: 0n, s: null, a: null },
      { _op: 1, n: 1n, s: 4n, a: "4.0000000000000000" },
    ]);
  });

  it("keeps min/max right when equal numerics with different texts come and go", () => {
    const op = groupAggregate(schema, [], [agg("lo", "min", "z"), agg("hi", "max", "z")], { id: "m" });
    const view = run(op, [
      changeFrom(schema, [{ z: "1.0" }, { z: "1.00" }, { z: "2" }]),
      changeFrom(schema, [{ z: "1.0" }], [RETRACT]),
    ]);
    expect(view.sorted()).toEqual([rowText({ lo: "1.00", hi: "2" })]);
    op.process(changeFrom(schema, [{ z: "1.00" }, { z: "2" }], [RETRACT, RETRACT]));
    expect(rowsOf(op.process(changeFrom(schema, [{ z: "3" }]))).at(-1)).toEqual({ _op: 1, lo: "3", hi: "3" });
  });

  it("keeps one multiset per argument: min(x), max(x) and count(DISTINCT x) store each value once", () => {
    const op = groupAggregate(
      schema,
      GROUP_BY,
      [agg("lo", "min", "x"), agg("hi", "max", "x"), agg("d", "count", "x", true), agg("ds", "sum", "x", true)],
      { id: "m" },
    );
    const values = op.stores[1] as KeyedStore<unknown>;
    const view = run(op, [
      changeFrom(schema, [
        { g: "a", x: 1 },
        { g: "a", x: 1 },
        { g: "a", x: 5 },
        { g: "b", x: 2 },
      ]),
      changeFrom(schema, [{ g: "a", x: 1 }], [RETRACT]),
    ]);
    expect(view.sorted()).toEqual(
      [rowText({ g: "a", lo: 1, hi: 5, d: 2n, ds: 6n }), rowText({ g: "b", lo: 2, hi: 2, d: 1n, ds: 2n })].sort(),
    );
    expect(values.size).toBe(3); // a:1 (twice, then once), a:5, b:2
    op.process(changeFrom(schema, [{ g: "a", x: 1 }], [RETRACT]));
    expect(values.size).toBe(2);
  });

  it("counts a double's equal values once: 0 and -0, every NaN", () => {
    const op = groupAggregate(schema, [], [agg("d", "count", "y", true), agg("hi", "max", "y")], { id: "f" });
    const view = run(op, [changeFrom(schema, [{ y: 0 }, { y: -0 }, { y: Number.NaN }, { y: Number.NaN }, { y: 1.5 }])]);
    expect(view.sorted()).toEqual([rowText({ d: 3n, hi: Number.NaN })]);
    op.process(changeFrom(schema, [{ y: 0 }, { y: Number.NaN }], [RETRACT, RETRACT]));
    expect(rowsOf(op.process(changeFrom(schema, [{ y: -0 }, { y: Number.NaN }], [RETRACT, RETRACT]))).at(-1)).toEqual({
      _op: 1,
      d: 1n,
      hi: 1.5,
    });
  });

  it("keeps two multisets of a numeric argument: DISTINCT counts 1.0 and 1.00 once, min shows a text present", () => {
    const op = groupAggregate(schema, [], [agg("lo", "min", "z"), agg("d", "count", "z", true)], { id: "m" });
    const view = run(op, [changeFrom(schema, [{ z: "1.0" }, { z: "1.00" }, { z: "2" }])]);
    expect(view.sorted()).toEqual([rowText({ lo: "1.0", d: 2n })]);
    expect(rowsOf(op.process(changeFrom(schema, [{ z: "1.0" }], [RETRACT]))).at(-1)).toEqual({
      _op: 1,
      lo: "1.00",
      d: 2n,
    });
  });

  it("uses PostgreSQL result types", () => {
    const s2 = schemaFrom({
      i: "integer",
      sm: "smallint",
      b: "bigint",
      r: "real",
      d: "double precision",
      n: "numeric",
    });
    const op = groupAggregate(
      s2,
      [],
      [
        agg("c", "count"),
        agg("si", "sum", "i"),
        agg("ssm", "sum", "sm"),
        agg("sb", "sum", "b"),
        agg("sr", "sum", "r"),
        agg("sd", "sum", "d"),
        agg("sn", "sum", "n"),
        agg("ai", "avg", "i"),
        agg("ab", "avg", "b"),
        agg("ad", "avg", "d"),
        agg("an", "avg", "n"),
        agg("mn", "min", "n"),
      ],
      { id: "t" },
    );
    const types = op.schema.fields.map((f) => JSON.parse(f.metadata.get("jetflow.sql_type") as string).kind);
    expect(types).toEqual([
      "bigint",
      "bigint",
      "bigint",
      "numeric",
      "real",
      "double precision",
      "numeric",
      "numeric",
      "numeric",
      "double precision",
      "numeric",
      "numeric",
    ]);
  });

  it("sums integers exactly past 2^53", () => {
    const spec = aggSpec(agg("s", "sum", "i"), { kind: "integer" });
    let acc: unknown = [1, 2 ** 53 - 2];
    acc = accumulate(spec, acc, 2147483647, 1);
    acc = accumulate(spec, acc, 2147483647, 1);
    expect(finalizeAcc(spec, acc, 3)).toBe(2n ** 53n - 2n + 2n * 2147483647n);
    acc = accumulate(spec, acc, 2147483647, RETRACT);
    expect(finalizeAcc(spec, acc, 2)).toBe(2n ** 53n - 2n + 2147483647n);
  });
});
