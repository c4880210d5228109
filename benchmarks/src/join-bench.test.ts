import { describe, expect, it } from "vitest";
import { runJoinBench } from "./join-bench.js";

describe("join micro-benchmark", () => {
  it("joins and groups every event as the hand-written peer does, and reports rates and state size", () => {
    const row = runJoinBench(20_000, 2_000, 1_000, 1);
    expect(row.bad).toBe(0);
    expect(row.events).toBe(20_000);
    expect(row.eventsPerSec).toBeCloseTo(row.events / row.seconds);
    expect(row.ratio).toBeCloseTo(row.peerSeconds / row.seconds);
  });
});
