import type { ChangeBatch } from "@jetflow/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { takeChange } from "./columnar/take.js";
import { sqlTypesOf } from "./expr/compile.js";
import { call, col } from "./expr/expr.js";
import { type JoinKind, type JoinOperator, type JoinPartitioning, type JoinSide, join } from "./join.js";
import { changeFrom, Multiset, reshard, rowsOf, rowText, schemaFrom } from "./test-support.js";

const L = schemaFrom({ k: "integer", v: "integer" });
const R = schemaFrom({ k: "bigint", w: "integer" });
const NAMES = ["lk", "lv", "rk", "rw"];
const ON = [{ left: col("lk"), right: col("rk") }];
const RESIDUAL = call("<", col("lv"), col("rw"));

type Row = { k: number | null; v: number | null };
type Step = { side: "left" | "right"; row: Row; op: 1 | -1 };

/** Keys as text: the string-key path (a number key on both sides is the number itself). */
const TEXT_ON = [
  {
    left: { kind: "cast", expr: col("lk"), type: { kind: "varchar" } } as const,
    right: { kind: "cast", expr: col("rk"), type: { kind: "varchar" } } as const,
  },
];

function joinOf(kind: JoinKind, residual: boolean, id = "j", textKeys = false): JoinOperator {
  const on = textKeys ? TEXT_ON : ON;
  return join(L, R, { id, kind, names: NAMES, on, residual: residual ? RESIDUAL : undefined });
}

function changeOf(side: "left" | "right", steps: readonly Step[]): ChangeBatch {
  const rows = steps.map((s) =>
    side === "left" ? { k: s.row.k, v: s.row.v } : { k: s.row.k === null ? null : BigInt(s.row.k), w: s.row.v },
  );
  return changeFrom(
    side === "left" ? L : R,
    rows,
    steps.map((s) => s.op),
  );
}

/** The join of two multisets recomputed from scratch, as sorted row texts. */
function recompute(kind: JoinKind, residual: boolean, left: Row[], right: Row[]): string[] {
  const out: string[] = [];
  const text = (l: Row | undefined, r: Row | undefined) =>
    rowText({
      lk: l?.k ?? null,
      lv: l?.v ?? null,
      rk: r === undefined || r.k === null ? null : BigInt(r.k),
      rw: r?.v ?? null,
    });
  const matches = (l: Row, r: Row) =>
    l.k !== null && r.k !== null && l.k === r.k && (!residual || (l.v !== null && r.v !== null && l.v < r.v));
  for (const l of left) {
    const m = right.filter((r) => matches(l, r));
    for (const r of m) out.push(text(l, r));
    if (m.length === 0 && (kind === "left" || kind === "full")) out.push(text(l, undefined));
  }
  if (kind === "right" || kind === "full") {
    for (const r of right) if (!left.some((l) => matches(l, r))) out.push(text(undefined, r));
  }
  return out.sort();
}

/** Random steps that only retract rows present: a valid change stream for both sides. */
const rowArb = fc.record({
  k: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 5 }),
  v: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 5 }),
});
const stepsArb = fc
  .array(fc.tuple(fc.constantFrom("left" as const, "right" as const), rowArb, fc.nat(9)), { maxLength: 60 })
  .map((raw) => {
    const present: Record<"left" | "right", Row[]> = { left: [], right: [] };
    const steps: Step[] = [];
    for (const [side, row, pick] of raw) {
      const rows = present[side];
      if (pick < 3 && rows.length > 0) {
        const [gone] = rows.splice(pick % rows.length, 1);
        steps.push({ side, row: gone as Row, op: -1 });
      } else {
        rows.push(row);
        steps.push({ side, row, op: 1 });
      }
    }
    return { steps, present };
  });

/** Consecutive steps of one side grouped into batches at the cut points. */
function batches(steps: readonly Step[], cuts: readonly number[]): { side: "left" | "right"; change: ChangeBatch }[] {
  const out: { side: "left" | "right"; change: ChangeBatch }[] = [];
  let current: Step[] = [];
  const flush = () => {
    if (current.length > 0)
      out.push({ side: (current[0] as Step).side, change: changeOf((current[0] as Step).side, current) });
    current = [];
  };
  steps.forEach((s, i) => {
    if (current.length > 0 && ((current[0] as Step).side !== s.side || cuts.includes(i))) flush();
    current.push(s);
  });
  flush();
  return out;
}

describe("join", () => {
  it("joins inserts from either side and pads unmatched rows of a left join until a match arrives", () => {
    const j = joinOf("left", false);
    expect(rowsOf(j.process("left", changeOf("left", [{ side: "left", row: { k: 1, v: 10 }, op: 1 }])))).toEqual([
      { _op: 1, lk: 1, lv: 10, rk: null, rw: null },
    ]);
    expect(rowsOf(j.process("right", changeOf("right", [{ side: "right", row: { k: 1, v: 7 }, op: 1 }])))).toEqual([
      { _op: 1, lk: 1, lv: 10, rk: 1n, rw: 7 },
      { _op: -1, lk: 1, lv: 10, rk: null, rw: null },
    ]);
    // The last match leaves: the padded row comes back.
    expect(rowsOf(j.process("right", changeOf("right", [{ side: "right", row: { k: 1, v: 7 }, op: -1 }])))).toEqual([
      { _op: -1, lk: 1, lv: 10, rk: 1n, rw: 7 },
      { _op: 1, lk: 1, lv: 10, rk: null, rw: null },
    ]);
    expect(j.sizes).toEqual({ left: 1, right: 0 });
  });

  it("never matches NULL keys and keeps no state for them", () => {
    const j = joinOf("full", false);
    const out = new Multiset();
    out.apply(j.process("left", changeOf("left", [{ side: "left", row: { k: null, v: 1 }, op: 1 }])));
    out.apply(j.process("right", changeOf("right", [{ side: "right", row: { k: null, v: 2 }, op: 1 }])));
    expect(out.sorted()).toEqual(recompute("full", false, [{ k: null, v: 1 }], [{ k: null, v: 2 }]));
    expect(j.sizes).toEqual({ left: 0, right: 0 });
  });

  it("temporal: joins each left row with the right side as it is then, stores no left rows", () => {
    const j = join(L, R, { id: "t", kind: "left", names: NAMES, on: ON, temporal: true });
    j.process("right", changeOf("right", [{ side: "right", row: { k: 1, v: 7 }, op: 1 }]));
    expect(rowsOf(j.process("left", changeOf("left", [{ side: "left", row: { k: 1, v: 1 }, op: 1 }])))).toEqual([
      { _op: 1, lk: 1, lv: 1, rk: 1n, rw: 7 },
    ]);
    // A later change of the right side revises nothing.
    expect(j.process("right", changeOf("right", [{ side: "right", row: { k: 1, v: 7 }, op: -1 }]))).toBeUndefined();
    expect(rowsOf(j.process("left", changeOf("left", [{ side: "left", row: { k: 1, v: 2 }, op: 1 }])))).toEqual([
      { _op: 1, lk: 1, lv: 2, rk: null, rw: null },
    ]);
    expect(j.sizes.left).toBe(0);
    expect(() => join(L, R, { id: "t", kind: "full", names: NAMES, on: ON, temporal: true })).toThrow(/temporal/);
  });

  it("emits only the columns read downstream (stores keys and residual columns too)", () => {
    const j = join(L, R, { id: "r", names: NAMES, on: ON });
    j.emitOnly(["rw"]);
    j.process("right", changeOf("right", [{ side: "right", row: { k: 1, v: 7 }, op: 1 }]));
    expect(rowsOf(j.process("left", changeOf("left", [{ side: "left", row: { k: 1, v: 5 }, op: 1 }])))).toEqual([
      { _op: 1, lk: null, lv: null, rk: null, rw: 7 },
    ]);
    // The stored right row kept its key: a later left row with that key still matches.
    expect(rowsOf(j.process("left", changeOf("left", [{ side: "left", row: { k: 1, v: 6 }, op: 1 }])))).toEqual([
      { _op: 1, lk: null, lv: null, rk: null, rw: 7 },
    ]);
  });

  it("equals a recomputation for any change stream, batch split and join kind (property)", () => {
    fc.assert(
      fc.property(
        stepsArb,
        fc.array(fc.nat(60), { maxLength: 10 }),
        fc.constantFrom<JoinKind>("inner", "left", "right", "full"),
        fc.boolean(),
        fc.boolean(),
        ({ steps, present }, cuts, kind, residual, textKeys) => {
          const j = joinOf(kind, residual, "j", textKeys);
          const view = new Multiset();
          for (const b of batches(steps, cuts)) view.apply(j.process(b.side, b.change));
          expect(view.sorted()).toEqual(recompute(kind, residual, present.left, present.right));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("restored from a checkpoint taken mid-stream, continues exactly as without the restart (property)", () => {
    fc.assert(
      fc.property(
        stepsArb,
        fc.nat(),
        fc.constantFrom<JoinKind>("inner", "left", "right", "full"),
        fc.boolean(),
        ({ steps }, cut, kind, residual) => {
          const all = batches(steps, []);
          const k = cut % (all.length + 1);
          const uninterrupted = joinOf(kind, residual);
          const expected = all.map((b) => rowsOf(uninterrupted.process(b.side, b.change)).map(rowText));
          const first = joinOf(kind, residual);
          const base = first.stores.map((s) => s.checkpoint(true));
          for (const b of all.slice(0, k)) first.process(b.side, b.change);
          const delta = first.stores.map((s) => s.checkpoint(false));
          const second = joinOf(kind, residual);
          second.stores.forEach((s, i) => {
            s.restore([base[i], delta[i]].filter((c) => c !== undefined));
          });
          second.restored?.();
          expect(second.sizes).toEqual(first.sizes);
          const after = all.slice(k).map((b) => rowsOf(second.process(b.side, b.change)).map(rowText));
          expect(after).toEqual(expected.slice(k));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("runs as shards by its partitioning: N copies emit what one does, and their checkpoints restore into M (property)", () => {
    const schemas = { left: L, right: R };
    const types = { left: sqlTypesOf(L), right: sqlTypesOf(R) };
    const copies = (n: number, kind: JoinKind, residual: boolean, textKeys: boolean, temporal: boolean) =>
      Array.from({ length: n }, () =>
        temporal
          ? join(L, R, { id: "j", kind, names: NAMES, on: textKeys ? TEXT_ON : ON, temporal })
          : joinOf(kind, residual, "j", textKeys),
      );
    const sizesOf = (ops: JoinOperator[]) =>
      ops.reduce((a, op) => ({ left: a.left + op.sizes.left, right: a.right + op.sizes.right }), { left: 0, right: 0 });
    /** One batch through the copies, each fed the rows it owns: the rows out, sorted. */
    const step = (ops: JoinOperator[], side: JoinSide, change: ChangeBatch): string[] => {
      const shards = ((ops[0] as JoinOperator).partitioning as JoinPartitioning).shardsOf(side, change, ops.length);
      expect(shards).toHaveLength(change.batch.numRows);
      const out: string[] = [];
      ops.forEach((op, s) => {
        const idx = Int32Array.from([...shards].flatMap((shard, i) => (shard === s ? [i] : [])));
        if (idx.length === 0) return;
        out.push(...rowsOf(op.process(side, takeChange(change, schemas[side], types[side], idx))).map(rowText));
      });
      return out.sort();
    };
    fc.assert(
      fc.property(
        stepsArb,
        fc.array(fc.nat(60), { maxLength: 10 }),
        fc.nat(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom<JoinKind>("inner", "left", "right", "full"),
        fc.boolean(),
        fc.boolean(),
        ({ steps }, cuts, cut, n, m, kind, residual, textKeys) => {
          // Some runs are temporal joins (INNER or LEFT): they store the right side only.
          const temporal = residual && textKeys && (kind === "inner" || kind === "left");
          const all = batches(steps, cuts);
          const k = cut % (all.length + 1);
          const [one] = copies(1, kind, residual, textKeys, temporal) as [JoinOperator];
          const expected = all.map((b) => rowsOf(one.process(b.side, b.change)).map(rowText).sort());

          const first = copies(n, kind, residual, textKeys, temporal);
          const got = all.slice(0, k).map((b) => step(first, b.side, b.change));
          const second = copies(m, kind, residual, textKeys, temporal);
          reshard(first, second);
          expect(sizesOf(second)).toEqual(sizesOf(first));
          for (const b of all.slice(k)) got.push(step(second, b.side, b.change));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
  it("a side keyed by a unique column replaces a key's row whatever the order of its retraction and insert, through a restart (property)", () => {
    const LK = schemaFrom({ id: "integer", k: "integer", v: "integer" });
    const names = ["lid", "lk", "lv", "rk", "rw"];
    const on = [{ left: col("lk"), right: col("rk") }];
    const residual = call("<", col("lv"), col("rw"));
    /** A join of LK and R; `narrow`: its consumers read no id (the row key is stored all the same). */
    const keyedOf = (kind: JoinKind, withResidual: boolean, narrow: boolean, rowKey?: { left: number[] }) => {
      const op = join(LK, R, {
        id: "j",
        kind,
        names,
        on,
        residual: withResidual ? residual : undefined,
        ...(rowKey ? { rowKey } : {}),
      });
      if (narrow) op.emitOnly(["lv", "rw"]);
      return op;
    };
    type Keyed = { id: number; k: number | null; v: number };
    /** Per step: left ids set to (k, v) or deleted (null), shuffled by a seed; or a right row in or out. */
    const stepArb = fc.oneof(
      fc.tuple(
        fc.constant("left" as const),
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 6 }),
            fc.option(fc.tuple(fc.option(fc.integer({ min: 0, max: 2 }), { freq: 5 }), fc.nat(4)), { nil: null }),
          ),
        ),
        fc.nat(),
      ),
      fc.tuple(fc.constant("right" as const), fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(4)), fc.nat(3)),
    );
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 1, maxLength: 14 }),
        fc.nat(),
        fc.constantFrom<JoinKind>("inner", "left", "right", "full"),
        fc.boolean(),
        fc.boolean(),
        (steps, cut, kind, withResidual, narrow) => {
          let keyed = keyedOf(kind, withResidual, narrow, { left: [0] });
          const got = new Multiset();
          const present = new Map<number, Keyed>();
          const right: Row[] = [];
          steps.forEach((step, at) => {
            if (at === cut % steps.length) {
              // A restart: the state goes through a checkpoint into a new operator.
              const restarted = keyedOf(kind, withResidual, narrow, { left: [0] });
              restarted.stores.forEach((st, i) => {
                st.restore([(keyed.stores[i] as (typeof keyed.stores)[number]).checkpoint(true)]);
              });
              restarted.restored?.();
              expect(restarted.sizes).toEqual(keyed.sizes);
              keyed = restarted;
            }
            if (step[0] === "right") {
              const [, [k, w], pick] = step;
              const gone = pick === 0 && right.length > 0 ? right.splice(w % right.length, 1)[0] : undefined;
              if (gone === undefined) right.push({ k, v: w });
              got.apply(
                keyed.process(
                  "right",
                  changeOf("right", [{ side: "right", row: gone ?? { k, v: w }, op: gone ? -1 : 1 }]),
                ),
              );
              return;
            }
            const [, updates, seed] = step;
            const rows: Keyed[] = [];
            const ops: number[] = [];
            for (const [id, next] of updates) {
              if (rows.some((r) => r.id === id)) continue; // one update per key and batch
              const old = present.get(id);
              if (old !== undefined) {
                rows.push(old);
                ops.push(-1);
                present.delete(id);
              }
              if (next !== null) {
                const row = { id, k: next[0], v: next[1] };
                rows.push(row);
                ops.push(1);
                present.set(id, row);
              }
            }
            // Shuffled: an update's insert may come before its retraction.
            const order = rows.map((_r, i) => i).sort((x, y) => ((x * 7 + seed) % 11) - ((y * 7 + seed) % 11) || x - y);
            got.apply(
              keyed.process(
                "left",
                changeFrom(
                  LK,
                  order.map((i) => rows[i] as Keyed),
                  order.map((i) => ops[i] as number),
                ),
              ),
            );
            // The reference: a join of rows by their whole content, fed what is present now.
            const whole = keyedOf(kind, withResidual, narrow);
            const want = new Multiset();
            want.apply(whole.process("left", changeFrom(LK, [...present.values()])));
            want.apply(
              whole.process(
                "right",
                changeOf(
                  "right",
                  right.map((row) => ({ side: "right", row, op: 1 })),
                ),
              ),
            );
            expect(got.sorted()).toEqual(want.sorted());
            // One entry per id with a key.
            expect(keyed.sizes.left).toBe([...present.values()].filter((r) => r.k !== null).length);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("join state of rows of every scalar type", () => {
  // Many types per row: a stored row's identity, computed again from its values, must equal the
  // one its retraction brings, or the retraction would miss it and the row stay behind.
  const W = schemaFrom({
    k: "integer",
    t: "varchar",
    d: "double precision",
    r: "real",
    n: "numeric",
    b: "boolean",
    ts: "timestamptz",
    day: "date",
    raw: "bytea",
    iv: "interval",
    big: "bigint",
  });
  const O = schemaFrom({ ok: "integer" });
  const rowArb = fc.record({
    k: fc.integer({ min: 0, max: 2 }),
    t: fc.option(fc.constantFrom("", "a", "a,b", "1:a", "é\u{1F600}"), { nil: null }),
    d: fc.option(fc.constantFrom(0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 0.1), { nil: null }),
    r: fc.option(fc.constantFrom(0.1, -2.5, 3), { nil: null }),
    n: fc.option(fc.constantFrom("1", "1.0", "1.00", "-0.5", "NaN"), { nil: null }),
    b: fc.option(fc.boolean(), { nil: null }),
    ts: fc.option(fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }), { nil: null }),
    day: fc.option(fc.integer({ min: -1000, max: 1000 }), { nil: null }),
    raw: fc.option(fc.uint8Array({ maxLength: 3 }), { nil: null }),
    iv: fc.option(
      fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 }), fc.bigInt({ min: -5n, max: 5n })),
      {
        nil: null,
      },
    ),
    big: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
  });

  it("stores each distinct row once and lets every retraction find it (property)", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 30 }), fc.nat(), (rows, seed) => {
        const names = ["ok", ...W.fields.map((f) => `w.${f.name}`)];
        const j = join(O, W, { id: "w", kind: "full", names, on: [{ left: col("ok"), right: col("w.k") }] });
        const out = new Multiset();
        // Every row twice (duplicates share an entry), then all retracted in another order.
        const doubled = [...rows, ...rows];
        out.apply(j.process("right", changeFrom(W, doubled)));
        out.apply(j.process("left", changeFrom(O, [{ ok: 0 }, { ok: 1 }, { ok: 2 }])));
        const order = doubled.map((_r, i) => i).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101));
        out.apply(
          j.process(
            "right",
            changeFrom(
              W,
              order.map((i) => doubled[i] as (typeof rows)[number]),
              order.map(() => -1),
            ),
          ),
        );
        expect(j.sizes.right).toBe(0);
        // Only the left rows are left, padded.
        expect(out.sorted().length).toBe(3);
      }),
      { numRuns: 200 },
    );
  });
});
