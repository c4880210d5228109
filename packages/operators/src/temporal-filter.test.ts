import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { temporalFilter } from "./temporal-filter.js";
import { changeFrom, Multiset, rowText, schemaFrom } from "./test-support.js";

const schema = schemaFrom({ id: "integer", ts: "timestamptz" });
const WINDOW = 100;

describe("temporalFilter", () => {
  it("keeps rows inside the window and retracts them on tick once they age out", () => {
    let now = 1000n;
    const f = temporalFilter(schema, "ts", WINDOW, { id: "tf", now: () => now });
    const view = new Multiset();
    view.apply(
      f.process(
        changeFrom(schema, [
          { id: 1, ts: 950n },
          { id: 2, ts: 900n },
          { id: 3, ts: null },
        ]),
      ),
    );
    expect(view.sorted()).toEqual([rowText({ id: 1, ts: 950n })]); // 900 + 100 is not after 1000
    now = 1049n;
    expect(f.tick()).toBeUndefined();
    now = 1050n;
    view.apply(f.tick());
    expect(view.sorted()).toEqual([]);
    // The retraction of a row already gone passes nothing.
    expect(f.process(changeFrom(schema, [{ id: 1, ts: 950n }], [-1]))).toBeUndefined();
  });

  it(">= keeps the row at the window's edge", () => {
    const f = temporalFilter(schema, "ts", WINDOW, { id: "tf", now: () => 1000n, inclusive: true });
    expect(f.process(changeFrom(schema, [{ id: 2, ts: 900n }]))?.batch.numRows).toBe(1);
    expect(() => temporalFilter(schema, "id", 1, { id: "x" })).toThrow(
      /a temporal filter's time column "id" must be a timestamp, not integer/,
    );
  });

  it("equals the rows present whose time is inside the window at the end, for any stream and clock (property)", () => {
    const step = fc.record({
      ts: fc.option(fc.integer({ min: 0, max: 400 }), { freq: 8 }),
      pick: fc.nat(9),
      advance: fc.integer({ min: 0, max: 30 }),
      tick: fc.boolean(),
      cut: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.boolean(), (steps, inclusive) => {
        let now = 200n;
        const f = temporalFilter(schema, "ts", WINDOW, { id: "tf", now: () => now, inclusive });
        const view = new Multiset();
        const present: { id: number; ts: bigint | null }[] = [];
        let batch: { row: { id: number; ts: bigint | null }; op: number }[] = [];
        const flush = () => {
          if (batch.length > 0)
            view.apply(
              f.process(
                changeFrom(
                  schema,
                  batch.map((b) => b.row),
                  batch.map((b) => b.op),
                ),
              ),
            );
          batch = [];
        };
        steps.forEach((s, i) => {
          if (s.pick < 3 && present.length > 0) {
            const [gone] = present.splice(s.pick % present.length, 1);
            batch.push({ row: gone as (typeof present)[number], op: -1 });
          } else {
            const row = { id: i % 5, ts: s.ts === null ? null : BigInt(s.ts) };
            present.push(row);
            batch.push({ row, op: 1 });
          }
          if (s.cut) {
            flush();
            now += BigInt(s.advance);
          }
          if (s.tick) view.apply(f.tick());
        });
        flush();
        view.apply(f.tick());
        const alive = (ts: bigint) => (inclusive ? now <= ts + 100n : now < ts + 100n);
        const expected = present.filter((r) => r.ts !== null && alive(r.ts)).map((r) => rowText(r));
        expect(view.sorted()).toEqual(expected.sort());
      }),
      { numRuns: 300 },
    );
  });
});
