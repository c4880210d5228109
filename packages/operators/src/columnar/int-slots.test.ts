import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IntSlots } from "./int-slots.js";

describe("IntSlots", () => {
  it("behaves as a Map from int32 keys to slots under any sequence of sets and deletes", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
            fc.nat(1000),
          ),
          { maxLength: 400 },
        ),
        (ops) => {
          const slots = new IntSlots();
          const model = new Map<number, number>();
          for (const [put, key, slot] of ops) {
            if (put) {
              slots.set(key, slot);
              model.set(key, slot);
            } else expect(slots.delete(key)).toBe(model.delete(key));
            expect(slots.size).toBe(model.size);
          }
          for (let k = -40; k <= 40; k++) expect(slots.get(k)).toBe(model.get(k) ?? -1);
          for (const [k, v] of model) expect(slots.get(k)).toBe(v);
        },
      ),
    );
  });

  it("grows past many keys and empties on clear", () => {
    const slots = new IntSlots();
    for (let k = 0; k < 100_000; k++) slots.set(k * 7919, k);
    expect(slots.size).toBe(100_000);
    for (let k = 0; k < 100_000; k += 997) expect(slots.get(k * 7919)).toBe(k);
    for (let k = 0; k < 100_000; k += 2) slots.delete(k * 7919);
    expect(slots.get(2 * 7919)).toBe(-1);
    expect(slots.get(3 * 7919)).toBe(3);
    slots.clear();
    expect(slots.size).toBe(0);
    expect(slots.get(3 * 7919)).toBe(-1);
  });
});
