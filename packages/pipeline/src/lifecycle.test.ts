import { describe, expect, it } from "vitest";
import { PipelineStateError } from "./errors.js";
import { Lifecycle } from "./lifecycle.js";

describe("Lifecycle", () => {
  it("allows definitions only while defining, and says why after plan()", () => {
    const life = new Lifecycle();
    expect(() => life.defining("table()")).not.toThrow();
    life.phase = "planned";
    expect(() => life.defining("start()")).toThrow(PipelineStateError);
    expect(() => life.defining("start()")).toThrow("start() is not allowed after plan()");
    life.phase = "running";
    expect(() => life.defining("feed()")).toThrow("feed() is only allowed before start() (the pipeline is running)");
  });

  it("accepts batches while starting or running, and is over once stopped or failed", () => {
    const life = new Lifecycle();
    expect(() => life.running("checkpoint()")).toThrow("checkpoint() needs a running pipeline (it is defining)");
    const seen = (["starting", "running", "stopping", "stopped", "failed"] as const).map((phase) => {
      life.phase = phase;
      return [phase, life.accepting, life.over];
    });
    expect(seen).toEqual([
      ["starting", true, false],
      ["running", true, false],
      ["stopping", false, false],
      ["stopped", false, true],
      ["failed", false, true],
    ]);
  });
});
