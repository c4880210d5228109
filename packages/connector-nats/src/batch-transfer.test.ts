import type { RawBatch } from "@jetflow/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packBatch, unpackBatch } from "./batch-transfer.js";

function rawBatch(payloads: Uint8Array[], subjects: string[]): RawBatch {
  const n = payloads.length;
  return {
    length: n,
    payloads,
    subjects,
    sequences: Float64Array.from({ length: n }, (_, i) => i + 1),
    timestampsUs: Float64Array.from({ length: n }, (_, i) => 1e15 + i),
    headers: undefined,
    offsets: new Map([["s", n]]),
  };
}

describe("packBatch / unpackBatch", () => {
  it("give back every payload, subject, sequence and time; the buffers are transferable", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 40 }), fc.constantFrom("a.x", "a.y", "b")), { maxLength: 60 }),
        (rows) => {
          const raw = rawBatch(
            rows.map(([p]) => p),
            rows.map(([, s]) => s),
          );
          const { packed, transfer } = packBatch(raw);
          // What a postMessage with the transfer list does to the sender's side.
          const moved = structuredClone(packed, { transfer });
          const back = unpackBatch(moved);
          expect(back.length).toBe(rows.length);
          expect(back.payloads.map((p) => [...p])).toEqual(rows.map(([p]) => [...p]));
          expect(back.subjects).toEqual(rows.map(([, s]) => s));
          expect([...back.sequences]).toEqual([...raw.sequences]);
          expect([...back.timestampsUs]).toEqual([...raw.timestampsUs]);
          expect(back.offsets).toEqual(raw.offsets);
          expect(new Set(packed.subjectNames).size).toBe(packed.subjectNames.length);
        },
      ),
    );
  });

  it("copies out of the sender's buffers, so the sender may reuse them", () => {
    const socket = new Uint8Array([1, 2, 3, 4]);
    const raw = rawBatch([socket.subarray(0, 2), socket.subarray(2)], ["s", "s"]);
    const { packed } = packBatch(raw);
    socket.fill(9);
    expect(unpackBatch(packed).payloads.map((p) => [...p])).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
