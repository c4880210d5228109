import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { LongNumber } from "../values/wide-numbers.js";
import { hasLongDigitRun, PreciseJsonParser, protectLongNumbers } from "./precise-json.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("hasLongDigitRun", () => {
  test("finds any run of 16 digits or dots, wherever it starts", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 30 }),
        (noise, at, runLength) => {
          const clean = noise.replace(/[0-9.]/g, "x");
          const cut = Math.min(at, clean.length);
          const text = `${clean.slice(0, cut)}${"7".repeat(runLength)}${clean.slice(cut)}`;
          expect(hasLongDigitRun(bytes(text))).toBe(runLength >= 16);
        },
      ),
    );
  });
});

describe("protectLongNumbers", () => {
  test("leaves text without long literals alone", () => {
    expect(protectLongNumbers('{"a": 1234567890123456, "b": "12345678901234567890"}')).toBeUndefined();
  });

  test("wraps only long number literals outside strings", () => {
    const out = protectLongNumbers(
      '{"s": "9007199254740993", "n": 9007199254740993, "x": "\\"1", "f": 0.12345678901234567}',
    );
    expect(out).toBeDefined();
    const parsed = JSON.parse(out!);
    expect(parsed.s).toBe("9007199254740993");
    expect(parsed.n).toMatch(/9007199254740993$/);
    expect(parsed.x).toBe('"1');
    expect(parsed.f).toMatch(/0\.12345678901234567$/);
  });

  test("does not turn invalid number tokens into valid JSON", () => {
    expect(protectLongNumbers("[1.2.3.4.5.6.7.8.9.0.1.2.3.4.5.6]")).toBeUndefined();
  });
});

describe("PreciseJsonParser", () => {
  const parser = new PreciseJsonParser();

  test("keeps every digit of long literals, and only of those", () => {
    const value = parser.parse(
      bytes('{"big": 12345678901234567890, "neg": -9223372036854775808, "small": 42, "safe16": 1234567890123456}'),
    ) as Record<string, unknown>;
    expect(value.big).toEqual(new LongNumber("12345678901234567890"));
    expect(value.neg).toEqual(new LongNumber("-9223372036854775808"));
    expect(value.small).toBe(42);
    expect(value.safe16).toBe(1234567890123456);
  });

  test("refuses invalid UTF-8 and invalid JSON", () => {
    expect(() => parser.parse(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow();
    expect(() => parser.parse(bytes("{"))).toThrow();
  });
});
