import { describe, expect, it } from "vitest";
import { hop } from "./hop.js";
import { changeFrom, rowsOf, schemaFrom } from "./test-support.js";

const schema = schemaFrom({ id: "integer", ts: "timestamp" });
const MIN = 60_000_000n;

describe("hop", () => {
  it("puts each row in every window of size that contains it, windows starting every slide; NULL times in none", () => {
    const w = hop(schema, "ts", 60_000_000, 180_000_000);
    const out = rowsOf(
      w.process(
        changeFrom(
          schema,
          [
            { id: 1, ts: 90_000_000n },
            { id: 2, ts: null },
            { id: 3, ts: -1n },
          ],
          [1, 1, -1],
        ),
      ),
    );
    expect(out.map((r) => [r._op, r.id, r.window_start, r.window_end])).toEqual([
      [1, 1, MIN, 4n * MIN],
      [1, 1, 0n, 3n * MIN],
      [1, 1, -MIN, 2n * MIN],
      [-1, 3, -MIN, 2n * MIN],
      [-1, 3, -2n * MIN, MIN],
      [-1, 3, -3n * MIN, 0n],
    ]);
    expect(w.process(changeFrom(schema, [{ id: 2, ts: null }]))).toBeUndefined();
  });

  it("needs a size that is a multiple of the slide", () => {
    expect(() => hop(schema, "ts", 70_000_000, 180_000_000)).toThrow(/multiple of its slide/);
    expect(() => hop(schema, "id", 1, 1)).toThrow(/must be a timestamp/);
  });
});
