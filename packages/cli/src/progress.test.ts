import { describe, expect, it } from "vitest";
import { RateMeter, progressLine } from "./progress.js";

describe("progressLine", () => {
  it("shows the share done, messages behind, rate and ETA", () => {
    expect(progressLine({ done: 600, behind: 400, rate: 100 }, 10)).toBe(
      "[██████░░░░]  60%  400 behind  100 msg/s  ETA 0:04",
    );
  });

  it("says caught up when nothing is behind", () => {
    expect(progressLine({ done: 5, behind: 0, rate: 0 }, 4)).toBe("[████] 100%  0 behind  0 msg/s  caught up");
  });
});

describe("RateMeter", () => {
  it("measures the rate over its window", () => {
    const m = new RateMeter(1000);
    m.sample(0, 0);
    expect(m.sample(500, 500)).toBe(1000);
    expect(m.sample(1500, 1500)).toBe(1000);
  });
});
