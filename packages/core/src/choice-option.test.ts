import { describe, expect, it } from "vitest";
import { choiceOption } from "./choice-option.js";
import { InvalidOptionError } from "./errors.js";

describe("choiceOption", () => {
  it("takes an accepted value, and the fallback for none", () => {
    expect(choiceOption("mode", "b", ["a", "b"], "a")).toBe("b");
    expect(choiceOption("mode", undefined, ["a", "b"], "a")).toBe("a");
  });
  it("refuses another value (case included) naming the option and what it accepts", () => {
    expect(() => choiceOption("mode", "B", ["a", "b"], "a")).toThrow(
      new InvalidOptionError("mode", "mode must be one of a, b, got 'B'"),
    );
    let e: unknown;
    try {
      choiceOption("MODE_ENV", "", ["a", "b"], "a");
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect(e).toMatchObject({ option: "MODE_ENV", message: "MODE_ENV must be one of a, b, got ''" });
  });
});
