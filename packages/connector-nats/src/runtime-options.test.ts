import { InvalidOptionError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { resolveRuntime } from "./runtime-options.js";

describe("resolveRuntime", () => {
  it("applies the documented defaults", () => {
    const r = resolveRuntime({});
    expect(r).toMatchObject({
      maxBatchRows: 10_000,
      maxBatchBytes: 4 * 1024 * 1024,
      lingerMs: 5,
      keepHeaders: false,
      pullMessages: 10_000,
      pullExpiresMs: 10_000,
    });
    expect(r.offsets.size).toBe(0);
    // Explicit undefined (an unset pipeline option) means the default too.
    expect(resolveRuntime({ maxBatchRows: undefined }).maxBatchRows).toBe(10_000);
  });

  it("rejects out-of-range values, naming the option", () => {
    expect(() => resolveRuntime({ maxBatchRows: 0 })).toThrow(InvalidOptionError);
    expect(() => resolveRuntime({ lingerMs: -1 })).toThrow(/lingerMs/);
    expect(() => resolveRuntime({ pullExpiresMs: 500 })).toThrow(
      /pullExpiresMs must be a whole number of at least 1000/,
    );
    expect(() => resolveRuntime({ offsets: new Map([["a", -1]]) })).toThrow(/offsets\['a'\]/);
    expect(() => resolveRuntime({ maxBatchBytes: 1.5 })).toThrow(/maxBatchBytes/);
  });
});
