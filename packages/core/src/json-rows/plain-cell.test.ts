import { Float32, Int64, makeData, TimestampMicrosecond } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { scalar } from "../sql-type.js";
import { cellAt } from "./cell.js";
import { plainCell } from "./plain-cell.js";

describe("plainCell: a held value as --print prints it", () => {
  it("gives the cell cellAt reads from an Arrow column holding the same value", () => {
    const real = makeData({ type: new Float32(), length: 1, data: Float32Array.of(0.1) });
    expect(plainCell(Math.fround(0.1), scalar("real"))).toEqual(cellAt(real, 0, scalar("real")));
    // A real not yet rounded to 32 bits prints as the Float32 column would hold it.
    expect(plainCell(0.1000000001, scalar("real")).json).toBe("0.1");
    const big = makeData({ type: new Int64(), length: 1, data: BigInt64Array.of(2n ** 60n) });
    expect(plainCell(2n ** 60n, scalar("bigint"))).toEqual(cellAt(big, 0, scalar("bigint")));
    const ts = makeData({ type: new TimestampMicrosecond(), length: 1, data: BigInt64Array.of(1714564800000001n) });
    expect(plainCell(1714564800000001n, scalar("timestamp"))).toEqual(cellAt(ts, 0, scalar("timestamp")));
  });

  it("prints NULL, numeric, bytea, intervals and nested values", () => {
    expect(plainCell(null, scalar("integer"))).toEqual({ json: "null", key: null });
    expect(plainCell("0.10", scalar("numeric")).json).toBe("0.1");
    expect(plainCell("12345678901234567890.5", scalar("numeric")).json).toBe('"12345678901234567890.5"');
    expect(plainCell(Uint8Array.of(1, 255), scalar("bytea")).json).toBe('"\\\\x01ff"');
    expect(plainCell([14, 3, 1_000_000n], scalar("interval")).json).toBe('"1 year 2 mons 3 days 00:00:00.001"');
    const st = {
      kind: "struct",
      fields: [
        { name: "a", type: scalar("integer") },
        { name: "l", type: { kind: "list", element: scalar("varchar") } },
      ],
    } as const;
    expect(plainCell({ a: 1, l: ["x", null] }, st).json).toBe('{"a":1,"l":["x",null]}');
  });
});
