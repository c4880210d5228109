import { headers } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { BatchBuilder } from "./batch-builder.js";

const enc = new TextEncoder();

describe("BatchBuilder", () => {
  it("builds columns, per-consumer offsets and byte counts, then starts empty", () => {
    const b = new BatchBuilder(false);
    for (let i = 1; i <= 600; i++)
      b.push(i % 2 === 0 ? "a" : "b", enc.encode(`m${i}`), `s.${i % 2}`, i, i * 1000, undefined);
    expect(b.length).toBe(600);
    expect(b.bytes).toBe(enc.encode(Array.from({ length: 600 }, (_, i) => `m${i + 1}`).join("")).length);
    const batch = b.take();
    expect(batch.length).toBe(600);
    expect(Array.from(batch.sequences)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(batch.timestampsUs[599]).toBe(600_000);
    expect(batch.subjects[0]).toBe("s.1");
    expect(batch.offsets).toEqual(
      new Map([
        ["b", 599],
        ["a", 600],
      ]),
    );
    expect(batch.headers).toBeUndefined();
    expect(b.length).toBe(0);
    expect(b.bytes).toBe(0);
    // The emitted batch is not touched by later pushes.
    b.push("a", enc.encode("x"), "s", 601, 1, undefined);
    expect(batch.sequences[0]).toBe(1);
    expect(b.take().offsets).toEqual(new Map([["a", 601]]));
  });

  it("reports pending offsets between pushes: the last sequence per consumer so far", () => {
    const b = new BatchBuilder(false);
    b.push("a", enc.encode("x"), "s", 1, 1, undefined);
    b.push("a", enc.encode("x"), "s", 2, 1, undefined);
    expect(b.pendingOffsets()).toEqual(new Map([["a", 2]]));
    b.push("a", enc.encode("x"), "s", 3, 1, undefined);
    b.push("b", enc.encode("x"), "s", 7, 1, undefined);
    expect(b.pendingOffsets()).toEqual(
      new Map([
        ["a", 3],
        ["b", 7],
      ]),
    );
    b.push("b", enc.encode("x"), "s", 8, 1, undefined);
    b.clear();
    expect(b.pendingOffsets()).toEqual(new Map());
    b.push("a", enc.encode("x"), "s", 4, 1, undefined);
    expect(b.take([]).offsets).toEqual(new Map([["a", 4]]));
  });

  it("keeps headers when asked", () => {
    const b = new BatchBuilder(true);
    const h = headers();
    h.append("k", "v1");
    h.append("k", "v2");
    b.push("a", enc.encode("x"), "s", 1, 1, h);
    b.push("a", enc.encode("y"), "s", 2, 1, undefined);
    const batch = b.take();
    expect(batch.headers?.[0]?.get("k")).toEqual(["v1", "v2"]);
    expect(batch.headers?.[1]).toBeUndefined();
  });
});
