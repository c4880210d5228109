import { RETRACT } from "@jetflow/core";
import type { StateChunk } from "@jetflow/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { col } from "./expr/expr.js";
import { groupAggregate } from "./group-aggregate.js";
import { changeFrom, checkpointAll, restoreInto, rowsOf, rowText, run, schemaFrom } from "./test-support.js";
import { upsert } from "./upsert.js";

const schema = schemaFrom({ id: "bigint", name: "varchar", ts: "timestamptz", amount: "integer" });

describe("upsert", () => {
  it("inserts new keys, overwrites existing ones as retract + insert, ignores identical rewrites", () => {
    const t = upsert(schema, ["id"], { id: "t" });
    expect(rowsOf(t.process(changeFrom(schema, [{ id: 1n, name: "a", amount: 1 }])))).toEqual([
      { _op: 1, id: 1n, name: "a", ts: null, amount: 1 },
    ]);
    expect(t.process(changeFrom(schema, [{ id: 1n, name: "a", amount: 1 }]))).toBeUndefined();
    expect(
      rowsOf(
        t.process(
          changeFrom(schema, [
            { id: 1n, name: "b", amount: 1 },
            { id: 2n, name: "c", amount: 2 },
          ]),
        ),
      ),
    ).toEqual([
      { _op: -1, id: 1n, name: "a", ts: null, amount: 1 },
      { _op: 1, id: 1n, name: "b", ts: null, amount: 1 },
      { _op: 1, id: 2n, name: "c", ts: null, amount: 2 },
    ]);
    expect(t.size).toBe(2);
    expect(t.rows()).toContainEqual({ id: 1n, name: "b", ts: null, amount: 1 });
    expect(t.snapshot().numRows).toBe(2);
  });

  it("handles the same key twice in one batch: only the last write is emitted and kept", () => {
    const t = upsert(schema, ["id"], { id: "t" });
    t.process(changeFrom(schema, [{ id: 7n, amount: 0 }]));
    const out = rowsOf(
      t.process(
        changeFrom(schema, [
          { id: 7n, amount: 1 },
          { id: 8n, amount: 5 },
          { id: 7n, amount: 2 },
        ]),
      ),
    );
    expect(out.map((r) => [r._op, r.id, r.amount])).toEqual([
      [-1, 7n, 0],
      [1, 8n, 5],
      [1, 7n, 2],
    ]);
    expect(t.rows()).toContainEqual({ id: 7n, name: null, ts: null, amount: 2 });
    expect(t.size).toBe(2);
  });

  it("keys on composite keys of varchar, timestamp and bigint exactly", () => {
    const t = upsert(schema, ["name", "ts", "id"], { id: "t" });
    t.process(
      changeFrom(schema, [
        { id: 1n, name: "a", ts: 5n, amount: 1 },
        { id: 1n, name: "a", ts: 6n, amount: 2 },
        { id: 1n, name: "a,", ts: 5n, amount: 3 }, // a separator inside a string must not collide
        { id: 2n ** 60n, name: "a", ts: 5n, amount: 4 },
        { id: 2n ** 60n + 1n, name: "a", ts: 5n, amount: 5 }, // beyond 2^53: exact
      ]),
    );
    expect(t.size).toBe(5);
    t.process(changeFrom(schema, [{ id: 2n ** 60n + 1n, name: "a", ts: 5n, amount: 50 }]));
    expect(t.size).toBe(5);
    expect(t.rows().find((r) => r.id === 2n ** 60n + 1n)?.amount).toBe(50);
  });

  it("treats NULL in a key column as a key value by default (RisingWave), or drops the row", () => {
    const t = upsert(schema, ["id"], { id: "t" });
    t.process(changeFrom(schema, [{ id: null, name: "x" }]));
    expect(rowsOf(t.process(changeFrom(schema, [{ id: null, name: "y" }])))).toEqual([
      { _op: -1, id: null, name: "x", ts: null, amount: null },
      { _op: 1, id: null, name: "y", ts: null, amount: null },
    ]);
    expect(t.nullKeyRows).toBe(2);
    expect(t.size).toBe(1);
    const strict = upsert(schema, ["id"], { id: "t", nullKeys: "drop" });
    expect(strict.process(changeFrom(schema, [{ id: null, name: "x" }]))).toBeUndefined();
    expect(strict.nullKeyRows).toBe(1);
    expect(strict.size).toBe(0);
    expect(() => upsert(schema, ["id"], { id: "t", nullKeys: "nope" as never })).toThrow(
      /nullKeys must be "value" or "drop"/,
    );
  });

  it("deletes on an input retraction", () => {
    const t = upsert(schema, ["id"], { id: "t" });
    t.process(changeFrom(schema, [{ id: 1n, amount: 1 }]));
    expect(rowsOf(t.process(changeFrom(schema, [{ id: 1n }], [RETRACT])))).toEqual([
      { _op: -1, id: 1n, name: null, ts: null, amount: 1 },
    ]);
    expect(t.size).toBe(0);
  });

  it("rejects a key column the schema lacks", () => {
    expect(() => upsert(schema, ["nope"], { id: "t" })).toThrow(/primary key column "nope" is not a column/);
  });

  const writesArb = fc.array(
    fc.record({
      id: fc.bigInt({ min: 0n, max: 15n }),
      name: fc.constantFrom("x", "y", "z"),
      amount: fc.option(fc.integer({ min: -50, max: 50 }), { nil: null }),
    }),
    { minLength: 1, maxLength: 60 },
  );

  it("then aggregate equals aggregating the final table", () => {
    fc.assert(
      fc.property(writesArb, fc.integer({ min: 1, max: 7 }), (writes, size) => {
        const t = upsert(schema, ["id"], { id: "t" });
        const aggs = [
          { name: "n", fn: "count" as const, arg: undefined, distinct: false },
          { name: "s", fn: "sum" as const, arg: col("amount"), distinct: false },
          { name: "m", fn: "min" as const, arg: col("amount"), distinct: false },
        ];
        const incremental = groupAggregate(schema, [{ name: "name", expr: col("name") }], aggs, { id: "a" });
        const changes = [];
        for (let i = 0; i < writes.length; i += size) {
          const out = t.process(changeFrom(schema, writes.slice(i, i + size)));
          if (out !== undefined) changes.push(out);
        }
        const view = run(incremental, changes);
        const final = [...new Map(writes.map((w) => [w.id, w])).values()];
        const fromScratch = run(groupAggregate(schema, [{ name: "name", expr: col("name") }], aggs, { id: "b" }), [
          changeFrom(schema, final),
        ]);
        expect(view.sorted()).toEqual(fromScratch.sorted());
        expect(
          t
            .rows()
            .map((r) => rowText(r as never))
            .sort(),
        ).toEqual(final.map((w) => rowText({ id: w.id, name: w.name, ts: null, amount: w.amount })).sort());
      }),
      { numRuns: 200 },
    );
  });

  it("continues identically after checkpoint and restore", () => {
    fc.assert(
      fc.property(writesArb, fc.nat(), (writes, cut) => {
        const k = cut % (writes.length + 1);
        const whole = upsert(schema, ["id"], { id: "t" });
        const expected = [
          rowsOf(whole.process(changeFrom(schema, writes.slice(0, k)))),
          rowsOf(whole.process(changeFrom(schema, writes.slice(k)))),
        ];
        const first = upsert(schema, ["id"], { id: "t" });
        const chain: StateChunk[][] = [checkpointAll(first, true)];
        const got = [rowsOf(first.process(changeFrom(schema, writes.slice(0, k))))];
        chain.push(checkpointAll(first, false));
        const second = upsert(schema, ["id"], { id: "t" });
        restoreInto(second, chain);
        got.push(rowsOf(second.process(changeFrom(schema, writes.slice(k)))));
        expect(got).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it("emits exactly what a row-by-row model of upsert emits (retractions first, then inserts in input order)", () => {
    const keyed = schemaFrom({ id: "bigint", name: "varchar", score: "double precision", note: "varchar" });
    const write = fc.record({
      id: fc.option(fc.bigInt({ min: -3n, max: 3n }), { nil: null, freq: 6 }),
      name: fc.option(fc.constantFrom("a", "b", "a,", "é"), { nil: null, freq: 6 }),
      score: fc.constantFrom(0, -0, 1.5, Number.NaN, 2 ** 60),
      note: fc.option(fc.constantFrom("", "x", "yy"), { nil: null }),
      op: fc.constantFrom(1, 1, 1, RETRACT),
    });
    type Row = { id: bigint | null; name: string | null; score: number; note: string | null };
    const keyOf = (r: Row) => `${r.id ?? "~"}|${r.name === null ? "~" : JSON.stringify(r.name)}`;
    const same = (a: Row, b: Row) =>
      a.id === b.id &&
      a.name === b.name &&
      a.note === b.note &&
      (a.score === b.score || (Number.isNaN(a.score) && Number.isNaN(b.score)));
    fc.assert(
      fc.property(
        fc.array(fc.array(write, { maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        fc.constantFrom("value" as const, "drop" as const),
        (batches, nullKeys) => {
          const t = upsert(keyed, ["id", "name"], { id: "t", nullKeys });
          const model = new Map<string, Row>();
          for (const batch of batches) {
            // The model: per key, its last write in the batch, keys in order of first appearance.
            const last = new Map<string, { row: Row; op: number; at: number }>();
            batch.forEach(({ op, ...row }, at) => {
              if (nullKeys === "drop" && (row.id === null || row.name === null)) return;
              last.set(keyOf(row), { row, op, at });
            });
            const retractions: Record<string, unknown>[] = [];
            const inserts: { at: number; row: Row }[] = [];
            for (const [key, { row, op, at }] of last) {
              const old = model.get(key);
              if (op === RETRACT) {
                if (old !== undefined) retractions.push({ _op: RETRACT, ...old });
                model.delete(key);
                continue;
              }
              if (old !== undefined && same(old, row)) continue;
              if (old !== undefined) retractions.push({ _op: RETRACT, ...old });
              model.set(key, row);
              inserts.push({ at, row });
            }
            const expected = [
              ...retractions,
              ...inserts.sort((a, b) => a.at - b.at).map(({ row }) => ({ _op: 1, ...row })),
            ];
            const out = t.process(
              changeFrom(
                keyed,
                batch.map(({ op: _op, ...row }) => row),
                batch.map((w) => w.op),
              ),
            );
            expect(rowsOf(out).map((r) => rowText(r))).toEqual(expected.map((r) => rowText(r as never)));
          }
          expect(t.size).toBe(model.size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keys one numeric column by the number itself, as exactly as the string keys", () => {
    // bigint around 2^53 (numbers there and strings beyond), doubles with -0 = 0 and NaN = NaN, NULL.
    const big = 2n ** 53n;
    const cases = [
      {
        type: "bigint",
        values: fc.constantFrom(
          0n,
          -1n,
          2n ** 31n,
          2n ** 32n,
          -(2n ** 32n),
          big - 1n,
          big,
          big + 1n,
          -big - 1n,
          2n ** 63n - 1n,
        ),
      },
      { type: "double precision", values: fc.constantFrom(0, -0, 1.5, Number.NaN, 2 ** 60, -3, 2 ** 31) },
      { type: "integer", values: fc.constantFrom(0, -1, 5, 2 ** 31 - 1, -(2 ** 31)) },
    ] as const;
    for (const { type, values } of cases) {
      const keyed = schemaFrom({ k: type, note: "varchar" });
      const canonical = (k: unknown): string =>
        k === null ? "~" : typeof k === "number" && Number.isNaN(k) ? "NaN" : String(k === 0 ? 0 : k);
      const write = fc.record({
        k: fc.option(values as fc.Arbitrary<unknown>, { nil: null, freq: 6 }),
        note: fc.constantFrom("x", "y"),
      });
      fc.assert(
        fc.property(fc.array(fc.array(write, { maxLength: 10 }), { minLength: 1, maxLength: 4 }), (batches) => {
          const t = upsert(keyed, ["k"], { id: "t" });
          const model = new Map<string, string>();
          for (const batch of batches) {
            const before = new Map(model);
            for (const w of batch) model.set(canonical(w.k), w.note);
            const out = rowsOf(t.process(changeFrom(keyed, batch)));
            const retracted = out.filter((r) => r._op === RETRACT).map((r) => canonical(r.k));
            const inserted = out.filter((r) => r._op === 1).map((r) => `${canonical(r.k)}=${r.note as string}`);
            const changed = [...model].filter(([k, note]) => before.get(k) !== note);
            expect(retracted.sort()).toEqual(
              changed
                .filter(([k]) => before.has(k))
                .map(([k]) => k)
                .sort(),
            );
            expect(inserted.sort()).toEqual(changed.map(([k, note]) => `${k}=${note}`).sort());
          }
          expect(t.size).toBe(model.size);
          const chain = [checkpointAll(t, true)];
          const restored = upsert(keyed, ["k"], { id: "t" });
          restoreInto(restored, chain);
          expect(
            restored
              .rows()
              .map((r) => `${canonical(r["k"])}=${r["note"] as string}`)
              .sort(),
          ).toEqual([...model].map(([k, note]) => `${k}=${note}`).sort());
        }),
        { numRuns: 150 },
      );
    }
  });

  it("emits only the columns its consumers read, keeping whole rows in its store", () => {
    const t = upsert(schema, ["id"], { id: "t" });
    t.emitOnly(["amount"]);
    t.process(changeFrom(schema, [{ id: 1n, name: "a", amount: 1 }]));
    const out = rowsOf(t.process(changeFrom(schema, [{ id: 1n, name: "b", amount: 2 }])));
    // The retraction lacks the unread columns; the key column is unread too.
    expect(out).toEqual([
      { _op: -1, id: null, name: null, ts: null, amount: 1 },
      { _op: 1, id: null, name: null, ts: null, amount: 2 },
    ]);
    expect(t.rows()).toEqual([{ id: 1n, name: "b", ts: null, amount: 2 }]);
    // A name that is no column means every column, as does undefined.
    for (const columns of [["amount", "AMOUNT"], undefined]) {
      t.emitOnly(columns);
      expect(rowsOf(t.process(changeFrom(schema, [{ id: 1n, name: "c", amount: 3 }])))[0]).toEqual({
        _op: -1,
        id: 1n,
        name: "b",
        ts: null,
        amount: 2,
      });
      t.process(changeFrom(schema, [{ id: 1n, name: "b", amount: 2 }]));
    }
  });
});
