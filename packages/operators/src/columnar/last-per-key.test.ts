import { RETRACT } from "@jetflow/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sqlTypesOf } from "../expr/compile.js";
import { changeFrom, rowsOf, schemaFrom } from "../test-support.js";
import { lastPerKey } from "./last-per-key.js";

const schema = schemaFrom({ id: "numeric", v: "varchar" });
const types = sqlTypesOf(schema);

describe("lastPerKey", () => {
  it("keeps the last row of each key, in the order of those rows (what an upsert by the key keeps)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.constantFrom("1", "1.0", "2", null), v: fc.string({ maxLength: 3 }) }), {
          maxLength: 40,
        }),
        (rows) => {
          const out = rowsOf(lastPerKey(changeFrom(schema, rows), schema, types, [0]));
          // The reference: a Map by key (1 and 1.0 are one key, as in a primary key), deleted and set again.
          const last = new Map<string | null, { id: string | null; v: string }>();
          for (const r of rows) {
            const k = r.id === null ? null : String(Number(r.id));
            last.delete(k);
            last.set(k, r);
          }
          expect(out.map(({ _op, ...r }) => r)).toEqual([...last.values()]);
          for (const r of out) expect(r._op).toBe(1);
        },
      ),
    );
  });

  it("passes a change with retractions, or whose keys do not repeat, through as it is", () => {
    const unique = changeFrom(schema, [
      { id: "1", v: "a" },
      { id: "2", v: "b" },
    ]);
    expect(lastPerKey(unique, schema, types, [0])).toBe(unique);
    const retracting = changeFrom(
      schema,
      [
        { id: "1", v: "a" },
        { id: "1", v: "b" },
      ],
      [RETRACT, 1],
    );
    expect(lastPerKey(retracting, schema, types, [0])).toBe(retracting);
  });
});
