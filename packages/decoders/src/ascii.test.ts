import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { hasHighByte } from "./ascii.js";

describe("hasHighByte", () => {
  test("finds a byte >= 0x80 anywhere in the range, and only in it", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), fc.nat(), (b, x, y) => {
        const start = x % (b.length + 1);
        const end = start + (y % (b.length - start + 1));
        expect(hasHighByte(b, start, end)).toBe(b.subarray(start, end).some((c) => c >= 0x80));
      }),
      { numRuns: 2000 },
    );
  });
});
