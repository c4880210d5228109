import { describe, expect, it } from "vitest";
import { canonicalRows } from "./canonical-rows.js";

describe("canonicalRows", () => {
  it("ignores row order, key order and bigint versus number", () => {
    expect(
      canonicalRows([
        { b: 2n, a: "x" },
        { a: "y", b: null },
      ]),
    ).toEqual(
      canonicalRows([
        { a: "y", b: null },
        { a: "x", b: 2 },
      ]),
    );
  });
});
