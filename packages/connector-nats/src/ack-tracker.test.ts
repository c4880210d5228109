import { describe, expect, it } from "vitest";
import { AckTracker } from "./ack-tracker.js";

describe("AckTracker", () => {
  it("all: acks the last reply of the newest emitted batch at or below the offset", () => {
    const t = new AckTracker("all");
    t.reset(0);
    for (let s = 1; s <= 10; s++) t.delivered(s, `r${s}`);
    t.emitted(10);
    for (let s = 11; s <= 15; s++) t.delivered(s, `r${s}`);
    t.emitted(15);
    expect(t.take(9)).toEqual([]);
    expect(t.take(12)).toEqual(["r10"]);
    expect(t.ackedSeq).toBe(10);
    expect(t.take(15)).toEqual(["r15"]);
    expect(t.take(15)).toEqual([]);
    expect(t.ackedSeq).toBe(15);
  });

  it("all: after a recreation, a replayed duplicate carries the ack until new batches do", () => {
    const t = new AckTracker("all");
    t.reset(4);
    t.duplicate(5, "d5");
    t.duplicate(6, "d6");
    expect(t.take(6)).toEqual(["d6"]);
    expect(t.ackedSeq).toBe(6);
  });

  it("explicit: acks every delivery, duplicates included, up to the offset", () => {
    const t = new AckTracker("explicit");
    t.reset(0);
    t.delivered(1, "r1");
    t.delivered(2, "r2");
    t.duplicate(2, "r2b");
    t.delivered(3, "r3");
    expect(t.take(2)).toEqual(["r1", "r2", "r2b"]);
    expect(t.take(3)).toEqual(["r3"]);
    expect(t.ackedSeq).toBe(3);
  });

  it("forgets the replies of an old consumer generation", () => {
    const t = new AckTracker("explicit");
    t.reset(0);
    t.delivered(1, "old1");
    t.reset(1);
    t.delivered(2, "new2");
    expect(t.take(2)).toEqual(["new2"]);
  });
});
