import { describe, expect, it } from "vitest";
import { runDecodeBench } from "./decode-bench.js";

describe("decode micro-benchmark", () => {
  it("decodes every payload of every encoding, and reports rates from the bytes it decoded", async () => {
    const rows = await runDecodeBench(1_000, 300, 1);
    expect(rows.map((r) => r.encoding)).toEqual(["json", "msgpack", "protobuf", "bytes"]);
    for (const r of rows) {
      expect(r.bad, r.encoding).toBe(0);
      expect(r.rows).toBe(1_000);
      expect(r.bytes).toBeGreaterThan(50_000);
      expect(r.rowsPerSec).toBeCloseTo(r.rows / r.seconds);
      expect(r.mbPerSec).toBeCloseTo(r.bytes / 1e6 / r.seconds);
    }
  });
});
