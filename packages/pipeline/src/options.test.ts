import { InvalidOptionError } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { resolvePipelineOptions } from "./options.js";

describe("resolvePipelineOptions", () => {
  it("fills the documented defaults", () => {
    expect(resolvePipelineOptions()).toEqual({
      state: { kind: "memory" },
      checkpointIntervalMs: 1000,
      servers: undefined,
      sql: undefined,
      maxBatchRows: 10_000,
      lingerMs: 5,
      sinkMaxPending: 100_000,
    });
  });

  it.each([
    [{ checkpointIntervalMs: -1 }, "checkpointIntervalMs"],
    [{ checkpointIntervalMs: 1.5 }, "checkpointIntervalMs"],
    [{ maxBatchRows: 0 }, "maxBatchRows"],
    [{ sinkMaxPending: 0 }, "sinkMaxPending"],
    [{ state: { kind: "filesystem" as const, dir: " " } }, "state"],
    [{ state: { kind: "s3" } as never }, "state"],
  ])("rejects %j naming %s", (options, option) => {
    expect(() => resolvePipelineOptions(options)).toThrow(InvalidOptionError);
    try {
      resolvePipelineOptions(options);
    } catch (e) {
      expect((e as InvalidOptionError).option).toBe(option);
    }
  });
});
