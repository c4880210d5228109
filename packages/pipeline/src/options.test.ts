import { InvalidOptionError } from "@jetflow/core";
import { memoryBackend } from "@jetflow/state";
import { describe, expect, it } from "vitest";
import { resolvePipelineOptions } from "./options.js";
import { defaultWorkers, resolveShards, resolveWorkers } from "./workers.js";

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
      readPath: process.env.JETFLOW_READ_PATH === "consumer" ? "consumer" : "lean",
      // The environment overrides the option (the pipeline project reads on one thread).
      workers: process.env.JETFLOW_WORKERS === undefined ? defaultWorkers() : Number(process.env.JETFLOW_WORKERS),
      decodeIn: "auto",
      shards: 0,
    });
  });

  it("runs keyed operators in threads only when told; refuses a bad count by name", () => {
    expect(resolveShards(undefined, {})).toBe(0);
    expect(resolveShards(3, {})).toBe(3);
    expect(resolveShards(3, { JETFLOW_SHARDS: "0" })).toBe(0);
    expect(() => resolveShards(1.5, {})).toThrow("shards must be a whole number of at least 0, got 1.5");
    expect(() => resolveShards(undefined, { JETFLOW_SHARDS: "two" })).toThrow(/JETFLOW_SHARDS/);
  });

  it("reads in cores - 1 threads, at least one, unless told; refuses a negative count by name", () => {
    expect([1, 2, 3, 4, 8].map((cores) => defaultWorkers(cores))).toEqual([1, 1, 2, 3, 7]);
    expect(resolveWorkers(2, {})).toBe(2);
    expect(resolveWorkers(2, { JETFLOW_WORKERS: "0" })).toBe(0);
    expect(() => resolveWorkers(-1, {})).toThrow("workers must be a whole number of at least 0, got -1");
    expect(() => resolveWorkers(undefined, { JETFLOW_WORKERS: "x" })).toThrow(/JETFLOW_WORKERS/);
  });

  it("takes decodeIn, refusing an unknown one by name", () => {
    expect(resolvePipelineOptions({ decodeIn: "reader" }).decodeIn).toBe("reader");
    expect(() => resolvePipelineOptions({ decodeIn: "gpu" as never })).toThrow(
      /decodeIn must be one of auto, reader, main/,
    );
  });

  it("takes readPath, refusing an unknown one by name", () => {
    if (process.env.JETFLOW_READ_PATH !== undefined) return; // the environment overrides the option
    expect(resolvePipelineOptions({ readPath: "consumer" }).readPath).toBe("consumer");
    expect(() => resolvePipelineOptions({ readPath: "fast" as never })).toThrow(
      "readPath must be one of lean, consumer, got 'fast'",
    );
  });

  it("takes a checkpoint backend as is", () => {
    const backend = memoryBackend();
    expect(resolvePipelineOptions({ state: { kind: "backend", backend } }).state).toEqual({ kind: "backend", backend });
  });

  it.each([
    [{ state: { kind: "backend", backend: {} } as never }, "state"],
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
