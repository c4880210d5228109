import type { SqlType } from "@jetflow/core";
import { type Data, makeVector } from "apache-arrow";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toArrow } from "./col.js";
import { takeChange } from "./take.js";
import { fromPlain } from "./plain.js";
import { batchFrom, rowsOf, schemaFrom } from "../test-support.js";

describe("takeChange", () => {
  it("picks rows of every column, also from a sliced batch", () => {
    const schema = schemaFrom({ s: "varchar", b: "bytea", i: "integer", p: "boolean" });
    const row = fc.record({
      s: fc.option(fc.string({ unit: "binary" }), { nil: null }),
      b: fc.option(fc.uint8Array({ maxLength: 4 }), { nil: null }),
      i: fc.option(fc.integer(), { nil: null }),
      p: fc.option(fc.boolean(), { nil: null }),
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
            [{ kind: "varchar" }, { kind: "bytea" }, { kind: "integer" }, { kind: "boolean" }] as SqlType[],
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
});
