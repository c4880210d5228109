import { sqlTypeOfField } from "@jetflow/core";
import { describe, expect, it } from "vitest";
import { changeFrom, rowsOf, schemaFrom } from "./test-support.js";
import { tumble } from "./tumble.js";

const schema = schemaFrom({ id: "integer", name: "varchar", amount: "double precision", ts: "timestamptz" });

describe("tumble", () => {
  it("adds window_start and window_end of the time column's type, flooring times before 1970", () => {
    const w = tumble(schema, "ts", 60_000_000);
    expect(w.schema.fields.slice(-2).map((f) => [f.name, sqlTypeOfField(f).kind])).toEqual([
      ["window_start", "timestamptz"],
      ["window_end", "timestamptz"],
    ]);
    const out = rowsOf(w.process(changeFrom(schema, [{ ts: 90_000_000n }, { ts: -1n }, { ts: null }])));
    expect(out.map((r) => [r.window_start, r.window_end])).toEqual([
      [60_000_000n, 120_000_000n],
      [-60_000_000n, 0n],
      [null, null],
    ]);
  });

  it("rejects a non-timestamp column and a bad size", () => {
    expect(() => tumble(schema, "name", 1000)).toThrow(/must be a timestamp/);
    expect(() => tumble(schema, "ts", 0)).toThrow(/positive/);
  });
});
