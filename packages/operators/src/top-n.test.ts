import { type ChangeBatch, RETRACT } from "@jetflow/core";
import type { StateChunk } from "@jetflow/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { col } from "./expr/expr.js";
import { changeFrom, checkpointAll, Multiset, restoreInto, rowsOf, rowText, schemaFrom } from "./test-support.js";
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
