import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeToken, joinKey, splitKey, unescapeToken } from "./key-escape.js";

const KV_KEY = /^[-/_=.a-zA-Z0-9]+$/;

describe("key escaping", () => {
  it("keeps plain values and escapes the rest", () => {
    expect(escapeToken("eu-west_1")).toBe("eu-west_1");
    expect(escapeToken("eu west.1")).toBe("eu=20west=2E1");
    expect(escapeToken("a=b")).toBe("a=3Db");
    expect(escapeToken("*>")).toBe("=2A=3E");
    expect(escapeToken("é")).toBe("=C3=A9");
    expect(escapeToken("")).toBe("=");
    expect(escapeToken(null)).toBe("==");
    expect(joinKey(["eu", null, "", "1.5"])).toBe("eu.==.=.1=2E5");
  });

  it("refuses tokens it cannot have written", () => {
    expect(() => unescapeToken("a=G1")).toThrow(RangeError);
    expect(() => unescapeToken("a=")).toThrow(RangeError);
  });

  it("round-trips any values into valid KV keys and subject tokens (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string({ unit: "grapheme" }), { nil: null }), { minLength: 1, maxLength: 5 }),
        (values) => {
          const key = joinKey(values);
          expect(key).toMatch(KV_KEY);
          expect(key.startsWith(".") || key.endsWith(".") || key.includes("..")).toBe(false);
          expect(splitKey(key)).toEqual(values);
          for (const v of values) expect(escapeToken(v)).not.toMatch(/[.*> \t\r\n]/);
        },
      ),
    );
  });
});
