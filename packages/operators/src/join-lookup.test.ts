import type { ChangeBatch } from "@jetflow/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, col } from "./expr/expr.js";
import { type JoinOperator, join } from "./join.js";
import { changeFrom, rowsOf, rowText, schemaFrom } from "./test-support.js";
import { upsert } from "./upsert.js";

const L = schemaFrom({ k: "integer", v: "integer" });
const R = schemaFrom({ k: "bigint", w: "integer" });
const NAMES = ["lk", "lv", "rk", "rw"];
const ON = [{ left: col("lk"), right: col("rk") }];
const RESIDUAL = call("<", col("lv"), col("rw"));

type Step = { side: "left" | "right"; k: number | null; v: number | null; op: 1 | -1 };

const stepArb = fc.record({
  side: fc.constantFrom("left" as const, "right" as const),
  k: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 6 }),
  v: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 6 }),
  op: fc.constantFrom(1 as const, 1 as const, -1 as const),
});

function changeOf(steps: readonly Step[]): ChangeBatch {
  const side = (steps[0] as Step).side;
  const rows = steps.map((s) =>
    side === "left" ? { k: s.k, v: s.v } : { k: s.k === null ? null : BigInt(s.k), w: s.v },
  );
  return changeFrom(
    side === "left" ? L : R,
    rows,
    // The left input is append-only; the table takes writes and deletes by key.
    steps.map((s) => (side === "left" ? 1 : s.op)),
  );
}

/** Consecutive steps of one side, cut into batches at `cuts`. */
function batchesOf(steps: readonly Step[], cuts: readonly number[]): { side: Step["side"]; change: ChangeBatch }[] {
  const out: Step[][] = [];
  steps.forEach((s, i) => {
    const last = out[out.length - 1];
    if (last === undefined || (last[0] as Step).side !== s.side || cuts.includes(i)) out.push([s]);
    else last.push(s);
  });
  return out.map((b) => ({ side: (b[0] as Step).side, change: changeOf(b) }));
}

describe("temporal join probing the table's own rows", () => {
  it("stores nothing and gives what a join with its own copy of the table gives (property)", () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 60 }),
        fc.array(fc.nat(60), { maxLength: 10 }),
        fc.constantFrom("inner" as const, "left" as const),
        fc.boolean(),
        (steps, cuts, kind, residual) => {
          const table = upsert(R, ["k"], { id: "t" });
          const opts = { kind, names: NAMES, on: ON, residual: residual ? RESIDUAL : undefined, temporal: true };
          const copy = join(L, R, { id: "copy", ...opts });
          const probe = join(L, R, { id: "probe", ...opts, table: table.rowsByKey });
          expect(probe.stores).toEqual([]);
          // The table's rows are not the join's to split: it runs whole, where the table is.
          expect(probe.partitioning).toBeUndefined();
          expect(copy.partitioning).toBeDefined();
          for (const { side, change } of batchesOf(steps, cuts)) {
            if (side === "left") {
              const expected = rowsOf(copy.process("left", change)).map(rowText).sort();
              expect(rowsOf(probe.process("left", change)).map(rowText).sort()).toEqual(expected);
            } else {
              const out = table.process(change);
              if (out === undefined) continue;
              copy.process("right", out);
              expect(probe.process("right", out)).toBeUndefined();
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("probes a composite primary key whatever order ON names its columns in", () => {
    const T = schemaFrom({ a: "varchar", b: "integer", name: "varchar" });
    const E = schemaFrom({ x: "integer", y: "varchar" });
    const table = upsert(T, ["a", "b"], { id: "t" });
    const j = join(E, T, {
      id: "j",
      names: ["x", "y", "a", "b", "name"],
      on: [
        { left: col("x"), right: col("b") },
        { left: col("y"), right: col("a") },
      ],
      temporal: true,
      table: table.rowsByKey,
    });
    expect(j.stores).toEqual([]);
    table.process(
      changeFrom(T, [
        { a: "p", b: 1, name: "one" },
        { a: "p", b: 2, name: "two" },
      ]),
    );
    table.process(changeFrom(T, [{ a: "p", b: 2, name: "deux" }]));
    const out = rowsOf(
      j.process(
        "left",
        changeFrom(E, [
          { x: 2, y: "p" },
          { x: 1, y: "q" },
          { x: 1, y: "p" },
        ]),
      ),
    );
    expect(out).toEqual([
      { _op: 1, x: 2, y: "p", a: "p", b: 2, name: "deux" },
      { _op: 1, x: 1, y: "p", a: "p", b: 1, name: "one" },
    ]);
  });

  it("keeps its own copy when the equalities are not exactly the primary key", () => {
    const table = upsert(R, ["k"], { id: "t" });
    const on = (right: string): JoinOperator =>
      join(L, R, {
        id: "j",
        names: NAMES,
        on: [{ left: col("lv"), right: col(right) }],
        temporal: true,
        table: table.rowsByKey,
      });
    expect(on("rw").stores.length).toBeGreaterThan(0);
    expect(on("rk").stores).toEqual([]);
    // A text key against the bigint key column would not encode alike: a copy, not a probe.
    const text = join(L, R, {
      id: "j",
      names: NAMES,
      on: [{ left: { kind: "cast", expr: col("lv"), type: { kind: "varchar" } }, right: col("rk") }],
      temporal: true,
      table: table.rowsByKey,
    });
    expect(text.stores.length).toBeGreaterThan(0);
  });
});

describe("regular join with the table's own rows on the right", () => {
  type Write = { side: "left" | "right"; k: number | null; v: number | null; pick: number };
  const writeArb = fc.record({
    side: fc.constantFrom("left" as const, "right" as const),
    k: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 6 }),
    v: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 6 }),
    pick: fc.nat(9),
  });
  /** Left: inserts, and retractions of rows present (a valid change stream); right: table writes and deletes. */
  function stream(writes: readonly Write[], cuts: readonly number[]) {
    const present: Step[] = [];
    const steps: Step[] = writes.map((w) => {
      if (w.side === "left" && w.pick < 3 && present.length > 0) {
        const [gone] = present.splice(w.pick % present.length, 1);
        return { ...(gone as Step), op: -1 as const };
      }
      const step: Step = { side: w.side, k: w.k, v: w.v, op: w.side === "right" && w.pick < 2 ? -1 : 1 };
      if (w.side === "left") present.push(step);
      return step;
    });
    const out: { side: Step["side"]; change: ChangeBatch }[] = [];
    const groups: Step[][] = [];
    steps.forEach((s, i) => {
      const last = groups[groups.length - 1];
      if (last === undefined || (last[0] as Step).side !== s.side || cuts.includes(i)) groups.push([s]);
      else last.push(s);
    });
    for (const g of groups) {
      const side = (g[0] as Step).side;
      const rows = g.map((s) =>
        side === "left" ? { k: s.k, v: s.v } : { k: s.k === null ? null : BigInt(s.k), w: s.v },
      );
      out.push({
        side,
        change: changeFrom(
          side === "left" ? L : R,
          rows,
          g.map((s) => s.op),
        ),
      });
    }
    return out;
  }
  const args = fc.tuple(
    fc.array(writeArb, { maxLength: 60 }),
    fc.array(fc.nat(60), { maxLength: 10 }),
    fc.constantFrom("inner" as const, "left" as const),
    fc.boolean(),
  );

  it("keeps no right side and gives what a join with its own copy gives, batch by batch (property)", () => {
    fc.assert(
      fc.property(args, ([writes, cuts, kind, residual]) => {
        const table = upsert(R, ["k"], { id: "t" });
        const opts = { kind, names: NAMES, on: ON, residual: residual ? RESIDUAL : undefined };
        const copy = join(L, R, { id: "copy", ...opts });
        const probe = join(L, R, { id: "probe", ...opts, table: table.rowsByKey });
        expect(probe.stores.length).toBe(1);
        for (const { side, change } of stream(writes, cuts)) {
          const input = side === "left" ? change : table.process(change);
          if (input === undefined) continue;
          const expected = rowsOf(copy.process(side, input)).map(rowText).sort();
          expect(rowsOf(probe.process(side, input)).map(rowText).sort()).toEqual(expected);
        }
        expect(probe.sizes).toEqual({ left: copy.sizes.left, right: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it("restored from a checkpoint with its table, continues as a run without the restart (property)", () => {
    fc.assert(
      fc.property(args, fc.nat(), ([writes, cuts, kind, residual], at) => {
        const all = stream(writes, cuts);
        const cut = at % (all.length + 1);
        const make = () => {
          const table = upsert(R, ["k"], { id: "t" });
          const opts = { kind, names: NAMES, on: ON, residual: residual ? RESIDUAL : undefined };
          return { table, j: join(L, R, { id: "j", ...opts, table: table.rowsByKey }) };
        };
        const feed = (p: ReturnType<typeof make>, side: Step["side"], change: ChangeBatch) => {
          const input = side === "left" ? change : p.table.process(change);
          return input === undefined ? [] : rowsOf(p.j.process(side, input)).map(rowText).sort();
        };
        const uninterrupted = make();
        const expected = all.map((b) => feed(uninterrupted, b.side, b.change));
        const first = make();
        for (const b of all.slice(0, cut)) feed(first, b.side, b.change);
        const stores = [...first.table.stores, ...first.j.stores];
        const chunks = stores.map((s) => s.checkpoint(true));
        const second = make();
        [...second.table.stores, ...second.j.stores].forEach((s, i) => {
          s.restore([chunks[i] as (typeof chunks)[number]]);
        });
        second.table.restored?.();
        second.j.restored?.();
        expect(all.slice(cut).map((b) => feed(second, b.side, b.change))).toEqual(expected.slice(cut));
      }),
      { numRuns: 150 },
    );
  });
});
