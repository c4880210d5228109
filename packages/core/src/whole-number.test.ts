import { describe, expect, it } from "vitest";
import { InvalidOptionError } from "./errors.js";
import { wholeNumberOption } from "./whole-number.js";

describe("wholeNumberOption", () => {
  it("gives the fallback for undefined and the value when it is a whole number in range", () => {
    expect(wholeNumberOption("n", undefined, 7, 1)).toBe(7);
    expect(wholeNumberOption("n", 0, 7, 0)).toBe(0);
    expect(wholeNumberOption("n", 12, 7, 1)).toBe(12);
  });

  it.each([0.5, -1, Number.NaN, 2 ** 60])("refuses %s, naming the option and the minimum", (v) => {
    let e: unknown;
    try {
      wholeNumberOption("lingerMs", v, 5, 0);
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect((e as InvalidOptionError).option).toBe("lingerMs");
    expect((e as Error).message).toBe(`lingerMs must be a whole number of at least 0, got ${v}`);
  });
});
