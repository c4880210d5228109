import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignPartitions } from "./rendezvous.js";

describe("assignPartitions", () => {
  it("gives every partition to exactly one member, floor or ceil of n/m each", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 9 }),
        fc.integer({ min: 1, max: 64 }),
        (members, n) => {
          const a = assignPartitions(members, n);
          const all = [...a.values()].flat().sort((x, y) => x - y);
          expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
          for (const list of a.values()) {
            expect(list.length).toBeGreaterThanOrEqual(Math.floor(n / members.length));
            expect(list.length).toBeLessThanOrEqual(Math.ceil(n / members.length));
          }
        },
      ),
    );
  });

  it("does not depend on the order members are listed in", () => {
    const a = assignPartitions(["m1", "m2", "m3"], 16);
    expect(assignPartitions(["m3", "m1", "m2"], 16)).toEqual(a);
  });

  it("moves few partitions when a member joins", () => {
    const members = ["a-1", "b-2", "c-3", "d-4"];
    const before = assignPartitions(members, 64);
    const after = assignPartitions([...members, "e-5"], 64);
    let moved = 0;
    for (const m of members) moved += before.get(m)!.filter((p) => !after.get(m)!.includes(p)).length;
    // The new member takes about 64/5 ≈ 13; a modulo scheme would move about 4/5 of everything.
    expect(moved).toBeLessThan(26);
    expect(after.get("e-5")!.length).toBeGreaterThanOrEqual(12);
  });

  it("assigns nothing without members", () => {
    expect(assignPartitions([], 8).size).toBe(0);
  });
});
