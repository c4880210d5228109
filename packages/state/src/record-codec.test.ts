import zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyedStore } from "./keyed-store.js";
import {
  CorruptRecordError,
  decodeHeader,
  decodeRecord,
  encodeRecord,
  encodeRecordBytes,
  headerEnd,
  jsCrc32,
  PREFIX_BYTES,
} from "./record-codec.js";
import { recordOf } from "./testing/backend-contract.js";

function sample(): Uint8Array {
  const a = new KeyedStore<unknown>("a");
  const b = new KeyedStore<unknown>("b");
  for (let i = 0; i < 50; i++) a.set(`k${i}`, [i, `v${i}`]);
  b.set("x", 1n);
  a.checkpoint(true);
  a.set("k1", "changed");
  return encodeRecordBytes(recordOf(7, [a, b], false), 6);
}

describe("checkpoint record format", () => {
  it("round-trips id, base, offsets, meta and chunks", () => {
    const s = new KeyedStore<unknown>("s");
    s.set("a", 1);
    const rec = recordOf(3, [s], true);
    const back = decodeRecord(encodeRecordBytes(rec, undefined));
    expect(back.id).toBe(3);
    expect(back.base).toBeUndefined();
    expect(back.offsets).toEqual(rec.offsets);
    expect(back.meta).toEqual(rec.meta);
    expect(back.chunks.map((c) => [c.storeId, c.kind, [...c.bytes]])).toEqual(
      rec.chunks.map((c) => [c.storeId, c.kind, [...c.bytes]]),
    );
    const d = decodeRecord(sample());
    expect(d.base).toBe(6);
    expect(d.chunks.map((c) => c.kind)).toEqual(["delta", "delta"]);
  });

  it("writes parts without copying the chunk bytes", () => {
    const s = new KeyedStore<unknown>("s");
    s.set("a", "x".repeat(10_000));
    const rec = recordOf(1, [s], true);
    const { parts, size } = encodeRecord(rec, undefined);
    expect(parts).toContain(rec.chunks[0]?.bytes);
    expect(size).toBe(parts.reduce((n, p) => n + p.length, 0));
  });

  it("reads the header alone from the first bytes", () => {
    const bytes = sample();
    const end = headerEnd(bytes.subarray(0, PREFIX_BYTES));
    const h = decodeHeader(bytes.subarray(0, end));
    expect(h.id).toBe(7);
    expect(h.base).toBe(6);
    expect(h.totalLength).toBe(bytes.length);
    expect(h.chunks.map((c) => c[0])).toEqual(["a", "b"]);
  });

  it("detects every truncation (a torn write)", () => {
    const bytes = sample();
    for (let n = 0; n < bytes.length; n++) {
      expect(() => decodeRecord(bytes.subarray(0, n)), `truncated to ${n}`).toThrow(CorruptRecordError);
    }
  });

  it("detects any single flipped byte", () => {
    const bytes = sample();
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Uint8Array.from(bytes);
        bad[at] = (bad[at] as number) ^ xor;
        expect(() => decodeRecord(bad)).toThrow(CorruptRecordError);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects foreign files, other versions and trailing garbage", () => {
    expect(() => decodeRecord(new TextEncoder().encode("hello world, not a checkpoint"))).toThrow(/bad magic/);
    const v2 = sample();
    new DataView(v2.buffer).setUint32(4, 2, true);
    expect(() => decodeRecord(v2)).toThrow(/version 2/);
    const longer = new Uint8Array(sample().length + 3);
    longer.set(sample());
    expect(() => decodeRecord(longer)).toThrow(/torn record/);
  });

  it("the fallback CRC-32 equals zlib's", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        expect(jsCrc32(a)).toBe(zlib.crc32(a));
        expect(jsCrc32(b, jsCrc32(a))).toBe(zlib.crc32(b, zlib.crc32(a)));
      }),
    );
  });
});
