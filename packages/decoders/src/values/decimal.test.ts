import { describe, expect, test } from "vitest";
import { canonicalDecimal, decimalFromNumber } from "./decimal.js";

describe("canonicalDecimal", () => {
  test.each([
    // As PostgreSQL's numeric input prints them (checked against PGlite): the written scale stays.
    ["0", "0"],
    ["-0", "0"],
    ["-0.00", "0.00"],
    ["000.000", "0.000"],
    ["12.50", "12.50"],
    ["+012.500", "12.500"],
    ["-0012.500e1", "-125.00"],
    ["1.50e1", "15.0"],
    ["0e5", "0"],
    ["0.0e-2", "0.000"],
    [".5", "0.5"],
    ["5.", "5"],
    ["1e3", "1000"],
    ["1.5E-3", "0.0015"],
    ["-1e-7", "-0.0000001"],
    ["123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"],
    ["NaN", "NaN"],
    ["infinity", "Infinity"],
    ["-Infinity", "-Infinity"],
    ["POSITIVE_INFINITY", "Infinity"],
    ["NEGATIVE_INFINITY", "-Infinity"],
  ])("%s -> %s", (input, expected) => {
    expect(canonicalDecimal(input)).toEqual({ ok: true, text: expected });
  });

  test.each(["", ".", "abc", "1.2.3", "1e", " 1", "1 ", "0x10", "--1"])("refuses %j", (input) => {
    expect(canonicalDecimal(input)).toMatchObject({ ok: false, rule: "expected a decimal number" });
  });

  test("refuses values beyond PostgreSQL's numeric limits", () => {
    expect(canonicalDecimal("1e200000")).toMatchObject({ ok: false, rule: expect.stringContaining("out of range") });
    expect(canonicalDecimal("1e-20000")).toMatchObject({ ok: false, rule: expect.stringContaining("out of range") });
    expect(canonicalDecimal("1e1000")).toMatchObject({ ok: true });
  });
});

describe("decimalFromNumber", () => {
  test.each([
    [0, "0"],
    [-0, "0"],
    [42, "42"],
    [-1.5, "-1.5"],
    [0.1, "0.1"],
    [1e21, "1000000000000000000000"],
    [1.5e-7, "0.00000015"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
  ])("%s -> %s", (input, expected) => {
    expect(decimalFromNumber(input)).toEqual({ ok: true, text: expected });
  });
});
