import { InvalidOptionError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { resolveReadPath } from "./read-path.js";

describe("resolveReadPath", () => {
  it("defaults to lean, takes the option, and lets JETFLOW_READ_PATH override both", () => {
    expect(resolveReadPath(undefined, {})).toBe("lean");
    expect(resolveReadPath("consumer", {})).toBe("consumer");
    expect(resolveReadPath("lean", { JETFLOW_READ_PATH: "consumer" })).toBe("consumer");
    expect(resolveReadPath(undefined, { JETFLOW_READ_PATH: "" })).toBe("lean");
  });

  it("refuses an unknown value, naming where it came from and the accepted values", () => {
    expect(() => resolveReadPath("fast", {})).toThrow(InvalidOptionError);
    expect(() => resolveReadPath("fast", {})).toThrow("readPath must be one of lean, consumer, got 'fast'");
    expect(() => resolveReadPath(undefined, { JETFLOW_READ_PATH: "jsmsg" })).toThrow(
      "JETFLOW_READ_PATH must be one of lean, consumer, got 'jsmsg'",
    );
  });
});
