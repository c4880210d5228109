import { KeyedStore } from "@jetflow/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { floatKey } from "./aggregate-values.js";

describe("floatKey", () => {
  it("is equal exactly for SQL-equal doubles (0 = -0, NaN = NaN), and survives a checkpoint", () => {
    const double = fc.oneof(fc.double(), fc.constantFrom(0, -0, Number.NaN, Number.MIN_VALUE, -Number.MAX_VALUE));
    fc.assert(
      fc.property(fc.array(double, { minLength: 1, maxLength: 20 }), (values) => {
        const [a, b] = [values[0] as number, values.at(-1) as number];
        const same = a === b || (Number.isNaN(a) && Number.isNaN(b));
        expect(floatKey(a) === floatKey(b)).toBe(same);
        // Store keys are written as UTF-8: a key with a lone surrogate would come back altered.
        const store = new KeyedStore<number>("values");
        for (const v of values) store.set(floatKey(v), v);
        const restored = new KeyedStore<number>("values");
        restored.restore([store.checkpoint(true)]);
        expect([...restored.keys()].sort()).toEqual([...store.keys()].sort());
      }),
      { numRuns: 1000 },
    );
  });
});
