import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { FlatJsonReader } from "./flat-json.js";
import { longDecimal } from "./long-decimal.js";
import { columnsOf } from "../test-support.js";

const encoder = new TextEncoder();

/** longDecimal on a literal as the JSON reader calls it: the mantissa's bytes and the exponent it stands for. */
function read(text: string): number {
  const [mantissa = "", exponent] = text.split(/[eE]/);
  const point = mantissa.indexOf(".");
  const fraction = point < 0 ? 0 : mantissa.length - point - 1;
  return longDecimal(encoder.encode(mantissa), 0, mantissa.length, Number(exponent ?? 0) - fraction);
}

/** Decided values must be exactly `Number(text)`'s magnitude; undecided ones are NaN. */
function expectExact(text: string): boolean {
  const value = read(text);
  if (Number.isNaN(value)) return false;
  expect(value, text).toBe(Math.abs(Number(text)));
  return true;
}

/** `digits` decimal digits (no leading zero) with a point after `point` of them (none when it is `digits`). */
const literal = fc
  .record({
    digits: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 20 }),
    first: fc.integer({ min: 1, max: 9 }),
    point: fc.nat(),
    negative: fc.boolean(),
  })
  .map(({ digits, first, point, negative }) => {
    const all = `${first}${digits.join("")}`;
    const at = point % (all.length + 1);
    const text = at === all.length ? all : `${all.slice(0, at) || "0"}.${all.slice(at)}`;
    return negative ? `-${text}` : text;
  });

describe("longDecimal", () => {
  test("reads a double's 17-digit text to the same double as Number()", () => {
    expect(read("1712345678901.7144")).toBe(1712345678901.7144);
    expect(read("-1712345678901.7144")).toBe(1712345678901.7144); // the sign is the caller's
    expect(read("9007199254740993")).toBeNaN(); // a tie (2^53 + 1): left to Number()
    expect(read("12345678901234567890")).toBeNaN(); // 20 digits
    expect(read("1234567890123456.7e-30")).toBeNaN(); // beyond 10^-22
    expect(read("12345678901234567e3")).toBeNaN(); // a positive exponent
  });

  test("property: any double's shortest and 17-19-digit texts", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e19, noNaN: true }), fc.integer({ min: 16, max: 19 }), (x, digits) => {
        expectExact(String(x));
        expectExact(x.toPrecision(digits));
      }),
      { numRuns: 20_000 },
    );
  });

  test("property: random digit strings; most are decided", () => {
    let decided = 0;
    let runs = 0;
    fc.assert(
      fc.property(literal, (text) => {
        runs++;
        if (expectExact(text)) decided++;
      }),
      { numRuns: 20_000 },
    );
    expect(decided / runs).toBeGreaterThan(0.5);
  });

  test("halfway cases and their neighbours", () => {
    // Integers past 2^53 (odd ones are ties), exact midpoints between doubles near 2^54 and 2^60
    // (spacing 4 and 256), one either side, and the same with a decimal point moved in.
    for (let i = 0n; i < 2000n; i++) {
      expectExact(String(2n ** 53n + i));
      for (const mid of [2n ** 54n + 2n + 4n * i, 2n ** 60n + 128n + 256n * i]) {
        for (const x of [mid - 1n, mid, mid + 1n]) {
          const text = String(x);
          expectExact(text);
          expectExact(`${text.slice(0, 10)}.${text.slice(10)}`);
        }
      }
    }
  });
});

describe("FlatJsonReader with long decimals", () => {
  const reader = new FlatJsonReader(columnsOf({ x: "double precision" }));

  test("gives what JSON.parse gives, exponent forms too", () => {
    for (const text of [
      "1712345678901.7144",
      "-1712345678901.7144",
      "1.7123456789017144e12",
      "1.7123456789017144E+12",
      "17123456789017144e-4",
      "0.00012345678901234567",
      "9007199254740993",
      "123456789012345678901234",
      "1.2345678901234567e-25",
    ]) {
      const row = reader.read(encoder.encode(`{"x": ${text}}`));
      expect(row?.valueAt(0), text).toBe(JSON.parse(text));
    }
  });
});
