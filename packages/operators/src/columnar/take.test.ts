import type { SqlType } from "@jetflow/core";
import { type Data, makeVector } from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromArrow, toArrow } from "./col.js";
import { takeChange, takeCol } from "./take.js";
import { fromPlain, plainValues } from "./plain.js";
import { batchFrom, rowsOf, schemaFrom } from "../test-support.js";

describe("takeChange", () => {
  it("picks rows of every column, also from a sliced batch", () => {
    const columns = {
      s: "varchar",
      b: "bytea",
      i: "integer",
      p: "boolean",
      g: "bigint",
      d: "double precision",
      h: "smallint",
      t: "timestamptz",
      n: "numeric",
    };
    const schema = schemaFrom(columns);
    const row = fc.record({
      s: fc.option(fc.string({ unit: "binary" }), { nil: null }),
      b: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: null }),
      i: fc.option(fc.integer(), { nil: null }),
      p: fc.option(fc.boolean(), { nil: null }),
      g: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
      d: fc.option(fc.double({ noNaN: true }), { nil: null }),
      h: fc.option(fc.integer({ min: -32768, max: 32767 }), { nil: null }),
      t: fc.option(fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }), { nil: null }),
      n: fc.option(
        fc.integer({ min: -99999, max: 99999 }).map((v) => (v / 100).toFixed(2)),
        { nil: null },
      ),
    });
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 30 }),
        fc.nat(),
        fc.array(fc.boolean()),
        (rows, cut, keep) => {
          const from = cut % rows.length;
          const batch = batchFrom(schema, rows).slice(from);
          const idx = Int32Array.from([...rows.slice(from).keys()].filter((i) => keep[i] ?? true));
          const picked = takeChange(
            { batch, ops: undefined },
            schema,
            Object.values(columns).map((kind) => ({ kind })) as SqlType[],
            idx,
          );
          const expected = [...idx].map((i) => ({ _op: 1, ...rows[from + i] }));
          expect(rowsOf(picked)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
    expect(makeVector(toArrow(fromPlain(["a"], { kind: "varchar" })) as Data).get(0)).toBe("a");
  });

  it("takeCol gives a NULL row for an index below 0, in every representation", () => {
    const types: SqlType[] = [
      { kind: "varchar" },
      { kind: "bytea" },
      { kind: "integer" },
      { kind: "bigint" },
      { kind: "boolean" },
      { kind: "interval" },
      { kind: "list", element: { kind: "integer" } },
    ] as SqlType[];
    const samples: unknown[][] = [
      ["a", null, "ccc"],
      [Uint8Array.of(1), Uint8Array.of(), null],
      [1, null, 3],
      [1n, 2n, null],
      [true, false, null],
      [[1, 2, 3n], null, [0, 0, 0n]],
      [[1, 2], null, []],
    ];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1, max: 2 }), { maxLength: 12 }), (picks) => {
        const idx = Int32Array.from(picks);
        types.forEach((t, c) => {
          const values = samples[c] as unknown[];
          const taken = plainValues(takeCol(fromPlain(values, t), idx));
          expect(taken).toEqual(picks.map((i) => (i < 0 ? null : values[i])));
          // Through Arrow and back, as a join's output goes.
          expect(plainValues(fromArrow(toArrow(takeCol(fromPlain(values, t), idx)), t))).toEqual(taken);
        });
      }),
      { numRuns: 100 },
    );
  });
});
