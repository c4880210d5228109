import { type ChangeBatch, RETRACT } from "@jetflow/core";
import type { KeyedStore, StateChunk } from "@jetflow/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { col, lit } from "./expr/expr.js";
import {
  changeFrom,
  checkpointAll,
  Multiset,
  reshard,
  restoreInto,
  rowsOf,
  rowText,
  schemaFrom,
} from "./test-support.js";
import { takeChange } from "./columnar/take.js";
import { concatChanges } from "./columnar/concat.js";
import { sqlTypesOf } from "./expr/compile.js";
import type { TopNOperator } from "./top-n.js";
import { type OrderKey, topN } from "./top-n.js";

const schema = schemaFrom({ id: "integer", score: "integer" });
type Row = { id: number; score: number | null };

// Ordering by every column, so ties only happen between identical rows.
const ORDER: OrderKey[] = [
  { expr: col("score"), desc: true, nullsFirst: true },
  { expr: col("id"), desc: false, nullsFirst: false },
];

function reference(rows: Row[], limit: number, offset: number): string[] {
  const sorted = [...rows].sort((a, b) => {
    if (a.score !== b.score) {
      if (a.score === null) return -1;
      if (b.score === null) return 1;
      return b.score - a.score;
    }
    return a.id - b.id;
  });
  return sorted
    .slice(offset, offset + limit)
    .map((r) => rowText(r))
    .sort();
}

const rowArb: fc.Arbitrary<Row> = fc.record({
  id: fc.integer({ min: 0, max: 20 }),
  score: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null }),
});

const stepsArb = fc.array(
  fc.record({ inserts: fc.array(rowArb, { maxLength: 6 }), retracts: fc.array(fc.nat(), { maxLength: 5 }) }),
  {
    minLength: 1,
    maxLength: 15,
  },
);

function changesOf(steps: { inserts: Row[]; retracts: number[] }[]): { changes: ChangeBatch[]; nets: Row[][] } {
  const present: Row[] = [];
  const changes: ChangeBatch[] = [];
  const nets: Row[][] = [];
  for (const s of steps) {
    const rows: Row[] = [];
    const ops: number[] = [];
    for (const p of s.retracts) {
      if (present.length === 0) break;
      rows.push(...present.splice(p % present.length, 1));
      ops.push(RETRACT);
    }
    for (const r of s.inserts) {
      rows.push(r);
      ops.push(1);
      present.push(r);
    }
    changes.push(changeFrom(schema, rows, ops));
    nets.push([...present]);
  }
  return { changes, nets };
}

/** Each copy fed the rows it owns, the merge fed their changes joined into one: the merge's output. */
function feedShards({ copies, merge }: { copies: TopNOperator[]; merge: TopNOperator }, c: ChangeBatch) {
  const types = sqlTypesOf(schema);
  const shardOf = (copies[0] as TopNOperator).partitioning.shardsOf(c, copies.length);
  const outs: ChangeBatch[] = [];
  copies.forEach((copy, s) => {
    const idx = Int32Array.from(shardOf.keys()).filter((i) => shardOf[i] === s);
    const out = idx.length === 0 ? undefined : copy.process(takeChange(c, schema, types, idx));
    if (out !== undefined) outs.push(out);
  });
  return outs.length === 0 ? undefined : merge.process(concatChanges(outs, schema, types));
}

describe("topN", () => {
  it("holds exactly the rows ranked [offset, offset + limit) after every batch, retractions pulling rows back in", () => {
    fc.assert(
      fc.property(stepsArb, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3 }), (steps, limit, offset) => {
        const { changes, nets } = changesOf(steps);
        const op = topN(schema, ORDER, limit, offset, { id: "top" });
        const view = new Multiset();
        changes.forEach((c, i) => {
          view.apply(op.process(c));
          expect(view.sorted()).toEqual(reference(nets[i] as Row[], limit, offset));
        });
      }),
      { numRuns: 200 },
    );
  });

  it("continues identically after checkpoint and restore", () => {
    fc.assert(
      fc.property(stepsArb, fc.nat(), (steps, cut) => {
        const { changes } = changesOf(steps);
        const k = cut % (changes.length + 1);
        const whole = topN(schema, ORDER, 3, 1, { id: "top" });
        const expected = changes.map((c) => rowsOf(whole.process(c)).map(rowText));
        const first = topN(schema, ORDER, 3, 1, { id: "top" });
        const chain: StateChunk[][] = [checkpointAll(first, true)];
        const got = changes.slice(0, k).map((c) => rowsOf(first.process(c)).map(rowText));
        chain.push(checkpointAll(first, false));
        const second = topN(schema, ORDER, 3, 1, { id: "top" });
        restoreInto(second, chain);
        for (const c of changes.slice(k)) got.push(rowsOf(second.process(c)).map(rowText));
        expect(got).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("runs as shards: N copies keeping offset + limit rows, merged by one top-N, emit per batch what one top-N does", () => {
    // Ordered by score alone: ties are broken by row identity, in the copies as in the merge.
    const byScore: OrderKey[] = [{ expr: col("score"), desc: false, nullsFirst: true }];
    const sharded = (n: number, limit: number, offset: number) => ({
      copies: Array.from({ length: n }, () => topN(schema, byScore, offset + limit, 0, { id: "top" })),
      merge: topN(schema, byScore, limit, offset, { id: "merge" }),
    });
    fc.assert(
      fc.property(
        stepsArb,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 2 }),
        fc.nat(),
        (steps, n, m, limit, offset, cut) => {
          const { changes } = changesOf(steps);
          const one = topN(schema, byScore, limit, offset, { id: "top" });
          const expected = new Multiset();
          const got = new Multiset();
          let shards = sharded(n, limit, offset);
          const k = cut % (changes.length + 1);
          changes.forEach((c, i) => {
            if (i === k) {
              // The copies' state restored into m copies; the merge rebuilt from their windows.
              const next = sharded(m, limit, offset);
              reshard(shards.copies, next.copies);
              for (const copy of next.copies) {
                const window = copy.window();
                if (window !== undefined) next.merge.process(window);
              }
              shards = next;
            }
            expected.apply(one.process(c));
            got.apply(feedShards(shards, c));
            expect(got.sorted()).toEqual(expected.sorted());
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keyed by a unique column: replaces a key's row whatever the order of its retraction and insert, alone or as shards", () => {
    // Per step, ids set to a score or deleted (null); each batch's rows are shuffled by `seed`.
    const updatesArb = fc.array(
      fc.tuple(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }))),
        fc.nat(),
      ),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(
        updatesArb,
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        (steps, limit, offset, n) => {
          const one = topN(schema, ORDER, limit, offset, { id: "top", key: [0] });
          const copies = Array.from({ length: n }, () =>
            topN(schema, ORDER, offset + limit, 0, { id: "top", key: [0] }),
          );
          const merge = topN(schema, ORDER, limit, offset, { id: "merge", key: [0] });
          const alone = new Multiset();
          const sharded = new Multiset();
          const present = new Map<number, number>();
          for (const [updates, seed] of steps) {
            const rows: Row[] = [];
            const ops: number[] = [];
            const seen = new Set<number>();
            for (const [id, score] of updates) {
              if (seen.has(id)) continue; // one update per key and batch
              seen.add(id);
              const old = present.get(id);
              if (old !== undefined) {
                rows.push({ id, score: old });
                ops.push(RETRACT);
                present.delete(id);
              }
              if (score !== null) {
                rows.push({ id, score });
                ops.push(1);
                present.set(id, score);
              }
            }
            // Shuffled: an update's insert may come before its retraction.
            const order = rows.map((_r, i) => i).sort((x, y) => ((x * 7 + seed) % 11) - ((y * 7 + seed) % 11) || x - y);
            const c = changeFrom(
              schema,
              order.map((i) => rows[i] as Row),
              order.map((i) => ops[i] as number),
            );
            alone.apply(one.process(c));
            sharded.apply(feedShards({ copies, merge }, c));
            const now = [...present].map(([id, score]) => ({ id, score }));
            expect(alone.sorted()).toEqual(reference(now, limit, offset));
            expect(sharded.sorted()).toEqual(alone.sorted());
            // One entry per key present.
            expect((one.stores[0] as KeyedStore<unknown>).size).toBe(limit === 0 ? 0 : present.size); // LIMIT 0 keeps nothing
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("orders by one number key as by the generic comparison: NULLs, NaN, infinities, -0, ASC and DESC", () => {
    const doubles = schemaFrom({ id: "integer", x: "double precision" });
    const value = fc.oneof(
      fc.constantFrom(null, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0),
      fc.integer({ min: -3, max: 3 }).map((v) => v / 2),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), value), { maxLength: 25 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 0, max: 8 }),
        (rows, desc, nullsFirst, limit) => {
          const key: OrderKey = { expr: col("x"), desc, nullsFirst };
          const fast = topN(doubles, [key], limit, 1, { id: "f" });
          // A second key that never differs: the generic comparison, the same order.
          const generic = topN(doubles, [key, { expr: lit(1), desc: false, nullsFirst: false }], limit, 1, { id: "g" });
          const change = changeFrom(
            doubles,
            rows.map(([id, x]) => ({ id, x })),
          );
          expect(rowsOf(fast.process(change)).map(rowText).sort()).toEqual(
            rowsOf(generic.process(change)).map(rowText).sort(),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives its window as rows, each as often as it is in it", () => {
    const op = topN(schema, ORDER, 2, 1, { id: "t" });
    op.process(
      changeFrom(schema, [
        { id: 1, score: 5 },
        { id: 2, score: 5 },
        { id: 2, score: 5 },
        { id: 3, score: 1 },
      ]),
    );
    expect(rowsOf(op.window())).toEqual([
      { _op: 1, id: 2, score: 5 },
      { _op: 1, id: 2, score: 5 },
    ]);
    expect(topN(schema, ORDER, 2, 0, { id: "e" }).window()).toBeUndefined();
  });

  it("a row in and out twice in one batch leaves nothing stored and emits nothing", () => {
    // Rows counted by content (no key): a keyed top-N takes a key's retraction before its insert.
    const top = topN(schema, ORDER, 2, 0, { id: "t" });
    const row = { id: 1, score: 5 };
    const out = top.process(changeFrom(schema, [row, row, row, row], [1, RETRACT, 1, RETRACT]));
    expect(rowsOf(out)).toEqual([]);
    expect((top.stores[0] as KeyedStore<unknown>).size).toBe(0);
  });

  it("emits nothing for changes outside the window", () => {
    const op = topN(schema, [{ expr: col("score"), desc: true, nullsFirst: false }], 1, 0, { id: "t" });
    expect(rowsOf(op.process(changeFrom(schema, [{ id: 1, score: 9 }])))).toEqual([{ _op: 1, id: 1, score: 9 }]);
    expect(op.process(changeFrom(schema, [{ id: 2, score: 1 }]))).toBeUndefined();
    expect(rowsOf(op.process(changeFrom(schema, [{ id: 1, score: 9 }], [RETRACT])))).toEqual([
      { _op: -1, id: 1, score: 9 },
      { _op: 1, id: 2, score: 1 },
    ]);
  });

  it("rejects a negative limit", () => {
    expect(() => topN(schema, ORDER, -1, 0, { id: "t" })).toThrow(/LIMIT/);
  });
});
